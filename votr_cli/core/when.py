"""Parsing of WHEN values (`--closes-at`, the API's `close_date`) and the UTC clock votr
stores times in. The front ends parse with these and hand the service datetimes."""

import datetime as dt
import math
import re

from votr_cli.core.errors import InvalidInput
from votr_cli.core.text import counted, quoted

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# Year 9999, datetime's last, is less than 10**12 seconds away: more digits always overflow.
_MAX_DURATION_DIGITS = 12


def utcnow() -> dt.datetime:
    """Now, as the naive UTC value the database stores."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def parse_when(value: str, now: dt.datetime | None = None) -> dt.datetime:
    """A future moment as naive UTC, from ISO-8601 or a duration such as `90s` or `3d`.

    A naive ISO-8601 value is local time, as a user typing a date would mean it.
    """
    now = now or utcnow()
    text = value.strip()
    duration = _DURATION.fullmatch(text)
    if duration:
        amount, unit = duration.groups()
        try:
            if len(amount.lstrip("0")) > _MAX_DURATION_DIGITS:  # int() refuses >4300 digits anyway
                raise OverflowError
            moment = now + dt.timedelta(seconds=int(amount) * _UNIT_SECONDS[unit])
        except OverflowError:
            raise InvalidInput(f"closes-at is too far in the future: {quoted(value)}") from None
    else:
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                f"closes-at is not an ISO-8601 date-time or a duration like 30m or 3d: {quoted(value)}"
            ) from None
        try:
            # astimezone() on a naive value takes it as local time.
            moment = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError):
            raise InvalidInput(f"closes-at is out of range: {quoted(value)}") from None
    return _in_future(moment, now, value)


def parse_timestamp(seconds: int | float, now: dt.datetime | None = None) -> dt.datetime:
    """A future moment as naive UTC, from seconds since the epoch (UTC): the form the
    original app's clients send as `close_date`."""
    try:
        # isfinite() catches NaN and infinities, and overflows on an int beyond any float.
        if isinstance(seconds, bool) or not math.isfinite(seconds):
            raise ValueError
        moment = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    except (OverflowError, OSError, ValueError, TypeError):
        raise InvalidInput("close_date is not a UTC timestamp in range") from None
    return _in_future(moment.replace(tzinfo=None), now or utcnow(), moment.isoformat())


def _in_future(moment: dt.datetime, now: dt.datetime, value: str) -> dt.datetime:
    if moment <= now:
        raise InvalidInput(f"closes-at lies in the past: {quoted(value)}")
    return moment


def iso_utc(moment: dt.datetime | None) -> str | None:
    """The contract's close_date form: ISO-8601 UTC to the second, or None."""
    if moment is None:
        return None
    # isoformat, not strftime("%Y"): that writes year 999 as "999", which no ISO-8601
    # reader (votr import included) accepts.
    return moment.replace(microsecond=0).isoformat() + "Z"


# How far away a close date is, in words, for people (README: Output). The distance is
# rounded to the nearest whole unit, a half rounding up, in the largest unit that keeps
# the number below the next unit's size: 47 h 59 min 59 s is "2 days", 36 h is "2 days",
# 35 h 59 min is "1 day", 89 s is "1 minute", 90 s "2 minutes"; under 45 seconds there is
# no number ("just now"). Months are 30.44 days and years 365.2425 days, on average.
_UNITS = (("minute", 60, 60), ("hour", 3600, 24), ("day", 86400, 60),
          ("month", 2_629_746, 12), ("year", 31_556_952, None))
_JUST_NOW = 45  # seconds


def span(delta: dt.timedelta) -> str | None:
    """The length of `delta`, rounded as above: "1 minute", "2 days"; None under 45 s."""
    micro = abs(delta) // dt.timedelta(microseconds=1)
    if micro < _JUST_NOW * 1_000_000:
        return None
    for unit, seconds, limit in _UNITS:
        size = seconds * 1_000_000
        number = (micro + size // 2) // size  # half up, never to even
        if limit is None or number < limit:
            return counted(max(number, 1), unit)
    raise AssertionError("unreachable: the last unit has no limit")


def close_phrase(moment: dt.datetime, now: dt.datetime) -> str:
    """A close date relative to `now` (both naive UTC): "closes in 2 days", "closes in
    less than a minute", "closed 3 hours ago", "closed just now"."""
    words = span(moment - now)
    if moment > now:
        return f"closes in {words}" if words else "closes in less than a minute"
    return f"closed {words} ago" if words else "closed just now"


def from_iso_utc(value: str) -> dt.datetime:
    """The naive UTC moment of an ISO-8601 date-time: an `iso_utc` string
    ("2026-12-01T18:00:00Z"), one with another offset, or a naive one, read as UTC.
    ValueError for a date that does not exist; OverflowError when the offset moves it
    outside the years 1 to 9999."""
    moment = dt.datetime.fromisoformat(value.removesuffix("Z"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment
