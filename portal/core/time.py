"""Timezone-aware UTC everywhere; shown in the user's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Now, aware, in UTC. Use as a column default callable, never a value computed at import."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware datetime converted to UTC; a naive one is refused (it is a bug upstream)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: times are stored as aware UTC")
    return value.astimezone(UTC)


def to_zone(value: datetime, tz_name: str) -> datetime:
    """A stored UTC time in the user's time zone (unknown names fall back to UTC)."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return as_utc(value).astimezone(zone)


def is_valid_zone(tz_name: str) -> bool:
    return tz_name in _zones()


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def zone_choices() -> list[str]:
    return sorted(z for z in _zones() if "/" in z or z == "UTC")


class UTCDateTime(TypeDecorator):
    """A DateTime column that only accepts aware datetimes and always returns aware UTC.

    SQLite has no time zones: values go in as UTC and come back naive, so they are re-tagged
    as UTC on the way out. PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
