"""Text values in lower, upper or title case.

    - "Lowercase emails"
    - "Convert 'country' to upper case"
    - {change_case: {fields: [first_name, last_name], case: title}}

`lower` and `upper` are Unicode's (`STRASSE` lowercases to `strasse`); `title` capitalises each word, and
each part of a hyphenated one and after a one-letter prefix (`mary-jane o'neil` -> `Mary-Jane O'Neil`,
but `3rd`, `it's`); names such as `McDonald` or `van der Berg` need a look after it. Only text values change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dbbasic.importers.outcome import RowRule
from dbbasic.importers.rules._common import (
    FieldRule,
    check_choice,
    check_fields,
    check_parameters,
    readings,
)
from dbbasic.specs.model import FieldType

NAME = "change_case"
PHRASINGS = (
    "Lowercase emails",
    "Uppercase 'country'",
    "Title-case 'first_name' and 'last_name'",
    "Convert 'state' to upper case",
    "Emails should be lowercase",
)
PARAMETERS = {"fields": "the fields to change (`field:` for one)", "case": "lower, upper or title"}
DEFAULTS: dict[str, Any] = {}
CASES = ("lower", "upper", "title")

_CASE = r"(?P<case>lower|upper|title|capital)"
_RULES = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"^{_CASE}(?:[-\s]?case|ise|ize)?\s+(?P<fields>.+?)$",
    rf"^(?:convert|make|change|put|write|turn)\s+(?P<fields>.+?)\s+(?:(?:to|in|into)\s+)?(?:all\s+)?{_CASE}"
    r"(?:[-\s]?case|s|\s+letters)?$",
    rf"^(?P<fields>.+?)\s+(?:must|should)\s+be\s+(?:in\s+)?(?:all\s+)?{_CASE}(?:[-\s]?case[d]?|s)?$",
))
_NAMES = {"capital": "title"}


def recognise(text: str, fields: Mapping[str, FieldType]) -> dict[str, Any] | None:
    for match, named, _ in readings(text, _RULES, fields):
        case = match["case"].casefold()
        return {"fields": named, "case": _NAMES.get(case, case)}
    return None


def check(params: dict[str, Any], fields: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    problems = check_parameters(params, PARAMETERS, ("fields", "case")) + check_fields(params, fields)
    return problems + (check_choice(params, "case", CASES) if "case" in params else [])


class ChangeCase(FieldRule):
    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        self.change = {"lower": str.lower, "upper": str.upper, "title": _title}[self.params["case"]]

    def value(self, value: Any) -> tuple[Any, str, str]:
        return (self.change(value) if isinstance(value, str) else value), "", ""


_WORD_START = re.compile(r"(?:^|(?<=[\s\-/(\"]))\w|(?<=\b[^\W\d_]')[^\W\d_]")
"""The first character of a word, of each part of a hyphenated one, and after a one-letter prefix with an
apostrophe (O'Neil, d'Arc); not after digits (`3rd`) or in contractions (`it's`)."""


def _title(text: str) -> str:
    return _WORD_START.sub(lambda m: m.group().upper(), text.lower())


def prepare(params: dict[str, Any]) -> RowRule:
    return ChangeCase(params)
