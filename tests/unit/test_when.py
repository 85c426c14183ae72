import datetime as dt

import pytest

from votr_cli.core.errors import InvalidInput
from votr_cli.core.when import close_phrase, from_iso_utc, iso_utc, parse_when, span

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


# -- how far away a close date is, in words ----------------------------------------------

SECOND = dt.timedelta(seconds=1)


@pytest.mark.parametrize("delta, words", [
    (dt.timedelta(seconds=44, microseconds=999_999), None),  # under 45 s: no number
    (dt.timedelta(seconds=45), "1 minute"),
    (dt.timedelta(seconds=89), "1 minute"),
    (dt.timedelta(seconds=90), "2 minutes"),  # a half rounds up, never to even
    (dt.timedelta(minutes=5), "5 minutes"),
    (dt.timedelta(minutes=59, seconds=29), "59 minutes"),
    (dt.timedelta(minutes=59, seconds=30), "1 hour"),  # 60 minutes is an hour
    (dt.timedelta(hours=1, minutes=29, seconds=59), "1 hour"),
    (dt.timedelta(hours=1, minutes=30), "2 hours"),
    (dt.timedelta(hours=23, minutes=29, seconds=59), "23 hours"),
    (dt.timedelta(hours=23, minutes=30), "1 day"),
    (dt.timedelta(hours=35, minutes=59, seconds=59), "1 day"),
    (dt.timedelta(hours=36), "2 days"),
    (dt.timedelta(hours=47, minutes=59, seconds=59), "2 days"),
    (dt.timedelta(days=3) - SECOND, "3 days"),  # `--closes-at 3d`, read a moment later
    (dt.timedelta(days=3), "3 days"),
    (dt.timedelta(days=59, hours=11), "59 days"),
    (dt.timedelta(days=59, hours=12), "2 months"),
    (dt.timedelta(days=365), "1 year"),
    (dt.timedelta(days=3650), "10 years"),
    (dt.datetime(9999, 12, 31) - dt.datetime(1, 1, 1), "9999 years"),
])
def test_span_rounds_to_the_nearest_whole_unit(delta, words):
    assert span(delta) == words
    assert span(-delta) == words  # the past rounds alike


@pytest.mark.parametrize("delta, phrase", [
    (dt.timedelta(days=2), "closes in 2 days"),
    (dt.timedelta(days=1), "closes in 1 day"),
    (dt.timedelta(minutes=5), "closes in 5 minutes"),
    (dt.timedelta(minutes=1), "closes in 1 minute"),
    (dt.timedelta(seconds=10), "closes in less than a minute"),
    (dt.timedelta(0), "closed just now"),
    (-dt.timedelta(seconds=44), "closed just now"),
    (-dt.timedelta(hours=3), "closed 3 hours ago"),
    (-dt.timedelta(hours=1), "closed 1 hour ago"),
    (-dt.timedelta(days=400), "closed 1 year ago"),
])
def test_close_phrase_says_which_way_and_how_far(delta, phrase):
    assert close_phrase(NOW + delta, NOW) == phrase


def test_from_iso_utc_reads_back_iso_utc():
    moment = dt.datetime(2026, 12, 1, 18, 0, 5)
    assert from_iso_utc(iso_utc(moment)) == moment
    assert from_iso_utc("2026-12-01T19:00:05+01:00") == moment
    assert from_iso_utc("0001-01-01T00:00:00Z") == dt.datetime(1, 1, 1)
