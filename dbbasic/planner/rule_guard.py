"""The guard of an import answer: free-text import rules (and, with `ai_handles:`, the source's quirks)
translated by the model into structured rules of the library, never into SQL or code.

    verdict = check_rules_answer(text, asked=["Drop rows whose email is on the bounce list"], quirks=[],
                                 types=types, columns=source_columns)

An answer is `{"rules": [{"for": "<a rule or quirk as written>", "use": [{"<rule>": {parameters}}, ...],
"why": "..."}]}`. Every rule asked is answered once, with at least one rule (an empty `use` with its `why` is
the model saying no rule of the library does it: refused, with that reason, for the author to rewrite it); a
quirk may need none (`"use": []`, `why` saying so, e.g. a rule of the spec already covers it). Each
structured rule goes through the library's own reader and `check` (fields that exist, columns of the source,
parameters it takes), as a rule written in the spec would. The rules are the library's code, so there is
nothing to dry-run: what they do to the file's rows is what `dbbasic apply --dry-run --preview-rows N` shows,
locally.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dbbasic.importers import rules
from dbbasic.planner.guard import read_json, schema_reasons
from dbbasic.specs.loader import Document
from dbbasic.specs.model import FieldType
from dbbasic.specs.schema import DRAFT_2020_12

SHAPE = '{"rules": [{"for": "<the rule as written>", "use": [{"<rule name>": {...}}]}]}'


@dataclass(frozen=True)
class RulesVerdict:
    rules: dict[str, tuple[dict[str, Any], ...]]
    """Text (rule or quirk) -> its structured rules, when accepted."""
    reasons: tuple[str, ...]

    @property
    def accepted(self) -> bool:
        return not self.reasons


@functools.cache
def rules_answer_schema() -> dict[str, Any]:
    """The JSON Schema of an import answer (for the client's structured output too). Cached: do not mutate."""
    rule = {"type": "object", "minProperties": 1, "maxProperties": 1,
            "propertyNames": {"enum": [module.NAME for module in rules.RULES]},
            "additionalProperties": {"type": "object"},
            "description": "One rule of the library: its name, and its parameters."}
    entry = {"type": "object", "additionalProperties": False, "required": ["for", "use"],
             "properties": {"for": {"type": "string", "minLength": 1},
                            "use": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
                            "why": {"type": "string"}}}
    return {"$schema": DRAFT_2020_12, "title": "planner import answer", "type": "object",
            "additionalProperties": False, "required": ["rules"],
            "properties": {"rules": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/entry"}}},
            "$defs": {"rule": rule, "entry": entry}}


def check_rules_answer(text: str, *, asked: Sequence[str], quirks: Sequence[str],
                       types: Mapping[str, FieldType], columns: Sequence[str]) -> RulesVerdict:
    """Check a model's import answer: `asked` are the rules no recogniser understood, `quirks` the source's
    quirks the model is trusted with; `types` the target's fields, `columns` the source's."""
    answer, reasons = read_json(text, SHAPE)
    if reasons:
        return RulesVerdict({}, tuple(reasons))
    doc = Document("planner answer", {}, hashlib.sha256(text.encode()).hexdigest())
    reasons = schema_reasons(doc, answer, rules_answer_schema(), "the answer", "answer")
    if reasons:
        return RulesVerdict({}, tuple(reasons))
    found: dict[str, tuple[dict[str, Any], ...]] = {}
    for entry in answer["rules"]:
        text_for, use = entry["for"], entry["use"]
        where = f"rule {text_for!r}" if text_for in asked else f"quirk {text_for!r}"
        if text_for not in asked and text_for not in quirks:
            reasons.append(f"{where}: it is neither a rule nor a quirk of the spec; answer each of them as "
                           "written, and nothing else")
        elif text_for in found:
            reasons.append(f"{where}: it is answered twice; answer each once")
        elif not use and text_for in asked:
            why = entry.get("why") or "no reason given"
            reasons.append(f"{where}: no rule of the library is given for it ({why}); give the rules that do "
                           "it, or the author must rewrite it")
        else:
            found[text_for] = tuple(use)
            reasons += [f"{where}: {r}" for spec in use for r in _check(spec, types, columns)]
    answered = {e["for"] for e in answer["rules"]}
    reasons += [f"{kind} {t!r}: it has no answer; answer every rule and quirk listed"
                for kind, texts in (("rule", asked), ("quirk", quirks)) for t in texts if t not in answered]
    return RulesVerdict({} if reasons else found, tuple(reasons))


def _check(spec: Mapping[str, Any], types: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    try:
        module, parameters = rules.structured(spec)
    except ValueError as exc:
        return [str(exc)]
    return [f"{module.NAME}: {message}; {rules.takes(module)}"
            for message in module.check(parameters, dict(types), tuple(columns))]
