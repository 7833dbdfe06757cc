"""Rows whose match fields equal those of a row seen before (earlier in the file, or already in the table)
are skipped: the first one stays.

    - "Skip duplicates (match by email)"
    - "Skip duplicate rows matching on 'first_name', 'last_name' and 'birth_date'"
    - {skip_duplicates: {fields: [email]}}

The rule itself changes nothing: `key(row)` gives the row's match key and the runner keeps the keys it
has seen (in the database, so a resumed import remembers them). Values are compared trimmed, with runs
of spaces collapsed and case-folded (`  Ann@Example.COM` matches `ann@example.com`); several fields are
joined by the unit separator. A row with an empty match field has no key and never matches: two rows
without an email are not duplicates of each other. The rule sees values as the rules before it left them,
so a phone number normalised first matches however it was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dbbasic.importers.outcome import UNCHANGED, RuleOutcome
from dbbasic.importers.rules._common import Prepared, blank, check_fields, check_parameters, field_list, normalise
from dbbasic.specs.model import FieldType

NAME = "skip_duplicates"
PHRASINGS = (
    "Skip duplicates (match by email)",
    "Skip duplicate rows matching on 'first_name', 'last_name' and 'birth_date'",
    "Remove duplicates based on email",
    "Deduplicate by 'email'",
    "Skip rows with a duplicate email",
)
PARAMETERS = {"fields": "the fields whose values identify a duplicate (`field:` for one)"}
DEFAULTS: dict[str, Any] = {}
SEPARATOR = "\x1f"

_SKIP = r"(?:skip|drop|remove|ignore|discard|reject|exclude)"
_BY = r"(?:(?:match(?:ed|ing)?|keyed|identified|compared)\s+(?:by|on)|by|on|based\s+on|using|with\s+the\s+same)"
_RULES = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"^{_SKIP}\s+(?:the\s+|any\s+)?duplicates?(?:\s+(?:rows|records|entries|contacts))?"
    rf"(?:[\s,;:(]*{_BY}[\s:]+(?P<fields>.+?)[\s)]*)?$",
    rf"^(?:de-?dupe|de-?duplicate)(?:\s+(?:the\s+)?(?:rows|records|entries))?(?:\s+{_BY}\s+(?P<fields>.+?))?$",
    rf"^{_SKIP}\s+(?:rows|records|entries)\s+with\s+(?:an?\s+)?(?:duplicate|repeated)\s+(?P<fields>.+?)$",
    rf"^{_SKIP}\s+(?:duplicate|repeated)\s+(?P<fields>.+?)$",
))
_SPACES = re.compile(r"\s+")


def recognise(text: str, fields: Mapping[str, FieldType]) -> dict[str, Any] | None:
    text = normalise(text)
    for pattern in _RULES:
        match = pattern.match(text)
        if not match:
            continue
        named = field_list(match["fields"], fields) if match["fields"] else []
        if named is not None:
            return {"fields": named}
    return None


def check(params: dict[str, Any], fields: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    problems = check_parameters(params, PARAMETERS, ())
    if not params.get("fields"):
        return [*problems, "needs the fields that identify a duplicate: 'Skip duplicates (match by email)', or "
                "`fields: [email]`"]
    return problems + check_fields(params, fields)


class SkipDuplicates(Prepared):
    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        names = self.params["fields"]
        self.fields: list[str] = [names] if isinstance(names, str) else list(names)

    def key(self, row: dict[str, Any]) -> str | None:
        """The row's match key; None when a match field is empty (such a row matches nothing)."""
        parts = []
        for name in self.fields:
            value = row.get(name)
            if blank(value):
                return None
            parts.append(_SPACES.sub(" ", str(value).strip()).casefold())
        return SEPARATOR.join(parts)

    def __call__(self, row: dict[str, Any]) -> RuleOutcome:
        return UNCHANGED


def prepare(params: dict[str, Any]) -> SkipDuplicates:
    return SkipDuplicates(params)
