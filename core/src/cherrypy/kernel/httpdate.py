"""HTTP dates: formatting (cached per second) and parsing of the three RFC 9110 formats.

Re-exported by :mod:`cherrypy.kernel.httputil`, where CherryPy code expects ``HTTPDate``.
"""

from __future__ import annotations

import calendar
import math
import re
import time

__all__ = ["HTTPDate", "http_date", "parse_http_date"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_date_cache: tuple[int | None, str] = (None, "")


def _whole_second(timestamp: float) -> int:
    """Round a timestamp to the second the way ``datetime.fromtimestamp`` does."""
    if timestamp.__class__ is int:
        return timestamp  # type: ignore[return-value]
    try:
        second = math.floor(timestamp)
    except OverflowError as exc:
        raise ValueError(f"timestamp out of range: {timestamp!r}") from exc
    if round((timestamp - second) * 1e6) >= 1_000_000:
        second += 1
    return second


def _format_gmt(second: int) -> str:
    try:
        t = time.gmtime(second)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"timestamp out of range: {second!r}") from exc
    if not 1 <= t.tm_year <= 9999:
        raise ValueError(f"year {t.tm_year} is out of range")
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def http_date(timestamp: float | None = None) -> str:
    """Format a Unix timestamp (default: now) as an RFC 1123 date in GMT.

    The result for the latest second is cached, so calling this on every response costs
    a clock read and a comparison.
    """
    global _date_cache
    second = _whole_second(time.time() if timestamp is None else timestamp)
    cached = _date_cache
    if cached[0] == second:
        return cached[1]
    text = _format_gmt(second)
    _date_cache = (second, text)
    return text


def HTTPDate(timeval: float | None = None) -> str:
    """Format ``timeval`` (default: now) for a Date-like header, e.g. ``Expires``.

    Gives the same text as ``email.utils.formatdate(timeval, usegmt=True)``.
    """
    return http_date(timeval)


_DAY_ALT = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
_LONG_DAY_ALT = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_MONTH_ALT = "|".join(_MONTHS)
_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(_MONTHS, 1)}
_CLOCK = r"(\d\d):(\d\d):(\d\d)"
_ZONE = r"(?:GMT|UTC|\+0000)"
_IMF_FIXDATE = re.compile(
    rf"(?:{_DAY_ALT}),\s*(\d\d?) ({_MONTH_ALT}) (\d{{4}}) {_CLOCK} {_ZONE}",
    re.ASCII | re.IGNORECASE,
)
_RFC850_DATE = re.compile(
    rf"(?:{_LONG_DAY_ALT}),\s*(\d\d?)-({_MONTH_ALT})-(\d\d) {_CLOCK} {_ZONE}",
    re.ASCII | re.IGNORECASE,
)
_ASCTIME_DATE = re.compile(
    rf"(?:{_DAY_ALT}) ({_MONTH_ALT}) +(\d\d?) {_CLOCK} (\d{{4}})", re.ASCII | re.IGNORECASE
)


def parse_http_date(value: str) -> float | None:
    """Parse an HTTP date (IMF-fixdate, RFC 850 or asctime) into a Unix timestamp.

    Returns None for anything else, including impossible dates (31 Feb), so a bad
    ``If-Modified-Since`` is simply ignored. A trailing ``; length=N`` (sent by old
    browsers) is tolerated; two-digit RFC 850 years follow RFC 9110's fifty-year rule.
    """
    if not isinstance(value, str):
        return None
    value = value.partition(";")[0].strip()
    match = _IMF_FIXDATE.fullmatch(value)
    if match is not None:
        day, month, year, hour, minute, sec = match.groups()
        full_year = int(year)
    elif (match := _RFC850_DATE.fullmatch(value)) is not None:
        day, month, year, hour, minute, sec = match.groups()
        this_year = time.gmtime().tm_year
        full_year = this_year - this_year % 100 + int(year)
        if full_year > this_year + 50:
            full_year -= 100
    elif (match := _ASCTIME_DATE.fullmatch(value)) is not None:
        month, day, hour, minute, sec, year = match.groups()
        full_year = int(year)
    else:
        return None
    month_number = _MONTH_NUMBERS[month.lower()]
    fields = int(day), int(hour), int(minute), int(sec)
    if full_year < 1 or not 1 <= fields[0] <= calendar.monthrange(full_year, month_number)[1]:
        return None
    if fields[1] > 23 or fields[2] > 59 or fields[3] > 60:
        return None
    return float(calendar.timegm((full_year, month_number, *fields, 0, 0, 0)))
