"""Source values replaced by the model's values (an enum mapping).

    - "Map status 'Open' to 'todo'"
    - "Map status 'Open', 'New' to 'todo' and 'Closed' to 'done'"
    - {map_values: {field: status, values: {Open: todo, New: todo, Closed: done}}}

A value matches a source value trimmed and case-folded (`' OPEN'` matches `Open`); `''` maps empty
values. Values the mapping does not name stay as they are, so that an enum field rejects them with the
values it takes, rather than the mapping guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dbbasic.importers.outcome import RowRule
from dbbasic.importers.rules._common import (
    QUOTED,
    TOKEN,
    FieldRule,
    check_fields,
    check_parameters,
    readings,
    unquote,
)
from dbbasic.specs.model import FieldType

NAME = "map_values"
PHRASINGS = (
    "Map status 'Open' to 'todo'",
    "Map status 'Open', 'New' to 'todo' and 'Closed' to 'done'",
    "In 'priority', map 'High' to '1' and 'Low' to '3'",
    "Translate 'Y' to 'true' and 'N' to 'false' in 'active'",
)
PARAMETERS = {
    "fields": "the fields whose values are mapped (`field:` for one)",
    "values": "source value -> model value, like {Open: todo, Closed: done}",
}
DEFAULTS: dict[str, Any] = {}

_ARROW = r"(?:to|->|=>|\u2192|=|as|with)"
_SOURCES = rf"{QUOTED}(?:\s*(?:,|\bor\b|/)\s*{QUOTED})*"
_PAIR = rf"{_SOURCES}\s*{_ARROW}\s*{QUOTED}"
_PAIRS = rf"(?P<pairs>{_PAIR}(?:\s*(?:,|;|\band\b)\s*(?:and\s+)?{_PAIR})*)"
_VERB = r"(?:map|translate|recode|convert|replace)"
_RULES = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"^{_VERB}\s+(?:(?:the\s+)?values?\s+(?:of|in)\s+)?(?P<fields>{TOKEN})(?:\s+values)?\s*:?\s+{_PAIRS}$",
    rf"^(?:in|for)\s+(?P<fields>.+?)\s*,?\s+{_VERB}\s+{_PAIRS}$",
    rf"^{_VERB}\s+{_PAIRS}\s+(?:in|for|of)\s+(?P<fields>.+?)$",
))
_ONE_PAIR = re.compile(rf"(?P<sources>{_SOURCES})\s*{_ARROW}\s*(?P<target>{QUOTED})", re.IGNORECASE)
_SOURCE = re.compile(QUOTED)


def recognise(text: str, fields: Mapping[str, FieldType]) -> dict[str, Any] | None:
    for match, named, _ in readings(text, _RULES, fields):
        values = {unquote(source): unquote(pair["target"]) for pair in _ONE_PAIR.finditer(match["pairs"])
                  for source in _SOURCE.findall(pair["sources"])}
        return {"fields": named, "values": values}
    return None


def check(params: dict[str, Any], fields: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    problems = check_parameters(params, PARAMETERS, ("fields", "values")) + check_fields(params, fields)
    values = params.get("values")
    if "values" in params and (not isinstance(values, dict) or not values):
        return [*problems, "values must map source values to model values, like {Open: todo, Closed: done}"]
    seen: dict[str, Any] = {}
    for source, target in (values or {}).items():
        normal = _normal(source)
        if normal in seen and seen[normal] != target:
            problems.append(f"values map {source!r} to {target!r} and to {seen[normal]!r} (source values are "
                            "compared trimmed and case-folded)")
        seen[normal] = target
    return problems


def _normal(value: Any) -> str:
    return str(value).strip().casefold()


class MapValues(FieldRule):
    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        self.table = {_normal(source): target for source, target in self.params["values"].items()}

    def value(self, value: Any) -> tuple[Any, str, str]:
        return self.table.get(_normal("" if value is None else value), value), "", ""


def prepare(params: dict[str, Any]) -> RowRule:
    return MapValues(params)
