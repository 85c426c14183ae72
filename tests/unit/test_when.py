import datetime as dt

import pytest

from votr_cli.core.errors import InvalidInput
from votr_cli.core.when import iso_utc, parse_when

NOW = dt.datetime(2026, 11, 24, 12, 0, 0)


@pytest.mark.parametrize("value, delta", [
    ("90s", dt.timedelta(seconds=90)), ("30m", dt.timedelta(minutes=30)),
    ("2h", dt.timedelta(hours=2)), ("3d", dt.timedelta(days=3)), ("1w", dt.timedelta(weeks=1)),
])
def test_durations_count_from_now(value, delta):
    assert parse_when(value, now=NOW) == NOW + delta


def test_iso_with_offset_is_converted_to_utc():
    assert parse_when("2026-12-01T18:00:00+02:00", now=NOW) == dt.datetime(2026, 12, 1, 16, 0)
    assert parse_when("2026-12-01T18:00:00Z", now=NOW) == dt.datetime(2026, 12, 1, 18, 0)


def test_naive_iso_is_local_time(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert parse_when("2026-12-01T13:00:00", now=NOW) == dt.datetime(2026, 12, 1, 18, 0)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize("value", ["tomorrow", "3 days", "1.5h", "-3d", "3y", "2026-13-01", ""])
def test_unparseable_values_are_refused(value):
    with pytest.raises(InvalidInput, match="closes-at"):
        parse_when(value, now=NOW)


@pytest.mark.parametrize("value", ["0s", "2026-11-24T11:59:59Z", "2020-01-01"])
def test_past_values_are_refused(value):
    with pytest.raises(InvalidInput, match="lies in the past"):
        parse_when(value, now=NOW)


def test_close_dates_print_as_utc_seconds():
    assert iso_utc(dt.datetime(2026, 12, 1, 18, 0, 0, 123456)) == "2026-12-01T18:00:00Z"
    assert iso_utc(None) is None
