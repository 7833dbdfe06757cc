"""What every pattern needs: its parameters read and checked with located errors, and numbered steps
that carry the lock and risk of their statements (as generators/explicit.py and model_diff.py state them).

A parameter error is a `SpecError` located at the migration's `pattern:` key (its file and line), with
a hint that shows the pattern's usage, so an author sees it as any other spec error.
"""

from __future__ import annotations

import dataclasses
import difflib
from types import ModuleType
from typing import Any, NoReturn

from dbbasic.errors import Problem, SpecError
from dbbasic.generators import model_diff
from dbbasic.generators.steps import batch_key
from dbbasic.plan.model import Step, TransformStep
from dbbasic.specs.data import DataModelBuilder
from dbbasic.specs.loader import Document
from dbbasic.specs.model import DataModel, Field, FieldType, Migration, Table
from dbbasic.specs.schema import load_schema
from dbbasic.specs.schema_errors import schema_problems
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect

TEXT_TYPES = ("text", "string")
"""Semantic types of free text."""


def fail(migration: Migration, code: str, message: str, hint: str) -> NoReturn:
    """Stop compiling: one problem, located where the migration is written."""
    where = migration.source
    raise SpecError([Problem(where.file, where.line, 1, "error", code, f"migration '{migration.id}': {message}",
                             hint)])


def choices(word: str, names: list[str], what: str) -> str:
    """The start of a hint: the closest name, if one is close, then every name."""
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    mean = f"did you mean '{close[0]}'? " if close else ""
    return mean + (f"{what}: {', '.join(sorted(names))}; " if names else f"there are no {what}; ")


class Parameters:
    """The parameters of one pattern migration, read with the pattern's usage at hand for every hint."""

    def __init__(self, migration: Migration, usage: str, takes: tuple[str, ...], options: tuple[str, ...]):
        self.migration = migration
        self.usage = usage
        self.spec = migration.options
        name = self.spec.get("pattern")
        for key in ("field", "fields"):
            if key in self.spec and key not in takes:
                self.fail("pattern-parameter", f"pattern {name} takes no `{key}:`", f"usage: {usage}")
        given = self.spec.get("options", {})
        if not isinstance(given, dict):
            self.fail("pattern-parameter", f"`options:` of pattern {name} must be a mapping", f"usage: {usage}")
        unknown = sorted(set(given) - set(options))
        if unknown:
            self.fail("pattern-parameter", f"pattern {name} has no option `{unknown[0]}`",
                      choices(str(unknown[0]), list(options), "its options") + f"usage: {usage}")
        self.options: dict[str, Any] = given

    def fail(self, code: str, message: str, hint: str) -> NoReturn:
        fail(self.migration, code, message, hint)

    def table(self, model: DataModel) -> Table:
        """The table named by `model:`."""
        name = self.spec.get("model")
        if not isinstance(name, str) or not name:
            self.fail("pattern-parameter", f"pattern {self.spec.get('pattern')} needs `model:`, the table it "
                      "applies to", f"usage: {self.usage}")
        table = model.table(name)
        if table is None:
            self.fail("unknown-model", f"model '{name}' is not in the data model",
                      choices(name, [t.name for t in model.tables], "tables") + f"usage: {self.usage}")
        return table

    def field(self, table: Table, types: tuple[str, ...]) -> Field:
        """The field named by `field:`, of one of the semantic `types`."""
        name = self.spec.get("field")
        if not isinstance(name, str) or not name:
            self.fail("pattern-parameter", f"pattern {self.spec.get('pattern')} needs `field:`, the field of "
                      f"'{table.name}' it applies to", f"usage: {self.usage}")
        return self.named_field(table, name, types)

    def fields(self, table: Table, types: tuple[str, ...], refs: bool = False) -> list[Field]:
        """The fields named by `fields:` (one or more, each once), of the semantic `types` (or references,
        with `refs`)."""
        names = self.spec.get("fields")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
            self.fail("pattern-parameter", f"pattern {self.spec.get('pattern')} needs `fields:`, a list of one "
                      f"or more fields of '{table.name}'", f"usage: {self.usage}")
        repeated = next((n for i, n in enumerate(names) if n in names[:i]), None)
        if repeated is not None:
            self.fail("pattern-parameter", f"`fields:` names '{repeated}' twice", f"usage: {self.usage}")
        return [self.named_field(table, name, types, refs) for name in names]

    def named_field(self, table: Table, name: str, types: tuple[str, ...], refs: bool = False) -> Field:
        """The field `name` of `table`, of one of the semantic `types` (or a reference, with `refs`)."""
        field = table.field(name)
        if field is None:
            self.fail("unknown-field", f"'{name}' is not a field of '{table.name}'",
                      choices(name, [f.name for f in table.fields], f"fields of '{table.name}'")
                      + f"usage: {self.usage}")
        if field.ref is not None and refs:
            return field
        if field.ref is not None or field.type.name not in types:
            fields = [f.name for f in table.fields if (f.ref is None and f.type.name in types) or (f.ref and refs)]
            what = f"a reference to {field.ref}" if field.ref else f"of type {field.type}"
            self.fail("field-type", f"field '{table.name}.{name}' is {what}; pattern {self.spec.get('pattern')} "
                      f"takes a field of type {' or '.join(types)}" + (" or a reference" if refs else ""),
                      (f"fields of '{table.name}' that fit: {', '.join(fields)}; " if fields else "")
                      + f"usage: {self.usage}")
        return field

    def name(self, dialect: Dialect, key: str, default: str) -> str:
        """A name given in `options:` (a column, a view), or its default; plain, and short enough to be kept
        whole (PostgreSQL silently cuts names past 63 bytes)."""
        value = self.options.get(key, default)
        if not isinstance(value, str) or not value.strip() or value != value.strip() or any(
                ord(c) < 32 or ord(c) == 127 for c in value):
            self.fail("pattern-parameter", f"option `{key}` must be a name, not {value!r}", f"usage: {self.usage}")
        if value.lower().startswith("dbbasic_"):
            self.fail("reserved-name", f"'{value}' starts with 'dbbasic_', which is reserved for dbbasic's own "
                      "tables", f"pick another name in `options: {{{key}: ...}}`")
        limit = dialect.max_identifier_bytes
        if limit and len(value.encode()) > limit:
            self.fail("name-too-long", f"the name '{value}' is {len(value.encode())} bytes; {dialect.name} keeps "
                      f"only {limit} and would silently cut it", f"give a shorter one: `options: {{{key}: ...}}`")
        return value

    def new_column(self, table: Table, name: str) -> None:
        """Refuse a column the table already has (SQLite compares names ignoring case): the plan's ADD COLUMN
        would fail."""
        taken = next((f.name for f in table.fields if f.name.casefold() == name.casefold()), None)
        if taken is not None:
            self.fail("name-taken", f"'{table.name}' already has a field '{taken}'",
                      f"pick another name in `options:`; usage: {self.usage}")

    def walk_key(self, dialect: Dialect, model: DataModel, table: Table, what: str) -> Field:
        """The single-column key a batched or transform step walks `table` by (integer, text or uuid); `what`
        says which step needs it, for the message."""
        key = batch_key(dialect, table, model)
        if key is None:
            field = table.field(table.primary_key[0]) if len(table.primary_key) == 1 else None
            found = (f"the key ({', '.join(table.primary_key)}) of '{table.name}'" if field is None
                     else f"the key '{table.name}.{field.name}' is of type {ddl.column_type(dialect, field, model)}")
            self.fail("pattern-key", f"{found}: {what} walks a single-column integer, text or uuid key",
                      "write the migration as explicit steps over such a column")
        return key

    def transform(self, module: ModuleType, parameters: dict[str, Any]) -> dict[str, Any]:
        """Parameters a transform (dbbasic/transforms/) accepts, as given; its message otherwise."""
        try:
            module.prepare(parameters)
        except ValueError as exc:
            self.fail("pattern-parameter", str(exc), f"usage: {self.usage}")
        return parameters

    def new_relation(self, dialect: Dialect, model: DataModel, name: str, what: str) -> None:
        """Refuse a view or index name that a table, key or index of the data model already uses (they share
        one namespace; SQLite compares names ignoring case)."""
        for table in model.tables:
            for taken, owner in ddl.relation_names(dialect, table):
                if taken.casefold() == name.casefold():
                    self.fail("name-taken", f"the {what} '{name}' would take the name of {owner}",
                              f"pick another name in `options:`; usage: {self.usage}")

    def column(self, table: Table) -> Field:
        """The field named by `field:`, of any type (a ref too)."""
        name = self.spec.get("field")
        if not isinstance(name, str) or not name:
            self.fail("pattern-parameter", f"pattern {self.spec.get('pattern')} needs `field:`, the field of "
                      f"'{table.name}' it applies to", f"usage: {self.usage}")
        field = table.field(name)
        if field is None:
            self.fail("unknown-field", f"'{name}' is not a field of '{table.name}'",
                      choices(name, [f.name for f in table.fields], f"fields of '{table.name}'")
                      + f"usage: {self.usage}")
        return field

    def required(self, key: str) -> Any:
        """An option the pattern cannot do without."""
        if key not in self.options:
            self.fail("pattern-parameter", f"pattern {self.spec.get('pattern')} needs `options: {{{key}: ...}}`",
                      f"usage: {self.usage}")
        return self.options[key]

    def data_spec(self, definition: str, spec: Any, what: str) -> Document:
        """Check `spec` against a definition of the `data:` schema (`field`, `index`); the document to read
        it with the data model's parser (DataModelBuilder), whose problems `data_problem` reports."""
        doc = Document(self.migration.source.file, {}, "")
        schema = {"$defs": load_schema("data")["$defs"], "$ref": f"#/$defs/{definition}"}
        self.data_problem(schema_problems(doc, (), spec, schema, what), what)
        return doc

    def data_problem(self, problems: list[Problem], what: str) -> None:
        """Stop at the first problem the data model's schema or parser found in a spec given as options."""
        if problems:
            first = problems[0]
            self.fail(first.code, f"{what}: {first.message}", (f"{first.hint}; " if first.hint else "")
                      + f"usage: {self.usage}")

    def field_spec(self, model: DataModel, name: str, spec: Any, what: str) -> Field:
        """A field written as in `data:` (`string(40)`, or a mapping of its type and constraints), read by
        the data model's own schema and parser; `what` says where it was given, for the message."""
        for key in ("primary_key", "renamed_from", "drop"):
            if isinstance(spec, dict) and key in spec:
                self.fail("pattern-parameter", f"{what} cannot say `{key}:`; a pattern edits one column",
                          f"usage: {self.usage}")
        if isinstance(spec, dict) and "type" not in spec and "ref" not in spec:
            self.fail("pattern-parameter", f"{what} needs `type:` (or `ref:`)", f"usage: {self.usage}")
        doc = self.data_spec("field", spec, what)
        problems: list[Problem] = []
        field = DataModelBuilder((), problems)._field(doc, (), name, spec)[0]
        self.data_problem(problems, what)
        target = model.table(field.ref) if field.ref else None
        if field.ref and (target is None or len(target.primary_key) != 1):
            self.fail("unknown-ref", f"{what}: '{field.ref}' is not a table of the data model with a single-column "
                      "key", choices(field.ref, [t.name for t in model.tables if len(t.primary_key) == 1],
                                     "tables it can refer to") + f"usage: {self.usage}")
        return field


def transform_log(dialect: Dialect, model: DataModel, key: Field, source: Field, into: Field, name: str) -> Table:
    """The log table of a transform step (TransformStep.LOG_COLUMNS): the row's key, the original and the
    result in the types of their columns (so a rollback restores values exactly), the note and the reason."""
    stored = ddl.column_type(dialect, key, model)
    text = FieldType("text")
    row_key, original, result, note, reason = TransformStep.LOG_COLUMNS
    return Table(name, (Field(row_key, FieldType("bigint") if stored.name == "id" else stored, required=True),
                        Field(original, ddl.column_type(dialect, source, model), values=source.values),
                        Field(result, ddl.column_type(dialect, into, model), values=into.values),
                        Field(note, text, required=True), Field(reason, text)), primary_key=(row_key,))


def builds_indexes_online(dialect: Dialect) -> bool:
    """Whether the dialect builds an index without blocking writes (PostgreSQL's CONCURRENTLY), which runs
    outside a transaction: only such a dialect can leave an INVALID index behind, so it says how to find one."""
    return bool(dialect.INVALID_INDEX)


def edit_table(model: DataModel, dialect: Dialect, before: Table, after: Table) -> tuple[Step, ...]:
    """The steps of a schema edit: the data model's own recipe (model_diff) for changing table `before`
    into `after`, so that an edit compiles exactly as the same change of `data:` would."""
    edited = dataclasses.replace(model, tables=tuple(after if t.name == before.name else t for t in model.tables))
    return model_diff.table_change_steps(before, after, model, edited, dialect)
