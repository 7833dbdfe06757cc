"""Dates and date-times as people write them, read exactly: strict ISO 8601 first, then the common shapes
by compiled patterns (fast), then dateutil for the rest (about 30 times slower).

`read_date(text, dayfirst)` gives (value, reason, note): a `date` when the text has no time of day, a
`datetime` (aware when it gives an offset, `Z`, UTC or GMT) when it has one; or None and the reason it
is not a date. `note` says what a reviewer should count: a value that is ambiguous under the chosen
order (`03/04/2020`, both March 4 and April 3), one readable only in the other order (`25/12/2020` when
month first), a two-digit year (`1/5/45` is 2045: years 00-68 are 20xx, 69-99 are 19xx, as POSIX
`strptime` reads them, whatever today's date).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from dateutil import parser as dateutil_parser

Reading = tuple[date | datetime | None, str, str]

MONTHS = {name.casefold(): number for number in range(1, 13)
          for name in (calendar.month_name[number], calendar.month_abbr[number])}
MONTHS["sept"] = 9
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_TIME = (r"(?:(?:\s*,?\s+|T)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
         r"\s*(?P<ampm>[ap]\.?m\.?)?\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?$")
_YEAR_FIRST = re.compile(r"^(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _TIME, re.IGNORECASE)
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})" + _TIME,
                      re.IGNORECASE)
_MONTH_NAME_FIRST = re.compile(_WEEKDAY + r"(?P<mon>[a-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+"
                               r"(?P<y>\d{4})" + _TIME, re.IGNORECASE)
_DAY_FIRST = re.compile(_WEEKDAY + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:\s+|-)(?:of\s+)?(?P<mon>[a-z]{3,9})\.?"
                        r"(?:\s+|-|,\s*)(?P<y>\d{4}|\d{2})" + _TIME, re.IGNORECASE)
_DEFAULTS = (datetime(2000, 1, 1), datetime(2004, 2, 2))
"""Two defaults for dateutil (leap years, for February 29): a part it filled in (a missing day, month or
year) differs between them."""
_NANOS = re.compile(r"[.,]\d{7}")
"""A fraction finer than microseconds, which `fromisoformat` would cut off silently."""
_HAS_TIME = re.compile(r":|\d\s*[ap]\.?m\b", re.IGNORECASE)


def read_date(text: str, dayfirst: bool) -> Reading:
    text = text.strip()
    iso = _iso(text)
    if iso is not None:
        return iso, "", ""
    match = _YEAR_FIRST.match(text)
    if match:
        return _build(match, int(match["y"]), int(match["m"]), int(match["d"]), text)
    match = _NUMERIC.match(text)
    if match:
        return _numeric(match, text, dayfirst)
    match = _MONTH_NAME_FIRST.match(text) or _DAY_FIRST.match(text)
    if match and match["mon"].casefold() in MONTHS:
        year, note = _year(match["y"])
        value, reason, _ = _build(match, year, MONTHS[match["mon"].casefold()], int(match["d"]), text)
        return value, reason, note if value is not None else ""
    return _dateutil(text, dayfirst)


def _iso(text: str) -> date | datetime | None:
    """Strict ISO 8601 (`2020-01-02`, `20200102`, `2020-01-02T03:04:05+01:00`): the fast path, and never
    day first."""
    try:
        if len(text) == 8 and text.isdigit():
            return date.fromisoformat(text)
        if len(text) < 10 or not (text[:4].isdigit() and text[4] == "-") or (len(text) > 26 and _NANOS.search(text)):
            return None
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return None


def _numeric(match: re.Match[str], text: str, dayfirst: bool) -> Reading:
    a, b = int(match["a"]), int(match["b"])
    year, note = _year(match["y"])
    order, other = ("day first", "month first") if dayfirst else ("month first", "day first")
    (m, d), (m2, d2) = ((b, a), (a, b)) if dayfirst else ((a, b), (b, a))
    chosen, reason, _ = _build(match, year, m, d, text)
    if chosen is None:
        swapped, _, _ = _build(match, year, m2, d2, text)
        if swapped is None:
            return None, reason, ""
        return swapped, "", _join(f"{text!r} read as {_iso_text(swapped)}: only {other} makes it a date, and "
                                  f"the rule reads {order}", note)
    if a != b and _valid(year, m2, d2):
        alternative = date(year, m2, d2).isoformat()
        note = _join(f"ambiguous: {text!r} read as {_iso_text(chosen)} ({order}; {other} would be {alternative})",
                     note)
    return chosen, "", note


def _year(written: str) -> tuple[int, str]:
    if len(written) == 4:
        return int(written), ""
    year = int(written) + (2000 if int(written) < 69 else 1900)
    return year, f"two-digit year {written!r} read as {year}"


def _valid(year: int, month: int, day: int) -> bool:
    return year >= 1 and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _build(match: re.Match[str], year: int, month: int, day: int, text: str) -> Reading:
    """The date (and time, if the match has one) of a pattern's parts, or why there is none."""
    if year < 1:
        return None, f"{text!r} is not a date: there is no year 0", ""
    if not 1 <= month <= 12:
        return None, f"{text!r} is not a date: there is no month {month}", ""
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return None, f"{text!r} is not a date: {calendar.month_name[month]} {year} has {days} days", ""
    if match["H"] is None:
        return date(year, month, day), "", ""
    hour, minute, second = int(match["H"]), int(match["M"]), int(match["S"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None, f"{text!r} is not a time: hour {hour} with {match['ampm']}", ""
        hour = hour % 12 + (12 if match["ampm"][0] in "pP" else 0)
    fraction = match["f"] or ""
    if hour > 23 or minute > 59 or second > 59:
        return None, f"{text!r} is not a time: {match['H']}:{match['M']}:{match['S'] or '00'}", ""
    if fraction[6:].strip("0"):
        return None, f"{text!r} is more precise than a microsecond", ""
    return (datetime(year, month, day, hour, minute, second, int(fraction[:6].ljust(6, "0")),
                     _zone(match["tz"])), "", "")


def _zone(written: str | None) -> tzinfo | None:
    if written is None:
        return None
    if written.upper() in ("Z", "UTC", "GMT"):
        return UTC
    digits = written[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-offset if written[0] == "-" else offset)


class _UnknownZone(ValueError):
    pass


def _tzinfos(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's zone names: UTC and GMT, or an offset it read; an abbreviation such as EST is refused,
    since dateutil would drop it and return a naive time."""
    if name is None and offset is None:
        return None
    if name and name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    raise _UnknownZone(name)


def _dateutil(text: str, dayfirst: bool) -> Reading:
    try:
        first, second = (dateutil_parser.parse(text, dayfirst=dayfirst, default=d, tzinfos=_tzinfos)
                         for d in _DEFAULTS)
    except _UnknownZone as exc:
        return None, f"{text!r}: the time zone {exc} is not one dbbasic reads: write an offset like -05:00", ""
    except (ValueError, OverflowError):
        return None, f"{text!r} is not a date", ""
    missing = [part for part in ("year", "month", "day") if getattr(first, part) != getattr(second, part)]
    if missing:
        return None, f"{text!r} is not a whole date: it has no {' and no '.join(missing)}", ""
    has_time = first.tzinfo is not None or first.time() != time() or bool(_HAS_TIME.search(text))
    value: date | datetime = first if has_time else first.date()
    try:
        other = dateutil_parser.parse(text, dayfirst=not dayfirst, default=_DEFAULTS[0], tzinfos=_tzinfos)
    except (ValueError, OverflowError):
        return value, "", ""
    if other.date() != first.date():
        order = "day first" if dayfirst else "month first"
        return value, "", (f"ambiguous: {text!r} read as {_iso_text(value)} ({order}; the other order would be "
                           f"{other.date().isoformat()})")
    return value, "", ""


def _iso_text(value: date | datetime) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
