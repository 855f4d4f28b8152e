"""Timezone-aware UTC everywhere; shown in the user's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
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
    return as_utc(value).astimezone(_zone(tz_name))


# Days people type or send (filters, requested dates) lie in this range. Python's dates end at 0001-01-01 and
# 9999-12-31: a filter's "until" (the next day's start) or a zone's offset past either end is an OverflowError.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


class DayError(ValueError):
    """A day that is not YYYY-MM-DD, or (``out_of_range``) outside EARLIEST_DAY … LATEST_DAY; ``str()`` says
    which, translated."""

    def __init__(self, message: str, out_of_range: bool = False):
        super().__init__(message)
        self.out_of_range = out_of_range


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD day typed or sent by someone; None when empty; DayError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise DayError(_("Use the format YYYY-MM-DD."))
    return check_day(day)


def check_day(day: date) -> date:
    """``day`` if it lies in EARLIEST_DAY … LATEST_DAY, else DayError."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise DayError(_("Enter a date from %(first)s to %(last)s.", first=EARLIEST_DAY.isoformat(),
                         last=LATEST_DAY.isoformat()), out_of_range=True)
    return day


def day_start(day: date, tz_name: str) -> datetime:
    """The first moment of ``day`` in the zone ``tz_name``, as aware UTC (``day`` must pass ``check_day``)."""
    return _midnight(check_day(day), tz_name)


def day_end(day: date, tz_name: str) -> datetime:
    """The first moment after ``day`` in the zone ``tz_name``, as aware UTC: "until" filters take what is
    before it (the next midnight, so a day of a clock change is 23 or 25 hours long)."""
    return _midnight(check_day(day) + timedelta(days=1), tz_name)


def _midnight(day: date, tz_name: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_zone(tz_name)).astimezone(UTC)


def _zone(tz_name: str):
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


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
