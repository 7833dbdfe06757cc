"""A source column loaded into a model field of another name.

    - "Map 'Company' field to 'Organization'"
    - "Rename column 'E-Mail Address' to 'email'"
    - {map_field: {from: Company, to: organization}}

Structural: it shapes the column mapping when the plan is compiled and does nothing to a row (`prepare`
refuses). `from` is the source column as written in the file, found ignoring case, spaces and
punctuation (`source_column` gives it as the file spells it); `to` is a model field, found the same way.
Columns that no rule maps are matched to fields by their names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from dbbasic.importers.headers import header_key
from dbbasic.importers.rules._common import (
    TOKEN,
    check_fields,
    check_parameters,
    normalise,
    resolve_field,
    unquote,
)
from dbbasic.specs.model import FieldType

NAME = "map_field"
PHRASINGS = (
    "Map 'Company' field to 'Organization'",
    "Rename column 'E-Mail Address' to 'email'",
    "Import 'Company' as 'organization'",
    "'Company' goes into 'organization'",
)
PARAMETERS = {"from": "the source column, as the file names it", "to": "the model field it is loaded into"}
DEFAULTS: dict[str, Any] = {}

_SIDE = r"(?:the\s+)?(?:source\s+|model\s+)?(?:field\s+|column\s+)?(?P<{}>" + TOKEN + r")(?:\s+(?:field|column))?"
_RULES = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"^(?:map|rename|import|load|read|put|copy|move)\s+{_SIDE.format('from')}\s+(?:to|into|onto|as)\s+"
    rf"{_SIDE.format('to')}$",
    rf"^{_SIDE.format('from')}\s+(?:goes\s+(?:in)?to|becomes|maps\s+to|is\s+loaded\s+into|->|=>|\u2192)\s+"
    rf"{_SIDE.format('to')}$",
    rf"^use\s+{_SIDE.format('from')}\s+(?:for|as)\s+{_SIDE.format('to')}$",
))


def recognise(text: str, fields: Mapping[str, FieldType]) -> dict[str, Any] | None:
    text = normalise(text)
    for pattern in _RULES:
        match = pattern.match(text)
        if not match:
            continue
        target = resolve_field(unquote(match["to"]), fields)
        if target is None and unquote(match["to"]) == match["to"]:
            continue  # a bare word that is no field: not a mapping ("Map Company to uppercase")
        return {"from": unquote(match["from"]), "to": target or unquote(match["to"])}
    return None


def source_column(params: Mapping[str, Any], columns: Sequence[str]) -> str | None:
    """The source column `from` names, as the file spells it: itself, or the one column equal to it
    ignoring case, spaces and punctuation; None when there is none or more than one."""
    written = str(params.get("from", ""))
    if written in columns:
        return written
    same = [c for c in columns if header_key(c) == header_key(written)]
    return same[0] if len(same) == 1 else None


def check(params: dict[str, Any], fields: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    problems = check_parameters(params, PARAMETERS, ("from", "to"))
    if problems:
        return problems
    if source_column(params, columns) is None:
        problems.append(f"the source has no column {params['from']!r} (its columns are: {', '.join(columns)})")
    return problems + check_fields({"fields": [params["to"]]}, fields)


def prepare(params: dict[str, Any]) -> NoReturn:
    raise TypeError("map_field shapes the column mapping when the plan is compiled; it has no row rule")
