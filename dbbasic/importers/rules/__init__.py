"""The import rules: one module per rule, each understanding free text and a structured form.

A rule module exposes `NAME`, `PHRASINGS` (free text it understands, for the error that lists them),
`PARAMETERS` (structured form: parameter -> what it is), `DEFAULTS` (the parameters a rule has when it
does not say them, so that the plan states every one), `recognise(text, fields)` (free text -> its
parameters, or None), `check(params, fields, columns)` (problems a person can act on) and
`prepare(params) -> RowRule`. `RULES` is the only registry; `understand` tries the recognisers in its
order, and a text none understands is never guessed at.

    understand("Normalize all phone numbers to E.164 (default region US)", {"phone": FieldType("phone")})
    # (normalize_phone, {"fields": ["phone"], "invalid": "reject", "default_region": "US"})
    structured({"normalize_phone": {"field": "phone", "default_region": "US"}})
    # (normalize_phone, {"invalid": "reject", "fields": ["phone"], "default_region": "US"})
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from dbbasic.importers.rules import (
    change_case,
    default,
    map_field,
    map_values,
    normalize_phone,
    parse_dates,
    required,
    skip_duplicates,
    trim,
    validate_email,
)
from dbbasic.specs.model import FieldType

RULES: tuple[ModuleType, ...] = (map_field, map_values, skip_duplicates, normalize_phone, parse_dates,
                                 validate_email, required, default, change_case, trim)
BY_NAME = {module.NAME: module for module in RULES}


def understand(text: str, fields: Mapping[str, FieldType]) -> tuple[ModuleType, dict[str, Any]] | None:
    """The first rule whose recogniser understands `text`, with its parameters; None when none does."""
    for module in RULES:
        params = module.recognise(text, fields)
        if params is not None:
            return module, params
    return None


def structured(spec: Mapping[str, Any]) -> tuple[ModuleType, dict[str, Any]]:
    """A rule written as `{name: {parameters}}`; `field: x` stands for `fields: [x]`. ValueError when the
    shape or the name is wrong; the parameters themselves are for the module's `check`."""
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise ValueError("a structured rule is one rule name with its parameters, like "
                         "{normalize_phone: {field: phone, default_region: US}}")
    ((name, given),) = spec.items()
    module = BY_NAME.get(name)
    if module is None:
        close = difflib.get_close_matches(str(name), list(BY_NAME), n=1)
        mean = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"there is no rule {name!r}: {mean}the rules are: {', '.join(BY_NAME)}")
    if given is not None and not isinstance(given, Mapping):
        raise ValueError(f"the parameters of {name} must be a mapping, like {{{', '.join(module.PARAMETERS)}}}")
    params = dict(given or {})
    if "field" in params and "fields" in module.PARAMETERS:
        if "fields" in params:
            raise ValueError(f"{name} takes `field:` (one) or `fields:` (a list), not both")
        params["fields"] = [params.pop("field")]
    return module, {**module.DEFAULTS, **params}


def takes(module: ModuleType) -> str:
    """What a rule's structured form takes, for messages about its parameters."""
    return f"{module.NAME} takes: " + "; ".join(f"{k}: {v}" for k, v in module.PARAMETERS.items())


def phrasebook() -> str:
    """What the recognisers understand, a line per rule (its name, then its phrasings): for the error that
    names a rule nothing understood."""
    return "\n".join(f"{module.NAME}: " + "; ".join(f'"{p}"' for p in module.PHRASINGS) for module in RULES)
