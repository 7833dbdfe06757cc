"""Dates and date-times in mixed formats to ISO 8601 text.

    - "Parse all date formats to ISO-8601"
    - "Parse dates in 'signed_up' to ISO-8601 (day first, times in Europe/Paris)"
    - {parse_dates: {fields: [signed_up, last_seen], dayfirst: true, zone: Europe/Paris}}

How a value is read (rules/_dates.py): strict ISO 8601 first (so `2020-01-02` is January 2nd whatever the
order), then the common shapes (`03/04/2020`, `3.4.20`, `Jan 5 2020`, `5 January 2020`, `05-Jan-20`,
with an optional time, AM/PM, `Z` or an offset) by compiled patterns, then dateutil. `dayfirst` (false
unless the rule says "day first", "dd/mm/yyyy" or "European dates"; the plan states it) decides
`03/04/2020`: such a value, valid in both orders, is kept under the chosen order and noted, with the other
reading, so a reviewer counts them; a value valid only in the other order (`25/12/2020` when month first)
is read that way and noted. Impossible dates (`2020-14-01`, `2020/02/30`), incomplete ones (`March
2020`), words (`Yesterday`, `N/A`) and zone abbreviations (`EST`: write an offset) reject the row with
the reason. Two-digit years are 2000-2068 for 00-68, 1969-1999 for 69-99, and noted.

What is written: a value without a time of day as `YYYY-MM-DD`; one with an offset (or `Z`, UTC) as
UTC text `YYYY-MM-DDTHH:MM:SS.sssZ` (dbbasic's timestamp text); a naive one as `YYYY-MM-DDTHH:MM:SS`,
unless `zone` names the IANA zone it was written in: then it is converted to UTC, daylight-saving gaps
and overlaps decided and noted as by the `utc_timestamp` transform. Casting then fits the text to the
field: a date field takes a date-time at midnight, a timestamp field a date as its midnight.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from dbbasic.importers.outcome import RowRule
from dbbasic.importers.rules._common import (
    FieldRule,
    blank,
    check_fields,
    check_parameters,
    clause,
    readings,
)
from dbbasic.importers.rules._dates import read_date
from dbbasic.specs.model import FieldType
from dbbasic.transforms import utc_timestamp

NAME = "parse_dates"
PHRASINGS = (
    "Parse all date formats to ISO-8601",
    "Parse dates to ISO-8601 (day first)",
    "Convert 'signed_up' and 'last_seen' to ISO 8601, dd/mm/yyyy, times in Europe/Paris",
    "Dates to ISO-8601 (month first)",
)
PARAMETERS = {
    "fields": "the date and timestamp fields (`field:` for one)",
    "dayfirst": "true when 03/04/2020 is April 3rd (day first); false (default) when it is March 4th",
    "zone": "the IANA zone naive times were written in (converted to UTC); without it they stay naive",
}
DEFAULTS: dict[str, Any] = {"dayfirst": False}
TYPES = ("date", "timestamp")

_VERB = r"(?:parse|normali[sz]e|convert|standardi[sz]e|format|reformat|read|rewrite|write|store)"
_ISO = r"(?:(?:iso[-\s]?8601|iso)(?:\s+format)?|yyyy-mm-dd)"
_DATES = (r"(?:all\s+|the\s+|every\s+)*(?:dates?(?:\s+and\s+(?:times?|timestamps?))?|date\s*times?|timestamps?|"
          r"dates?\s+(?:formats?|fields?|values?))")
_RULES = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"^{_VERB}\s+{_DATES}\s+(?:in|of|from)\s+(?P<fields>.+?)\s+(?:to|in|as|into)\s+{_ISO}\b(?P<rest>.*)$",
    rf"^{_VERB}\s+(?P<fields>.+?)\s+(?:to|in|as|into)\s+{_ISO}\b(?P<rest>.*)$",
    rf"^{_VERB}\s+(?P<fields>{_DATES})(?P<rest>(?:\s*[(,;].*)?)$",
    rf"^(?P<fields>.+?)\s+(?:to|in|as|into|(?:must|should)\s+be(?:\s+in)?)\s+{_ISO}\b(?P<rest>.*)$",
))
_ZONE = r"(?P<zone>UTC|[a-z]+(?:/[a-z0-9_+-]+)+)"
_CLAUSES = (
    clause(r"(?:read\s+)?(?:days?[-\s]?first|day\s+before\s+(?:the\s+)?month|dd/mm/yy(?:yy)?|d/m/y|european"
           r"(?:\s+(?:order|style|dates))?)\b", dayfirst=True),
    clause(r"(?:read\s+)?(?:months?[-\s]?first|month\s+before\s+(?:the\s+)?day|mm/dd/yy(?:yy)?|m/d/y|"
           r"(?:us|american)\s+(?:order|style|dates))\b", dayfirst=False),
    clause(rf"(?:naive\s+)?(?:times?\s+(?:are\s+)?)?in\s+(?:zone\s+)?{_ZONE}"),
    clause(rf"(?:time\s*zone|zone|tz)\s*(?:is\s+|:\s*|=\s*)?{_ZONE}"),
)


def recognise(text: str, fields: Mapping[str, FieldType]) -> dict[str, Any] | None:
    return next(({"fields": named, **DEFAULTS, **said} for _, named, said in readings(text, _RULES, fields, _CLAUSES)),
                None)


def check(params: dict[str, Any], fields: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    problems = check_parameters(params, PARAMETERS, ("fields",)) + check_fields(params, fields, TYPES)
    if not isinstance(params.get("dayfirst", False), bool):
        problems.append(f"dayfirst must be true or false; not {params['dayfirst']!r}")
    if params.get("zone") is not None:
        try:
            utc_timestamp.prepare({"zone": params["zone"]})
        except ValueError as exc:
            problems.append(str(exc))
    return problems


class ParseDates(FieldRule):
    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        self.dayfirst = bool(self.params.get("dayfirst", False))
        self.zone = self.params.get("zone")
        self.to_utc = utc_timestamp.prepare({"zone": self.zone or "UTC"})

    def value(self, value: Any) -> tuple[Any, str, str]:
        if blank(value):
            return value, "", ""
        parsed: date | datetime | None
        if isinstance(value, date):  # a datetime is a date too
            parsed, reason, note = value, "", ""
        else:
            parsed, reason, note = read_date(str(value), self.dayfirst)
        if parsed is None:
            return value, reason, ""
        if not isinstance(parsed, datetime):
            return parsed.isoformat(), "", note
        if parsed.tzinfo is None and self.zone is None:
            return parsed.isoformat(), "", note
        # utc_timestamp reads a naive datetime as a wall time in the zone, and aware text as absolute
        outcome = self.to_utc(parsed if parsed.tzinfo is None else parsed.isoformat())
        if outcome.rejected:
            return value, f"{value!r}: {outcome.reason}", ""
        return outcome.value, "", "; ".join(n for n in (note, outcome.reason) if n)


def prepare(params: dict[str, Any]) -> RowRule:
    return ParseDates(params)
