"""Whitespace trimmed from the ends of text values (and runs of it collapsed to one space, if asked).

    - "Trim whitespace"                      (every field)
    - "Trim and collapse whitespace in 'name' and 'company'"
    - {trim: {fields: [name, company], collapse: true}}

Whitespace is what Unicode calls whitespace (so the no-break spaces of spreadsheets too) and the
zero-width characters exports leave behind (U+200B, U+FEFF). Only text values change; `fields: all` (the
default) trims every field of the row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dbbasic.importers.outcome import RowRule
from dbbasic.importers.rules._common import (
    ALL,
    FieldRule,
    check_fields,
    check_parameters,
    clause,
    field_list,
    normalise,
)
from dbbasic.specs.model import FieldType

NAME = "trim"
PHRASINGS = (
    "Trim whitespace",
    "Trim all fields",
    "Trim whitespace from 'name' and 'email'",
    "Trim and collapse whitespace in 'company'",
    "Remove leading and trailing spaces",
)
PARAMETERS = {
    "fields": "the fields to trim (`field:` for one); all (the default) for every field",
    "collapse": "true to also turn each run of whitespace inside a value into one space",
}
DEFAULTS: dict[str, Any] = {"fields": ALL, "collapse": False}

_SPACE = r"(?:white\s*space|spaces|blanks)"
_WHERE = r"(?:\s+(?:from|in|of|on)\s+(?P<fields>.+?))?"
_RULES = (
    clause(rf"^(?:trim|strip)(?:\s+(?:leading\s+and\s+trailing\s+)?{_SPACE})?{_WHERE}$"),
    clause(r"^(?:trim|strip)\s+(?P<fields>.+?)$"),
    clause(rf"^remove\s+(?:leading\s+and\s+trailing|surrounding|extra)\s+{_SPACE}{_WHERE}$"),
    clause(rf"^(?:trim\s+and\s+)?collapse\s+(?:repeated\s+|multiple\s+|double\s+)?{_SPACE}{_WHERE}$", collapse=True),
)
_ENDS = re.compile(r"^[\s\u200b\ufeff]+|[\s\u200b\ufeff]+$")
_RUNS = re.compile(r"[\s\u200b\ufeff]+")


def recognise(text: str, fields: Mapping[str, FieldType]) -> dict[str, Any] | None:
    text = normalise(text)
    for pattern, constants in _RULES:
        match = pattern.match(text)
        if not match:
            continue
        named = field_list(match["fields"], fields, allow_all=True) if match["fields"] else ALL
        if named is not None:
            return {**DEFAULTS, **constants, "fields": named}
    return None


def check(params: dict[str, Any], fields: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    problems = check_parameters(params, PARAMETERS, ()) + check_fields({"fields": params.get("fields", ALL)}, fields,
                                                                        allow_all=True)
    if not isinstance(params.get("collapse", False), bool):
        problems.append(f"collapse must be true or false; not {params['collapse']!r}")
    return problems


class Trim(FieldRule):
    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        self.collapse = bool(self.params.get("collapse", False))

    def value(self, value: Any) -> tuple[Any, str, str]:
        if not isinstance(value, str):
            return value, "", ""
        trimmed = _ENDS.sub("", value)
        return (_RUNS.sub(" ", trimmed) if self.collapse else trimmed), "", ""


def prepare(params: dict[str, Any]) -> RowRule:
    return Trim(params)
