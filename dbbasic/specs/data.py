"""Build the data model from `data:` sections, checking what a JSON Schema cannot.

Types are known, refs resolve to a table with a single-column key, enum defaults are among the values,
names are unique after case folding (PostgreSQL folds unquoted names; two `Email` fields are a trap)
and fit the identifier limit of every dialect the project compiles for.
"""

from __future__ import annotations

import math
import re
from typing import Any

from dbbasic.errors import Problem
from dbbasic.specs.loader import Document, JsonPath
from dbbasic.specs.model import SEMANTIC_TYPES, DataModel, Field, FieldType, Index, IndexColumn, Source, Table
from dbbasic.specs.schema_errors import suggest
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect

_TYPE_EXPR = re.compile(r"^\s*([a-z_]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")
_INDEX_COLUMN = re.compile(r"^\s*(\S+)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)
KEY_TYPES = ("id", "uuid")


class DataModelBuilder:
    """Collects the tables of every `data:` section, then checks and freezes them."""

    def __init__(self, dialects: tuple[str, ...], problems: list[Problem]):
        self.dialects = [Dialect.get(d) for d in dialects]
        self.problems = problems
        self.entries: list[tuple[Document, JsonPath, str, dict[str, Any]]] = []
        self.dropped: list[str] = []
        self.source: Source | None = None

    def add(self, doc: Document, path: JsonPath, data: dict[str, Any]) -> None:
        if self.source is None:
            self.source = Source(doc.file, doc.pos(path, key=True).line, doc.sha256)
        self.entries += [(doc, path + (name,), name, table) for name, table in data.items() if not table.get("drop")]
        self.dropped += [name for name, table in data.items() if table.get("drop")]

    def build(self) -> DataModel:
        seen: dict[str, tuple[Document, JsonPath]] = {}
        for doc, path, name, _ in self.entries:
            self._check_name(doc, path, name, "table", seen)
        tables = [self._table(doc, path, name, spec) for doc, path, name, spec in self.entries]
        by_name = {t.name: t for t in tables}
        for (doc, path, _, _), table in zip(self.entries, tables, strict=True):
            self._check_refs(doc, path, table, by_name)
        model = DataModel(tuple(tables), self.source, tuple(self.dropped))
        if not any(p.level == "error" for p in self.problems):
            self._check_generated_names(model)
        return model

    def _check_generated_names(self, model: DataModel) -> None:
        """Two tables, keys or indexes that would get the same name fail at apply time; say so now."""
        for dialect in self.dialects:
            seen: dict[str, str] = {}
            for (doc, path, _, _), table in zip(self.entries, model.tables, strict=True):
                for name, what in ddl.relation_names(dialect, table):
                    if name in seen:
                        self.problems.append(doc.problem(
                            path, "name-clash", f"{what} would be named '{name}' on {dialect.name}, "
                            f"the name of {seen[name]}", "rename one, or give the index a `name:`", key=True))
                    seen.setdefault(name, what)

    # -- one table -------------------------------------------------------------------------------------

    def _table(self, doc: Document, path: JsonPath, name: str, spec: dict[str, Any]) -> Table:
        fields: list[Field] = []
        seen: dict[str, tuple[Document, JsonPath]] = {}
        declared_pk: list[str] = []
        dropped = tuple(n for n, f in spec["fields"].items() if isinstance(f, dict) and f.get("drop"))
        for fname, fspec in spec["fields"].items():
            if fname in dropped:
                continue
            fpath = path + ("fields", fname)
            self._check_name(doc, fpath, fname, "field", seen)
            field, is_pk = self._field(doc, fpath, fname, fspec)
            fields.append(field)
            if is_pk:
                declared_pk.append(fname)
        columns = [f.name for f in fields]
        primary_key = self._primary_key(doc, path, spec, fields, declared_pk)
        unique = tuple(tuple(self._columns(doc, path + ("unique", i), group, columns))
                       for i, group in enumerate(spec.get("unique", [])))
        indexes = tuple(self._index(doc, path + ("indexes", i), index, columns)
                        for i, index in enumerate(spec.get("indexes", [])))
        for field in fields:
            if field.type.name == "id" and primary_key != (field.name,):
                self.problems.append(doc.problem(
                    path + ("fields", field.name), "id-not-key",
                    f"field '{field.name}' has type id, which is only for a table's own single-column key",
                    "use bigint for a plain number, or ref: <table> to point at another table"))
        return Table(name, tuple(fields), primary_key, unique, indexes, spec.get("description", ""),
                     spec.get("renamed_from"), dropped, doc.pos(path, key=True).line,
                     dict(spec.get("lint", {}).get("ignore", {})))

    def _primary_key(self, doc: Document, path: JsonPath, spec: dict[str, Any], fields: list[Field],
                     declared: list[str]) -> tuple[str, ...]:
        table_pk = spec.get("primary_key")
        if table_pk is not None:
            if declared:
                self.problems.append(doc.problem(path + ("primary_key",), "primary-key-twice",
                                                 "the primary key is given both here and on a field",
                                                 "keep one of the two"))
            group = [table_pk] if isinstance(table_pk, str) else table_pk
            return tuple(self._columns(doc, path + ("primary_key",), group, [f.name for f in fields]))
        if len(declared) > 1:
            self.problems.append(doc.problem(path, "primary-key-twice",
                                             f"several fields say primary_key: {', '.join(declared)}",
                                             "for a composite key write `primary_key: [a, b]` on the table"))
        if declared:
            return tuple(declared[:1])
        implicit = next((f for f in fields if f.name == "id" and f.type.name in KEY_TYPES), None)
        if implicit:
            return (implicit.name,)
        self.problems.append(doc.problem(path, "no-primary-key", f"table '{path[-1]}' has no primary key",
                                         "add `id: id` (or `id: uuid`), or `primary_key: [...]`",
                                         level="warning", key=True))
        return ()

    def _field(self, doc: Document, path: JsonPath, name: str, spec: str | dict[str, Any]) -> tuple[Field, bool]:
        if isinstance(spec, str):
            spec = {"type": spec}
        ref = spec.get("ref")
        ftype = FieldType("ref") if ref and "type" not in spec else self._type(doc, path, spec.get("type", "text"))
        if "type" in spec and ref:
            self.problems.append(doc.problem(path + ("type",), "ref-with-type",
                                             "a ref field takes the type of the key it points to",
                                             "remove `type:` from this field"))
        values = tuple(spec.get("values", ()))
        default = spec.get("default")
        if ftype.name == "enum":
            if not values:
                self.problems.append(doc.problem(path, "enum-values", f"enum field '{name}' lists no values",
                                                 "add `values: [a, b, c]`"))
            elif default is not None and default not in values:
                self.problems.append(doc.problem(path + ("default",), "enum-default",
                                                 f"default '{default}' is not among the values of '{name}'",
                                                 suggest(str(default), [str(v) for v in values])))
            if len(set(map(str, values))) != len(values):
                self.problems.append(doc.problem(path + ("values",), "enum-values", "values repeat",
                                                 "list each value once"))
        elif values:
            self.problems.append(doc.problem(path + ("values",), "values-not-enum",
                                             f"values are only for enum fields, and '{name}' is {ftype}",
                                             "write `type: enum`, or remove `values:`"))
        if default == "now" and ftype.name not in ("timestamp", "date"):
            self.problems.append(doc.problem(path + ("default",), "default-now",
                                             f"default 'now' needs a timestamp or date field, and '{name}' is {ftype}",
                                             "quote it as a literal text (\"'now'\") or change the type"))
        elif default is not None and not _default_fits(ftype.name, default):
            self.problems.append(doc.problem(path + ("default",), "default-type",
                                             f"default {default!r} does not fit type {ftype}",
                                             "give a value of the field's type"))
        on_delete = spec.get("on_delete")
        if on_delete and not ref:
            self.problems.append(doc.problem(path + ("on_delete",), "on-delete-without-ref",
                                             "on_delete only applies to a ref field", "add `ref: <table>`"))
        if on_delete == "set_null" and spec.get("required"):
            self.problems.append(doc.problem(path + ("on_delete",), "set-null-required",
                                             "on_delete: set_null on a required field can never succeed",
                                             "use cascade or restrict, or make the field optional"))
        field = Field(name=name, type=ftype, required=bool(spec.get("required", False)),
                      unique=bool(spec.get("unique", False)), index=bool(spec.get("index", False)),
                      default=default, values=values, ref=ref, on_delete=on_delete,
                      description=spec.get("description", ""), renamed_from=spec.get("renamed_from"),
                      line=doc.pos(path, key=True).line)
        return field, bool(spec.get("primary_key", False))

    def _type(self, doc: Document, path: JsonPath, text: str) -> FieldType:
        where = path + ("type",) if path + ("type",) in doc.positions else path
        match = _TYPE_EXPR.match(text)
        if not match or match.group(1) not in SEMANTIC_TYPES:
            word = match.group(1) if match else text
            self.problems.append(doc.problem(where, "unknown-type", f"unknown type '{text}'",
                                             suggest(word, list(SEMANTIC_TYPES))))
            return FieldType("text")
        name = match.group(1)
        args = tuple(int(a) for a in match.groups()[1:] if a is not None)
        if len(args) > SEMANTIC_TYPES[name] or (name == "decimal" and len(args) == 1):
            usage = {"string": "string(120)", "decimal": "decimal(10, 2)"}.get(name, name)
            self.problems.append(doc.problem(where, "type-arguments", f"type '{text}' takes other arguments",
                                             f"write it as {usage}"))
            return FieldType(name)
        if name == "decimal" and args and args[1] > args[0]:
            self.problems.append(doc.problem(where, "type-arguments", f"'{text}': scale is larger than precision",
                                             "decimal(p, s) needs s <= p, e.g. decimal(10, 2)"))
        if name == "string" and args and args[0] < 1:
            self.problems.append(doc.problem(where, "type-arguments", "a string needs a length of at least 1",
                                             "write string(120), or text for no limit"))
        return FieldType(name, args)

    def _index(self, doc: Document, path: JsonPath, spec: Any, columns: list[str]) -> Index:
        if isinstance(spec, dict):
            index = Index(self._index_columns(doc, path + ("columns",), spec["columns"], columns),
                          bool(spec.get("unique", False)), spec.get("name"), spec.get("where"))
            if index.name:
                self._check_length(doc, path + ("name",), index.name, "index")
            if index.where:
                self._check_predicate(doc, path + ("where",), index.where)
            return index
        return Index(self._index_columns(doc, path, spec, columns))

    def _check_predicate(self, doc: Document, path: JsonPath, text: str) -> None:
        for dialect in self.dialects:
            try:
                ddl.predicate(dialect, text)
            except ValueError:
                self.problems.append(doc.problem(path, "index-where", f"`{text}` is not one SQL condition in "
                                                 f"{dialect.name}", "write a condition such as `deleted_at IS NULL`"))
                return

    def _index_columns(self, doc: Document, path: JsonPath, spec: str | list[str], columns: list[str]
                       ) -> tuple[IndexColumn, ...]:
        """`created_at desc` or `[a, b desc]`: each item a column name and an optional direction."""
        items = [(path, spec)] if isinstance(spec, str) else [(path + (i,), text) for i, text in enumerate(spec)]
        result = []
        for where, text in items:
            match = _INDEX_COLUMN.match(text)
            name = match.group(1) if match else text
            if name not in columns:
                self.problems.append(doc.problem(where, "unknown-column",
                                                 f"index column '{text}' is not a field of this table",
                                                 suggest(name, columns)))
                continue
            result.append(IndexColumn(name, bool(match and (match.group(2) or "").lower() == "desc")))
        return tuple(result)

    def _columns(self, doc: Document, path: JsonPath, group: list[str], columns: list[str]) -> list[str]:
        for i, name in enumerate(group):
            if name not in columns:
                self.problems.append(doc.problem(path + (i,), "unknown-column",
                                                 f"'{name}' is not a field of this table", suggest(name, columns)))
        return list(group)

    def _check_refs(self, doc: Document, path: JsonPath, table: Table, tables: dict[str, Table]) -> None:
        for field in table.fields:
            if not field.ref:
                continue
            where = path + ("fields", field.name, "ref")
            target = tables.get(field.ref)
            if target is None:
                self.problems.append(doc.problem(where, "unknown-ref",
                                                 f"'{field.name}' refers to table '{field.ref}', which is not defined",
                                                 suggest(field.ref, list(tables))))
            elif len(target.primary_key) != 1:
                self.problems.append(doc.problem(where, "ref-key",
                                                 f"table '{field.ref}' has no single-column primary key to refer to",
                                                 f"give '{field.ref}' an `id: id` field"))
            elif _key_chain(field, tables) is None:
                self.problems.append(doc.problem(where, "ref-key", f"'{field.name}' refers to a key that refers "
                                                 "back, in a circle: no table holds the key's own type",
                                                 "give one table of the circle an `id: id` key"))

    # -- names -------------------------------------------------------------------------------------------

    def _check_name(self, doc: Document, path: JsonPath, name: str, what: str,
                    seen: dict[str, tuple[Document, JsonPath]]) -> None:
        folded = name.casefold()
        if folded in seen:
            first_doc, first_path = seen[folded]
            at = first_doc.pos(first_path, key=True)
            self.problems.append(doc.problem(
                path, f"duplicate-{what}", f"{what} '{name}' is already defined as '{first_path[-1]}' "
                f"at {first_doc.file}:{at.line}:{at.col} (names are compared ignoring case)",
                f"rename one of the two {what}s", key=True))
        else:
            seen[folded] = (doc, path)
        if not name.strip() or any(ord(c) < 32 or ord(c) == 127 for c in name):
            self.problems.append(doc.problem(path, "bad-name", f"{what} name {name!r} is empty or holds a control "
                                             "character (newline, tab, NUL...)", "use a plain name", key=True))
        if name.lower().startswith("dbbasic_"):
            self.problems.append(doc.problem(path, "reserved-name", f"{what} names starting with 'dbbasic_' are "
                                             "reserved for dbbasic's own tables", "choose another name", key=True))
        self._check_length(doc, path, name, what)

    def _check_length(self, doc: Document, path: JsonPath, name: str, what: str) -> None:
        for dialect in self.dialects:
            limit = dialect.max_identifier_bytes
            if limit and len(name.encode()) > limit:
                self.problems.append(doc.problem(
                    path, "name-too-long", f"{what} name '{name}' is {len(name.encode())} bytes; "
                    f"{dialect.name} keeps only {limit} and would silently cut it", "shorten the name",
                    key=isinstance(path[-1], str)))


def _key_chain(field: Field, tables: dict[str, Table]) -> Field | None:
    """The field that finally holds a ref's type (a key may itself be a ref); None for a circle."""
    seen: set[str] = set()
    while field.ref:
        target = tables.get(field.ref)
        if target is None or len(target.primary_key) != 1 or target.name in seen:
            return None
        seen.add(target.name)
        key = target.field(target.primary_key[0])
        if key is None:
            return None
        field = key
    return field


def _default_fits(type_name: str, value: Any) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False  # .nan and .inf have no SQL literal
    if type_name == "json":
        return True
    if isinstance(value, (dict, list)):
        return False
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name in ("int", "bigint", "id"):
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name in ("float", "decimal"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return not isinstance(value, bool)
