"""Naive date-times read in a named time zone, to UTC; daylight-saving gaps and overlaps decided by policy
and reported.

A naive value is a wall-clock time in `zone` (an IANA name such as `America/New_York`). Two kinds of wall
time have no single answer, and each is noted so that a reviewer sees how many there were:
- in a gap (clocks moved forward: 02:30 on a spring-forward night does not exist), `nonexistent: shift`
  (the default) reads it with the offset before the change, which lands as far past the gap's end as it
  was past its start (02:30 becomes 03:30), as PostgreSQL does; `reject` leaves it alone;
- in an overlap (clocks moved back: 01:30 happens twice), `ambiguous: earlier` (the default) takes the
  first occurrence, `later` the second, `reject` leaves it alone.

Inputs: text in ISO 8601 (`2024-03-10 02:30`, `2024-03-10T02:30:00.250`, a date alone is its midnight)
and date-times. Text with an offset or `Z` is already absolute and is only converted to UTC. A
date-time that carries a zone (what PostgreSQL returns for `timestamptz`) is read as the wall-clock time
it shows in UTC: that is how a naive time written through a session in UTC is stored. Anything else
(words, other formats, numbers) is rejected and kept as it was. `output: text` writes
`YYYY-MM-DDTHH:MM:SS.sssZ` (dbbasic's timestamp text, milliseconds; a value with finer precision is
rejected rather than rounded), `output: datetime` a UTC date-time for a `timestamptz` column.
"""

from __future__ import annotations

import difflib
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dbbasic.transforms.outcome import Outcome, Transform, reject

NAME = "utc_timestamp"
VERSION = 1
PARAMETERS = {
    "zone": "the IANA time zone the naive values were written in, like Europe/Paris",
    "nonexistent": "what to do with a wall time in a DST gap: shift (default) or reject",
    "ambiguous": "what to do with a wall time in a DST overlap: earlier (default), later or reject",
    "output": "text (dbbasic's ISO 8601 text, for SQLite) or datetime (for timestamptz)",
}
GAP, OVERLAP = "dst-gap", "dst-overlap"
_CHOICES = {"nonexistent": ("shift", "reject"), "ambiguous": ("earlier", "later", "reject"),
            "output": ("text", "datetime")}


def prepare(parameters: dict[str, Any]) -> Transform:
    unknown = sorted(set(parameters) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"{NAME} takes no parameter {unknown[0]!r} (it takes: {', '.join(PARAMETERS)})")
    zone = _zone(parameters.get("zone"))
    policy = {key: parameters.get(key, choices[0]) for key, choices in _CHOICES.items()}
    for key, choices in _CHOICES.items():
        if policy[key] not in choices:
            raise ValueError(f"{key} must be one of {', '.join(choices)}; not {policy[key]!r}")

    def to_utc(value: Any) -> Outcome:
        wall = _wall_time(value)
        if wall is None:
            return Outcome(None) if value is None or (isinstance(value, str) and not value.strip()) else reject(
                value, "it is not an ISO 8601 date or date-time (like 2024-03-10 14:30)")
        note = reason = ""
        if wall.tzinfo is not None:
            instant = wall.astimezone(UTC)
        else:
            earlier, later = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
            instant = earlier.astimezone(UTC)
            if earlier.utcoffset() != later.utcoffset():
                shown = instant.astimezone(zone)
                if shown.replace(tzinfo=None) != wall:  # not a wall time that exists: a gap
                    if policy["nonexistent"] == "reject":
                        return reject(value, f"{wall:%H:%M} on {wall:%Y-%m-%d} does not exist in {zone.key} "
                                             "(clocks moved forward)")
                    note, reason = GAP, (f"{wall:%H:%M} does not exist in {zone.key} on {wall:%Y-%m-%d}; read as "
                                         f"{shown:%H:%M %Z}")
                else:
                    if policy["ambiguous"] == "reject":
                        return reject(value, f"{wall:%H:%M} on {wall:%Y-%m-%d} happened twice in {zone.key} "
                                             "(clocks moved back)")
                    chosen = earlier if policy["ambiguous"] == "earlier" else later
                    instant = chosen.astimezone(UTC)
                    note, reason = OVERLAP, (f"{wall:%H:%M} happened twice in {zone.key} on {wall:%Y-%m-%d}; took "
                                             f"the {policy['ambiguous']} one ({chosen:%Z})")
        if policy["output"] == "datetime":
            return Outcome(instant, note or None, reason)
        text = utc_text(instant)
        if text is None:
            return reject(value, "it has sub-millisecond precision, which dbbasic's timestamp text does not keep")
        return Outcome(text, note or None, reason)

    return to_utc


def utc_text(instant: datetime) -> str | None:
    """An instant as dbbasic's timestamp text, `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC (what SQLite columns hold and
    PostgreSQL reads); None when it is finer than a millisecond, which that text would cut."""
    instant = instant.astimezone(UTC)
    if instant.microsecond % 1000:
        return None
    return f"{instant:%Y-%m-%dT%H:%M:%S}.{instant.microsecond // 1000:03d}Z"


def _zone(name: Any) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError("zone must be an IANA time zone name, like Europe/Paris or America/New_York")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        raise ValueError(f"there is no time zone {name!r}" + (f": did you mean {close[0]!r}?" if close else
                                                            " (IANA names look like Europe/Paris)")) from None


def _wall_time(value: Any) -> datetime | None:
    """The value as a date-time: naive (a wall time) or aware (absolute); None when it is not one."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None
