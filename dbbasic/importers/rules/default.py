"""A value for empty fields.

    - "Default 'status' to 'todo'"
    - "Use 'US' when 'country' is empty"
    - {default: {field: country, value: US}}

Empty means no value, or text that is only whitespace. The value is written as given and cast to the
field's type with the rest of the row (so `Default 'quantity' to 0` gives the integer 0).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dbbasic.importers.outcome import RowRule
from dbbasic.importers.rules._common import (
    TOKEN,
    FieldRule,
    blank,
    check_fields,
    check_parameters,
    field_list,
    normalise,
    unquote,
)
from dbbasic.specs.model import FieldType

NAME = "default"
PHRASINGS = (
    "Default 'status' to 'todo'",
    "Set missing 'country' to 'US'",
    "Fill empty 'country' with 'US'",
    "Use 'US' when 'country' is empty",
    "If 'country' is empty, use 'US'",
    "'country' defaults to 'US'",
)
PARAMETERS = {"fields": "the fields to fill (`field:` for one)", "value": "the value an empty field gets"}
DEFAULTS: dict[str, Any] = {}

_EMPTY = r"(?:empty|blank|missing|null|not\s+given)"
_VALUE = rf"(?P<value>{TOKEN})"
_RULES = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"^default\s+(?P<fields>.+?)\s+(?:to|=|:)\s+{_VALUE}$",
    rf"^(?:set|fill)\s+(?:missing|empty|blank)\s+(?P<fields>.+?)\s+(?:to|with)\s+{_VALUE}$",
    rf"^(?:use|set|put)\s+{_VALUE}\s+(?:when|where|if|for\s+(?:an?\s+)?{_EMPTY})\s+(?P<fields>.+?)"
    rf"(?:\s+(?:is|are)\s+{_EMPTY})?$",
    rf"^(?:if|when)\s+(?P<fields>.+?)\s+(?:is|are)\s+{_EMPTY},?\s+(?:use|set\s+(?:it|them)\s+to)\s+{_VALUE}$",
    rf"^(?P<fields>.+?)\s+defaults?\s+to\s+{_VALUE}$",
))


def recognise(text: str, fields: Mapping[str, FieldType]) -> dict[str, Any] | None:
    text = normalise(text)
    for pattern in _RULES:
        match = pattern.match(text)
        if match and (named := field_list(match["fields"], fields)) is not None:
            return {"fields": named, "value": unquote(match["value"])}
    return None


def check(params: dict[str, Any], fields: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    problems = check_parameters(params, PARAMETERS, ("fields",)) + check_fields(params, fields)
    return problems + ([] if "value" in params else ["needs 'value': the value an empty field gets"])


class Default(FieldRule):
    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        self.default = self.params["value"]

    def value(self, value: Any) -> tuple[Any, str, str]:
        return (self.default if blank(value) else value), "", ""


def prepare(params: dict[str, Any]) -> RowRule:
    return Default(params)
