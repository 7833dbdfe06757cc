"""Rows with an empty required field are rejected.

    - "'email' is required"
    - "Skip rows without an email"
    - {required: {fields: [email, name]}}

Empty means no value, or text that is only whitespace. With several fields, each one is required; the
reason names the first one found empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dbbasic.importers.outcome import RowRule
from dbbasic.importers.rules._common import FieldRule, blank, check_fields, check_parameters, field_list, normalise
from dbbasic.specs.model import FieldType

NAME = "required"
PHRASINGS = (
    "'email' is required",
    "Email and name are required",
    "Require 'email'",
    "Skip rows without an email",
    "Reject rows with no phone number",
    "'name' must not be empty",
    "Every row must have an email",
)
PARAMETERS = {"fields": "the fields that must have a value (`field:` for one)"}
DEFAULTS: dict[str, Any] = {}

_EMPTY = r"(?:empty|blank|missing|null)"
_RULES = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"^(?P<fields>.+?)\s+(?:is|are)\s+(?:required|mandatory)$",
    r"^require\s+(?:an?\s+|the\s+)?(?P<fields>.+?)$",
    r"^(?:skip|drop|reject|ignore|discard|exclude)\s+(?:rows|records|entries)\s+(?:without|with\s+no|with\s+"
    rf"(?:an?\s+)?(?:{_EMPTY})|missing|that\s+lack|lacking)\s+(?:an?\s+|the\s+)?(?P<fields>.+?)$",
    rf"^(?P<fields>.+?)\s+(?:must\s+not|mustn't|cannot|can't|may\s+not|should\s+not|shouldn't)\s+be\s+{_EMPTY}$",
    r"^(?:every|each)\s+(?:row|record|entry)\s+(?:must|should)\s+have\s+(?:an?\s+|the\s+)?(?P<fields>.+?)$",
))


def recognise(text: str, fields: Mapping[str, FieldType]) -> dict[str, Any] | None:
    text = normalise(text)
    for pattern in _RULES:
        match = pattern.match(text)
        if match and (named := field_list(match["fields"], fields)) is not None:
            return {"fields": named}
    return None


def check(params: dict[str, Any], fields: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    return check_parameters(params, PARAMETERS, ("fields",)) + check_fields(params, fields)


class Required(FieldRule):
    def value(self, value: Any) -> tuple[Any, str, str]:
        return value, ("it is empty, and required" if blank(value) else ""), ""


def prepare(params: dict[str, Any]) -> RowRule:
    return Required(params)
