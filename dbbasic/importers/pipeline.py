"""One source record through an import: columns mapped to fields, the rules in order, values cast to
the field types. Pure and picklable, so the runner can spread records over worker processes.

    pipeline = Pipeline(step.columns, step.types, step.rules)
    loaded = pipeline.run(source_row)      # Loaded: the values to insert, or the rule and reason it was refused
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dbbasic.importers import cast, rules
from dbbasic.importers.source import SourceRow
from dbbasic.specs.model import FieldType

STRUCTURAL = ("map_field",)
"""Rules that shape the column mapping when the plan is compiled, and do nothing to a row."""
DEDUPE = "skip_duplicates"
"""The rule whose match key the runner checks against the keys seen before (in the file and the table)."""
READ, MODEL = "read", "model"
"""The stages that reject a record before the rules (a malformed record) and after them (a value that does
not fit its field's type, or no value for a required field), as the rejects file names them."""


@dataclass(frozen=True)
class Loaded:
    """A record after the pipeline: `values` (in `Pipeline.fields` order) to insert, or None when `rule`
    refused it for `reason`, with `raw`, the record as it was in the file."""

    line: int
    raw: str
    values: tuple[Any, ...] | None
    rule: str = ""
    reason: str = ""
    key: str | None = None
    """The match key of the duplicate rule; None when there is none or a matched field is empty."""
    notes: tuple[tuple[str, str], ...] = ()
    """(rule, note) for what a reviewer should count, such as an ambiguous date."""
    changed: tuple[str, ...] = ()
    """The rules that changed a value of this record."""


@dataclass
class RuleCounts:
    """Per rule: records it changed, left unchanged, rejected, and noted (ambiguous)."""

    changed: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    noted: Counter[str] = field(default_factory=Counter)

    def add(self, loaded: Loaded, names: list[str]) -> None:
        """Count one record: every rule that ran on it (those before the one that rejected it, if any)."""
        ran = (names[:names.index(loaded.rule) + 1] if loaded.rule in names else [] if loaded.rule == READ
               else names)
        for name in ran:
            if name == loaded.rule:
                self.rejected[name] += 1
            elif name in loaded.changed:
                self.changed[name] += 1
            else:
                self.unchanged[name] += 1
        for name, _ in loaded.notes:
            self.noted[name] += 1

    def to_json(self) -> dict[str, dict[str, int]]:
        return {kind: dict(getattr(self, kind)) for kind in ("changed", "unchanged", "rejected", "noted")}

    @classmethod
    def from_json(cls, data: dict[str, dict[str, int]]) -> RuleCounts:
        return cls(**{kind: Counter(data.get(kind, {})) for kind in ("changed", "unchanged", "rejected", "noted")})


class Pipeline:
    def __init__(self, columns: dict[str, str], types: dict[str, dict[str, Any]],
                 rule_specs: tuple[dict[str, Any], ...] | list[dict[str, Any]]):
        self.columns = columns
        self.fields = tuple(types)
        self.types = [(name, FieldType(t["type"], tuple(t.get("args", ()))), tuple(t.get("values", ())),
                       bool(t.get("required"))) for name, t in types.items()]
        by_name = {module.NAME: module for module in rules.RULES}
        self.rules = [(label(spec, i), by_name[spec["rule"]].prepare(spec["parameters"]))
                      for i, spec in enumerate(rule_specs) if spec["rule"] not in STRUCTURAL]
        self.names = [name for name, _ in self.rules]

    def run(self, record: SourceRow) -> Loaded:
        problem = getattr(record, "problem", "")
        if problem:
            return Loaded(record.line, record.raw, None, READ, problem)
        row: dict[str, Any] = dict.fromkeys(self.fields)
        for column, name in self.columns.items():
            value = record.values.get(column)
            row[name] = value if value != "" else None  # an empty cell is no value: CSV cannot say NULL
        notes: list[tuple[str, str]] = []
        changed: list[str] = []
        key = None
        for name, rule in self.rules:
            if name.startswith(DEDUPE):
                key = rule.key(row)  # the duplicate rule has its own interface
                continue
            outcome = rule(row)
            if outcome.reject:
                return Loaded(record.line, record.raw, None, name, outcome.reject, notes=tuple(notes),
                              changed=tuple(changed))
            if outcome.changed:
                changed.append(name)
            if outcome.note:
                notes.append((name, outcome.note))
        values = []
        for name, ftype, allowed, required in self.types:
            value, reason = cast.cast(row[name], ftype, allowed)
            if not reason and value is None and required:
                reason = "required, and the record has no value for it"
            if reason:
                return Loaded(record.line, record.raw, None, MODEL, f"{name}: {reason}", notes=tuple(notes),
                              changed=tuple(changed))
            values.append(value)
        # No raw text: only rejects are written out, and a worker sends back less.
        return Loaded(record.line, "", tuple(values), key=key, notes=tuple(notes), changed=tuple(changed))


def label(spec: dict[str, Any], index: int) -> str:
    """How the reports name a rule: its name, and its place when a plan has it more than once."""
    return f"{spec['rule']}#{index + 1}"
