from datetime import UTC, datetime, timedelta, timezone

import pytest

from portal.core import time as ptime


def test_now_is_aware_utc():
    now = ptime.utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        ptime.as_utc(datetime(2026, 1, 1))  # noqa: DTZ001 — the point of the test


def test_times_convert_to_the_users_zone():
    at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert ptime.to_zone(at, "Asia/Shanghai").hour == 20
    assert ptime.to_zone(at, "Not/AZone").hour == 12


def test_utc_column_type_round_trips_aware_values():
    col = ptime.UTCDateTime()

    class Dialect:
        name = "sqlite"

    plus8 = datetime(2026, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    stored = col.process_bind_param(plus8, Dialect())
    assert stored == datetime(2026, 1, 1, 0, 0)  # noqa: DTZ001 — SQLite stores naive UTC
    loaded = col.process_result_value(stored, Dialect())
    assert loaded == plus8 and loaded.tzinfo is UTC
    with pytest.raises(ValueError):
        col.process_bind_param(datetime(2026, 1, 1), Dialect())  # noqa: DTZ001
