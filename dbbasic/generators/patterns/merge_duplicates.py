"""Merge duplicate rows of a table into one, repointing every reference, with mapping tables to undo it.

    migration:
      task: "Merge users that signed up twice with the same email"
      pattern: merge_duplicates
      model: users
      fields: [email]                                  # one or more fields that together say "the same"
      options: {keep: oldest, by: created_at, mapping: users_merged}   # optional; these are the defaults

Rows match when every field in `fields:` matches (`match_key` is the rule for text; other fields match
when equal); a row with a NULL or blank matched field matches nothing. In each group of matching rows one
row is kept (`keep:` oldest or newest by `by:`, or the most complete, ties broken by the key) and the
others are merged into it: every reference to a merged row, in every table of the data model, is
repointed to the kept row, then the merged row is deleted. The kept row is not changed.

Three tables make it undoable: `<mapping>` (merged key -> kept key, for the application too),
`<mapping>_rows` (a copy of each merged row, every column in its own type, made with
`CREATE TABLE ... AS SELECT * ... WHERE 1 = 0`, so rollback re-inserts it exactly, columns outside the data
model included) and `<mapping>_refs` (each referencing row that was repointed: its table, column and
primary key, as a JSON array, and the key it held). Rollback re-inserts the merged rows, points exactly
the recorded references back (a row that already pointed at the kept row stays) and drops the tables.

Steps: a check that no unique key of a referencing table would be violated by the repointing (before
anything changes); create the mapping tables; merge, in one transaction; check that no duplicate group is
left and that nothing references a merged key. The merge is one transaction, not batches: committed in
parts, the application could point a new row at a merged row between a batch that repoints and the one
that deletes, and an `ON DELETE CASCADE` would then delete that row silently. On PostgreSQL the step locks
the rows of the duplicate groups (`FOR UPDATE`) before it computes the mapping, and the merged rows again
before it copies them, so that their content and every new reference to them wait for the commit (and then
fail, the row being gone); SQLite's one writer gives the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbbasic.generators.patterns._common import TEXT_TYPES, Parameters
from dbbasic.generators.steps import Steps
from dbbasic.plan.model import Step
from dbbasic.specs.model import DataModel, Field, FieldType, Migration, Table
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect

NAME = "merge_duplicates"
VERSION = 1
USAGE = ("`pattern: merge_duplicates`, `model: TABLE`, `fields: [FIELD, ...]`, optional "
         "`options: {keep: oldest|newest|most_complete, by: created_at, mapping: TABLE_merged}`")

KEEP = ("oldest", "newest", "most_complete")
"""Which row of a duplicate group is kept."""
FOLDED_TYPES = (*TEXT_TYPES, "email", "phone", "url")
"""Semantic types matched by `match_key` (case- and space-insensitive)."""
EXACT_TYPES = ("int", "bigint", "bool", "date", "enum")
"""Semantic types matched by equality, as references are. Timestamps, floats, decimals, json and uuids are
not taken: their equality is not the same on SQLite (text, REAL) and PostgreSQL."""
ORDER_TYPES = ("timestamp", "date", "int", "bigint", "id")
"""Semantic types of a `by:` field, which orders the rows of a group by age."""
SPACES = "\t\n\r"
"""Characters read as a space before runs of spaces are collapsed."""
COLLAPSE_PASSES = 16
"""`replace(x, '  ', ' ')` passes: each halves every run of spaces, so runs of up to 2**16 collapse to one.
The same expression on both dialects (SQLite has no regular expressions), so both always agree."""
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def match_key(text: str | None) -> str | None:
    """What a text field is compared by (the rule the SQL of every dialect implements): tabs and line breaks
    read as spaces, runs of spaces collapsed to one, spaces trimmed at both ends, ASCII letters folded to
    lower case (other letters kept as written: SQLite's lower() folds ASCII only). NULL and blank give None,
    which matches nothing."""
    if text is None:
        return None
    for character in SPACES:
        text = text.replace(character, " ")
    text = text.translate(_ASCII_LOWER)
    for _ in range(COLLAPSE_PASSES):
        text = text.replace("  ", " ")
    return text.strip(" ") or None


@dataclass(frozen=True)
class _Functions:
    """The SQL functions the pattern's statements spell differently per dialect."""

    char: str
    """The character with a code point: `chr` / `char`."""
    ascii_lower: str
    """Lower-case ASCII letters only, `{}` standing for the text."""
    json_array: str
    """A JSON array of values, compared by equality."""


# The whole difference between the dialects: three spellings.
_FUNCTIONS = {
    "postgres": _Functions("chr", 'lower({} COLLATE "C")', "jsonb_build_array"),
    "sqlite": _Functions("char", "lower({})", "json_array"),
}


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=("fields",), options=("keep", "by", "mapping"))
    table = params.table(model)
    if len(table.primary_key) != 1:
        params.fail("pattern-key", f"the key ({', '.join(table.primary_key)}) of '{table.name}' has "
                    f"{len(table.primary_key)} columns; pattern {NAME} maps a merged row to its kept row by a "
                    "single-column key", "write the merge as an explicit migration")
    key = table.field(table.primary_key[0])
    assert key is not None
    if key.name in (params.spec.get("fields") or ()):
        params.fail("pattern-parameter", f"`fields:` names the primary key '{key.name}', which has no duplicates",
                    f"name the fields that say two rows are the same; usage: {USAGE}")
    fields = params.fields(table, FOLDED_TYPES + EXACT_TYPES, refs=True)
    keep = params.options.get("keep", "oldest")
    if keep not in KEEP:
        params.fail("pattern-parameter", f"option `keep` is one of {', '.join(KEEP)}, not {keep!r}",
                    f"usage: {USAGE}")
    by = _order_field(params, table, key, keep)
    mapping = params.name(dialect, "mapping", f"{table.name}_merged")
    functions = _FUNCTIONS.get(dialect.name)
    if functions is None:
        params.fail("pattern-dialect", f"pattern {NAME} has no SQL for {dialect.name}",
                    f"it compiles for: {', '.join(sorted(_FUNCTIONS))}")
    references = [(t, f) for t in model.tables for f in t.fields if f.ref == table.name]
    merge = _Merge(dialect, functions, model, table, key, fields, _order(dialect, table, key, by, keep),
                   mapping, references)
    for new in merge.tables():
        params.new_relation(dialect, model, new.name, "table")
        limit = dialect.max_identifier_bytes
        if limit and len(new.name.encode()) > limit:
            params.fail("name-too-long", f"the mapping table '{new.name}' would be {len(new.name.encode())} "
                        f"bytes; {dialect.name} keeps only {limit}", "give a shorter one: `options: {mapping: ...}`")

    q, t = dialect.quote, table.name
    matched = ", ".join(f.name for f in fields)
    steps = Steps(dialect)
    conflicts = merge.conflicts()
    if conflicts is not None:
        steps.check(f"check-{t}-references", conflicts, 0,
                    f"Repointing the references to merged rows of {t} breaks no unique key of "
                    f"{', '.join(sorted({r.name for r, _ in references}))} (counts the groups that would collide; "
                    "resolve them before applying)")
    steps.ddl(f"create-{mapping}", [ddl.create_table(dialect, merge.mapping, model),
                                    f"CREATE TABLE {q(merge.rows)} AS SELECT * FROM {q(t)} WHERE 1 = 0",
                                    ddl.create_table(dialect, merge.refs, model)],
              [f"DROP TABLE {q(name)}" for name in (merge.refs.name, merge.rows, mapping)],
              f"Create {mapping} (merged key -> kept key), {merge.rows} (the merged rows as they were) and "
              f"{merge.refs.name} (the references repointed), which make the merge undoable")
    steps.ddl(f"merge-{t}", merge.up(), merge.down(),
              f"Merge the rows of {t} with the same {matched} into the {keep.replace('_', ' ')} one: record the "
              f"mapping and the merged rows, repoint every reference, delete the merged rows (one transaction)")
    steps.check(f"verify-{t}-duplicates", f"SELECT count(*) FROM ({merge.groups()}) AS dbbasic_groups", 0,
                f"No two rows of {t} have the same {matched}")
    if references:
        left = " + ".join(f"(SELECT count(*) FROM {q(r.name)} WHERE {q(f.name)} IN "
                          f"(SELECT {q('merged_key')} FROM {q(mapping)}))" for r, f in references)
        steps.check(f"verify-{t}-references", f"SELECT {left}", 0,
                    f"No row references a merged row of {t}")
    return tuple(steps.steps)


def _order_field(params: Parameters, table: Table, key: Field, keep: str) -> Field:
    """The field that says which row of a group is older: `by:`, else `created_at`, else an integer key
    (rows numbered as they were inserted)."""
    name = params.options.get("by")
    if name is not None:
        if not isinstance(name, str):
            params.fail("pattern-parameter", f"option `by` must be a field name, not {name!r}", f"usage: {USAGE}")
        return params.named_field(table, name, ORDER_TYPES)
    created = table.field("created_at")
    if created is not None and created.ref is None and created.type.name in ORDER_TYPES:
        return created
    if key.type.name not in ("id", "int", "bigint") and keep != "most_complete":
        params.fail("pattern-parameter", f"`keep: {keep}` needs `by:`, a field that orders the rows of "
                    f"'{table.name}' by age: it has no created_at and its key '{key.name}' is of type {key.type}",
                    f"add `by: FIELD` (timestamp, date or integer) to `options:`; usage: {USAGE}")
    return key


def _order(dialect: Dialect, table: Table, key: Field, by: Field, keep: str) -> str:
    """The ORDER BY of a group: the kept row first. Rows whose `by` is NULL come last; ties go to the lower
    key (oldest, most complete) or the higher one (newest)."""
    q = dialect.quote
    direction = " DESC" if keep == "newest" else ""
    order = [f"{q(by.name)}{direction}", f"{q(key.name)}{direction}"] if by != key else [f"{q(key.name)}{direction}"]
    if not by.required and by != key:
        order.insert(0, f"CASE WHEN {q(by.name)} IS NULL THEN 1 ELSE 0 END")
    if keep == "most_complete":
        filled = " + ".join(f"CASE WHEN {_filled(dialect, f)} THEN 1 ELSE 0 END"
                            for f in table.fields if f != key)
        order.insert(0, f"({filled or '0'}) DESC")
    return ", ".join(order)


def _filled(dialect: Dialect, field: Field) -> str:
    """Whether a field of a row holds something: not NULL, and for text not blank."""
    q = dialect.quote(field.name)
    if field.ref is None and field.type.name in FOLDED_TYPES:
        return f"trim({q}) <> ''"
    return f"{q} IS NOT NULL"


class _Merge:
    """The SQL of one merge: its tables, the statements that merge and undo, the checks."""

    def __init__(self, dialect: Dialect, functions: _Functions, model: DataModel, table: Table, key: Field,
                 fields: list[Field], order: str, mapping: str, references: list[tuple[Table, Field]]):
        self.dialect, self.functions, self.model = dialect, functions, model
        self.table, self.key, self.fields, self.order = table, key, fields, order
        self.references = references
        stored = ddl.column_type(dialect, key, model)
        key_type = FieldType("bigint" if stored.name == "id" else stored.name)
        self.mapping = Table(mapping, (Field("merged_key", key_type, required=True),
                                       Field("kept_key", key_type, required=True)), primary_key=("merged_key",))
        self.rows = f"{mapping}_rows"
        self.refs = Table(f"{mapping}_refs", (Field("ref_table", FieldType("text"), required=True),
                                              Field("ref_column", FieldType("text"), required=True),
                                              Field("row_key", FieldType("json"), required=True),
                                              Field("merged_key", key_type, required=True)),
                          primary_key=("ref_table", "ref_column", "row_key"))

    def tables(self) -> list[Table]:
        return [self.mapping, Table(self.rows, ()), self.refs]

    # -- matching ------------------------------------------------------------------------------------------

    def _match(self, field: Field, column: str | None = None) -> str:
        """The value a field is matched by: `match_key` in SQL for text, the value itself otherwise."""
        value = column or self.dialect.quote(field.name)
        if field.ref is not None or field.type.name not in FOLDED_TYPES:
            return value
        value = self.functions.ascii_lower.format(value)
        for character in SPACES:
            value = f"replace({value}, {self.functions.char}({ord(character)}), ' ')"
        for _ in range(COLLAPSE_PASSES):
            value = f"replace({value}, '  ', ' ')"
        return f"trim({value})"

    def _matchable(self) -> str:
        """The rows that can match: every matched field set (text: not blank)."""
        return " AND ".join(f"{self._match(f)} <> ''" if f.ref is None and f.type.name in FOLDED_TYPES
                            else f"{self.dialect.quote(f.name)} IS NOT NULL" for f in self.fields)

    def groups(self) -> str:
        """One row per group of duplicates (the check that none is left)."""
        keys = ", ".join(self._match(f) for f in self.fields)
        return (f"SELECT {keys} FROM {self.dialect.quote(self.table.name)} WHERE {self._matchable()}\n"
                f"GROUP BY {keys} HAVING count(*) > 1")

    def pairs(self) -> str:
        """(merged_key, kept_key) of every row to merge: the first row of its group, in `order`, is kept."""
        q, key = self.dialect.quote, self.dialect.quote(self.key.name)
        keys = ", ".join(self._match(f) for f in self.fields)
        return (f"SELECT {q('merged_key')}, {q('kept_key')} FROM (\n"
                f"  SELECT {key} AS {q('merged_key')},\n"
                f"         first_value({key}) OVER (PARTITION BY {keys} ORDER BY {self.order}) AS {q('kept_key')}\n"
                f"  FROM {q(self.table.name)} WHERE {self._matchable()}\n"
                f") AS dbbasic_ranked WHERE {q('merged_key')} <> {q('kept_key')}")

    # -- the merge and its undo ----------------------------------------------------------------------------

    def up(self) -> list[str]:
        q, t, key, mapping = self.dialect.quote, self.dialect.quote(self.table.name), self.dialect.quote(
            self.key.name), self.dialect.quote(self.mapping.name)
        merged = f"SELECT {q('merged_key')} FROM {mapping}"
        statements = []
        if self.dialect.ROW_LOCK:
            keys = ", ".join(self._match(f) for f in self.fields)
            statements.append(f"SELECT {key} FROM {t} WHERE ({keys}) IN ({self.groups()}){self.dialect.ROW_LOCK}")
        statements.append(f"INSERT INTO {mapping} ({q('merged_key')}, {q('kept_key')})\n{self.pairs()}")
        if self.dialect.ROW_LOCK:
            statements.append(f"SELECT {key} FROM {t} WHERE {key} IN ({merged}){self.dialect.ROW_LOCK}")
        statements.append(f"INSERT INTO {q(self.rows)} SELECT * FROM {t} WHERE {key} IN ({merged})")
        statements += [self._record(table, field) for table, field in self.references]
        statements += [f"UPDATE {q(table.name)} SET {q(field.name)} = (SELECT m.{q('kept_key')} FROM {mapping} "
                       f"AS m WHERE m.{q('merged_key')} = {q(table.name)}.{q(field.name)})\n"
                       f"WHERE {q(field.name)} IN ({merged})" for table, field in self.references]
        statements.append(f"DELETE FROM {t} WHERE {key} IN ({merged})")
        return statements

    def _pointing(self, table: Table) -> list[str]:
        """The columns of `table` that reference the merged table."""
        return [f.name for t, f in self.references if t.name == table.name]

    def _record(self, table: Table, field: Field) -> str:
        """Remember the rows of `table` whose `field` is repointed, by their primary key as it will be once
        every reference in it is repointed (a key may hold two: `friends (user_id, friend_id)`)."""
        q, refs, mapping = self.dialect.quote, self.refs, self.dialect.quote(self.mapping.name)
        row, pointing = q(table.name), self._pointing(table)
        after = ", ".join(f"COALESCE((SELECT k.{q('kept_key')} FROM {mapping} AS k WHERE k.{q('merged_key')} = "
                          f"{row}.{q(c)}), {row}.{q(c)})" if c in pointing else f"{row}.{q(c)}"
                          for c in table.primary_key)
        return (f"INSERT INTO {q(refs.name)} ({', '.join(q(f.name) for f in refs.fields)})\n"
                f"SELECT {self.dialect.literal(table.name)}, {self.dialect.literal(field.name)}, "
                f"{self.functions.json_array}({after}), m.{q('merged_key')}\n"
                f"FROM {row} JOIN {mapping} AS m ON m.{q('merged_key')} = {row}.{q(field.name)}")

    def down(self) -> list[str]:
        """Re-insert the merged rows, then point back the recorded references: one UPDATE per referencing
        table, so that every column of it is matched by the key the row has now, before any is changed."""
        q, literal = self.dialect.quote, self.dialect.literal
        refs, kept = q(self.refs.name), f"SELECT {q('kept_key')} FROM {q(self.mapping.name)}"
        statements = [f"INSERT INTO {q(self.table.name)} SELECT * FROM {q(self.rows)}"]
        for table in dict.fromkeys(t for t, _ in self.references):
            row, pointing = q(table.name), self._pointing(table)
            recorded = (f"FROM {refs} AS r WHERE r.{q('ref_table')} = {literal(table.name)} AND r.{q('row_key')} = "
                        f"{self.functions.json_array}({', '.join(f'{row}.{q(c)}' for c in table.primary_key)})")
            sets = ", ".join(f"{q(c)} = COALESCE((SELECT r.{q('merged_key')} {recorded} AND r.{q('ref_column')} = "
                             f"{literal(c)}), {q(c)})" for c in pointing)
            statements.append(f"UPDATE {row} SET {sets}\n"
                              f"WHERE ({' OR '.join(f'{q(c)} IN ({kept})' for c in pointing)}) "
                              f"AND EXISTS (SELECT 1 {recorded})")
        # Emptied, so that the merge can be applied again after a rollback that stopped before the next down.
        statements += [f"DELETE FROM {name}" for name in (refs, q(self.rows), q(self.mapping.name))]
        return statements

    # -- unique keys the repointing could break ------------------------------------------------------------

    def conflicts(self) -> str | None:
        """A query counting the groups of rows that some unique key of a referencing table would see as
        duplicates once merged keys are replaced by kept keys; None when no unique key holds a reference."""
        q = self.dialect.quote
        counts = []
        for table in dict.fromkeys(t.name for t, _ in self.references):
            referencing = self.model.table(table)
            assert referencing is not None
            pointing = {f.name for t, f in self.references if t.name == table}
            for columns, where in _unique_keys(referencing):
                if not pointing & set(columns):
                    continue
                joins = "".join(f" LEFT JOIN dbbasic_pairs AS m{i} ON m{i}.{q('merged_key')} = r.{q(c)}"
                                for i, c in enumerate(columns) if c in pointing)
                after = [f"COALESCE(m{i}.{q('kept_key')}, r.{q(c)})" if c in pointing else f"r.{q(c)}"
                         for i, c in enumerate(columns)]
                source = (f"(SELECT * FROM {q(table)} WHERE {ddl.predicate(self.dialect, where)})" if where
                          else q(table))
                counts.append(f"(SELECT count(*) FROM (SELECT 1 FROM {source} AS r{joins}\n"
                              f"  WHERE {' AND '.join(f'{a} IS NOT NULL' for a in after)}\n"
                              f"  GROUP BY {', '.join(after)} HAVING count(*) > 1) AS dbbasic_collisions)")
        if not counts:
            return None
        return f"WITH dbbasic_pairs AS (\n{self.pairs()}\n)\nSELECT " + "\n  + ".join(counts)


def _unique_keys(table: Table) -> list[tuple[tuple[str, ...], str | None]]:
    """(columns, partial-index condition) of every unique key of a table: primary key, unique fields and
    groups, unique indexes."""
    keys: list[tuple[tuple[str, ...], str | None]] = [(table.primary_key, None)]
    keys += [((f.name,), None) for f in table.fields if f.unique]
    keys += [(group, None) for group in table.unique]
    keys += [(tuple(c.name for c in i.columns), i.where) for i in table.indexes if i.unique]
    return list(dict.fromkeys(keys))
