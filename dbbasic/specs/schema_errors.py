"""Turn jsonschema errors into located problems that say what to write instead.

jsonschema's own messages are written for schema authors ("Additional properties are not allowed");
ours name the key, where it is, and the nearest valid spelling.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from dbbasic.errors import Problem
from dbbasic.specs.loader import Document, JsonPath

_JSON_TYPES = {dict: "a mapping", list: "a list", str: "a string", bool: "true or false", int: "a number",
               float: "a number", type(None): "nothing (null)"}
_SCHEMA_TYPES = {"object": "a mapping", "array": "a list", "string": "a string", "boolean": "true or false",
                 "integer": "a whole number", "number": "a number", "null": "null"}


def suggest(word: str, choices: list[str]) -> str:
    """A 'did you mean' hint, or the list of choices when nothing is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"expected one of: {', '.join(sorted(choices))}" if choices else ""


def schema_problems(doc: Document, base: JsonPath, value: Any, schema: dict[str, Any], what: str) -> list[Problem]:
    """Validate `value` (found at `base` in `doc`) against `schema`; one problem per root cause."""
    validator = Draft202012Validator(schema)
    problems: list[Problem] = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        problems += _explain(doc, base, error, what)
    return sorted(set(problems))


def _type_matches(instance: Any, schema: dict[str, Any]) -> bool:
    expected = schema.get("type")
    if expected is None:
        return True
    names = expected if isinstance(expected, list) else [expected]
    checker = Draft202012Validator.TYPE_CHECKER
    return any(checker.is_type(instance, name) for name in names)


def _explain(doc: Document, base: JsonPath, error: ValidationError, what: str) -> Iterator[Problem]:
    path = base + tuple(error.absolute_path)
    name = _name(path, what)
    kind = error.validator
    if kind in ("anyOf", "oneOf") and error.context:
        # Explain the branch written for this kind of value (a mapping, a string...), not all of them.
        branches = [e for e in error.context if _type_matches(error.instance, e.schema)]
        if branches:
            deepest = max(len(e.relative_path) for e in branches)
            for sub in branches:
                if len(sub.relative_path) == deepest:
                    yield from _explain(doc, base, sub, what)
            return
        allowed = [_SCHEMA_TYPES.get(str(s.get("type")), "") or "" for s in error.validator_value]
        yield doc.problem(path, "schema-type", f"'{name}' must be {' or '.join(a for a in allowed if a)}, "
                          f"not {_JSON_TYPES.get(type(error.instance), 'this')}", _describe(error.schema))
    elif kind == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        for key in error.instance:
            if key not in known and str(key).rstrip().endswith(")") and "(" not in str(key):
                yield doc.problem(path + (key,), "flow-comma", f"a value like `decimal(6, 2)` was cut at its comma "
                                  f"inside {{ }} (YAML read '{key}' as a key)",
                                  'quote it: type: "decimal(6, 2)"', key=True)
            elif key not in known:
                yield doc.problem(path + (key,), "unknown-key", f"unknown key '{key}' in {name}",
                                  suggest(key, known), key=True)
    elif kind == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        for key in missing:
            yield doc.problem(path, "missing-key", f"{name} needs the key '{key}'",
                              _describe(error.schema.get("properties", {}).get(key, {})), key=True)
    elif kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        wanted = " or ".join(_SCHEMA_TYPES.get(str(t), str(t)) for t in expected)
        got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        yield doc.problem(path, "schema-type", f"'{name}' must be {wanted}, not {got}", _describe(error.schema))
    elif kind == "enum":
        choices = [str(c) for c in error.validator_value]
        yield doc.problem(path, "schema-enum", f"'{error.instance}' is not a valid value for '{name}'",
                          suggest(str(error.instance), choices))
    elif kind == "pattern":
        yield doc.problem(path, "schema-pattern", f"'{error.instance}' is not a valid {name}",
                          _describe(error.schema) or f"it must match {error.validator_value}")
    else:
        message = error.message if len(error.message) < 160 else error.message[:157] + "..."
        yield doc.problem(path, f"schema-{kind}", f"{name}: {message}", _describe(error.schema))


def _name(path: JsonPath, what: str) -> str:
    """How a message names the value: its key, or `item 2 of steps` for a list item."""
    if not path:
        return what
    if isinstance(path[-1], int):
        return f"item {path[-1] + 1} of {path[-2]}" if len(path) > 1 else f"item {path[-1] + 1}"
    return str(path[-1])


def _describe(schema: dict[str, Any]) -> str:
    """The schema's description as a hint, with its first example when that fits on the line."""
    text = str(schema.get("description", "")).strip().split("\n")[0]
    examples = schema.get("examples")
    if examples:
        example = examples[0] if isinstance(examples[0], str) else json.dumps(examples[0])
        if len(example) <= 60:
            text = f"{text.rstrip('.')}; for example: {example}" if text else f"for example: {example}"
    return text
