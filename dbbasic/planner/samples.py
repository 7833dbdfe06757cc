"""Invented rows for the planner's dry run: a few hundred per table, every constraint of the data model honoured.

    samples = sample_rows(model, rows=200, seed=0)
    samples["users"][0]     # {"id": 1, "name": "Ada Lovelace", "email": "ada.lovelace1@example.com", ...}

The rows are made up from the data model alone: no database is opened here, so no row of the user's data is
ever read, and none can reach a model through a dry run's messages.

They honour what the database enforces: NOT NULL, primary keys, unique fields, unique groups and unique indexes
(a partial one as if it were whole), enum values, `string(n)` lengths, refs to rows that exist, and each type as
the importer's `cast` writes it (uuid as canonical text, date `YYYY-MM-DD`, timestamp `YYYY-MM-DDTHH:MM:SS.sssZ`,
json as text, decimal as Decimal). And they hold what a migration meets in real tables, so that a step written
for tidy data fails here rather than on a target: people's names with accents, single names, an apostrophe, a
hyphen, leading and trailing spaces, blanks and the empty string, and NULL in about one row of seven of every
column that allows it.

An `id` key is numbered 1..n in row order: the numbers a fresh table gives its rows inserted in that order, so
the dry run leaves the column to the database (its identity sequence then goes on from n) and the refs of the
tables after it still point at the right rows. Tables come parents first. A ref to the row's own table points
at an earlier row (the first row at itself when the ref is required); a ref that closes a cycle of tables is
NULL, and when it is required no row can exist at all: `CannotSample`. A table whose unique keys cannot take
`rows` distinct values (a unique bool) gets fewer rows.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from dbbasic.errors import DbbasicError
from dbbasic.specs.model import DataModel, Field, Table
from dbbasic.transforms.utc_timestamp import utc_text

NULL_SHARE = 1 / 7
"""About one row in seven holds NULL in each column that allows it."""
ATTEMPTS = 20
"""Tries at values that keep a row's unique keys unique, before the row is left out."""

PEOPLE = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Émile Zola", "José Álvarez", "Zoë Ødegaard",
          "Łukasz Wójcik", "Nguyễn Thị Minh Khai", "Björk", "Cher", "María José García Márquez", "Jean-Luc Picard",
          "Seán O'Brien", "  Ada Lovelace", "Grace Hopper  ", " ", "", "李小龍", "Mary Ann Evans")
"""Values of name-ish columns: edge cases (accents, one word, spaces around, blank, empty) among ordinary ones."""
TEXTS = ("Buy milk", "Write the quarterly report", "Call the bank about the loan", "naïve café order",
         "O'Reilly's \"quoted\" title", "100% done", "  padded text  ", "", "line one\nline two", "🎉 launch party",
         "Ünïcödé everywhere", "a")
"""Values of other text columns."""
_NAME_COLUMN = re.compile(r"name$", re.IGNORECASE)
_DOMAINS = ("example.com", "example.org", "mail.example.net")
_CALLING_CODES = (("1", 10), ("44", 10), ("33", 9), ("49", 11), ("81", 10))
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_SELF: Any = object()
"""A required ref to the row's own table, in a table with no row yet: the row's own key, once known."""


class CannotSample(DbbasicError):
    """The data model admits no rows: a required ref closes a cycle of tables."""


def sample_rows(model: DataModel, rows: int = 200, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Table -> invented rows (column -> value), parents first; the same for the same model, rows and seed."""
    rng = random.Random(seed)
    keys: dict[str, list[Any]] = {}  # table -> the primary key of each row, for refs to it
    samples: dict[str, list[dict[str, Any]]] = {}
    for table in _parents_first(model):
        samples[table.name] = _Filler(table, keys, rng).rows(rows)
        if len(table.primary_key) == 1:
            keys[table.name] = [row[table.primary_key[0]] for row in samples[table.name]]
    return samples


def _parents_first(model: DataModel) -> Iterator[Table]:
    """Every table after the tables its refs point at; in a cycle, the first table of the model still waiting."""
    done: set[str] = set()
    pending = list(model.tables)
    while pending:
        table = next((t for t in pending if all(f.ref in done or f.ref == t.name for f in t.fields if f.ref)),
                     pending[0])
        pending.remove(table)
        done.add(table.name)
        yield table


def _unique_keys(table: Table) -> list[tuple[str, ...]]:
    """The column groups whose values no two rows share: the primary key, unique fields and groups, unique
    indexes (a partial one as if it were whole, which is stricter)."""
    groups = [table.primary_key] if table.primary_key else []
    groups += [(f.name,) for f in table.fields if f.unique] + list(table.unique)
    groups += [tuple(c.name for c in i.columns) for i in table.indexes if i.unique]
    return list(dict.fromkeys(groups))


class _Filler:
    """The rows of one table, row after row, each kept only when its unique keys are still unique."""

    def __init__(self, table: Table, keys: dict[str, list[Any]], rng: random.Random) -> None:
        self.table, self.keys, self.rng = table, keys, rng
        self.groups = _unique_keys(table)
        self.seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {g: set() for g in self.groups}
        self.rows_made: list[dict[str, Any]] = []

    def rows(self, count: int) -> list[dict[str, Any]]:
        for n in range(1, count + 1):
            row = {f.name: self._value(f, n, 0) for f in self.table.fields}
            for attempt in range(1, ATTEMPTS + 1):
                clashes = [g for g in self.groups if self._clashes(g, row)]
                if not clashes:
                    self._keep(row)
                    break
                for name in dict.fromkeys(c for g in clashes for c in g):  # in order: the same rng draws
                    field = self.table.field(name)
                    assert field is not None, "validated: key columns are fields"
                    if field.type.name != "id":  # the row's number: never the clash
                        row[name] = self._value(field, n, attempt)
            # (no `else`: a row that still clashes after every attempt is left out)
        return self.rows_made

    def _clashes(self, group: tuple[str, ...], row: dict[str, Any]) -> bool:
        values = tuple(row[c] for c in group)
        return None not in values and values in self.seen[group]  # NULLs never clash

    def _keep(self, row: dict[str, Any]) -> None:
        for field in self.table.fields:  # the first row's required ref to its own table: itself
            if row[field.name] is _SELF:
                row[field.name] = row[self.table.primary_key[0]]
        for group in self.groups:
            self.seen[group].add(tuple(row[c] for c in group))
        self.rows_made.append(row)

    def _value(self, field: Field, n: int, attempt: int) -> Any:
        """A value for `field` in the `n`th row tried (from 1); `attempt` > 0 after a unique clash."""
        nullable = not field.required and field.name not in self.table.primary_key
        if field.type.name == "id":
            return len(self.rows_made) + 1
        if nullable and not attempt and self.rng.random() < NULL_SHARE:  # a clash wants another value, not NULL
            return None
        if field.ref is not None:
            return self._ref(field, nullable)
        return _typed(field, n, attempt, self.rng)

    def _ref(self, field: Field, nullable: bool) -> Any:
        assert field.ref is not None
        own = field.ref == self.table.name
        parents = [row[self.table.primary_key[0]] for row in self.rows_made] if own else self.keys.get(field.ref)
        if parents:
            return self.rng.choice(parents)
        if nullable:
            return None
        if own:
            return _SELF
        raise CannotSample(f"{self.table.name}.{field.name} is required and refers to {field.ref}, whose refs lead "
                           f"back to {self.table.name}: no row of either can be the first; make one ref of the cycle "
                           "optional")



def _typed(field: Field, n: int, attempt: int, rng: random.Random) -> Any:
    """A value of the field's own type (not a ref, not an id key)."""
    kind, args = field.type.name, field.type.args
    if kind == "enum":
        return str(rng.choice(field.values))
    if kind in ("text", "string"):
        choices = PEOPLE if _NAME_COLUMN.search(field.name) else TEXTS
        text = choices[n - 1] if n <= len(choices) and not attempt else rng.choice(choices)
        suffix = f" {n}.{attempt}" if attempt else ""
        limit = args[0] if args else None
        return (text[: max(limit - len(suffix), 0)] + suffix)[-limit:] if limit is not None else text + suffix
    if kind == "email":
        plain = unicodedata.normalize("NFKD", rng.choice(PEOPLE)).encode("ascii", "ignore").decode().lower()
        person = re.sub(r"[^a-z]+", ".", plain).strip(".")
        return f"{person or 'someone'}{n}{'.' + str(attempt) if attempt else ''}@{rng.choice(_DOMAINS)}"
    if kind == "phone":
        code, digits = rng.choice(_CALLING_CODES)
        return f"+{code}{rng.randrange(10 ** (digits - 1), 10 ** digits)}"
    if kind == "url":
        return f"{rng.choice(('https', 'http'))}://{rng.choice(_DOMAINS)}/p/{n}{'-' + str(attempt) if attempt else ''}"
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if kind == "int":
        return rng.randint(-100, 100_000 * (1 + attempt))
    if kind == "bigint":
        return rng.randint(0, 10 ** 12)
    if kind == "decimal":
        precision, scale = (args[0] if args else 12), (args[1] if len(args) > 1 else 0 if args else 2)
        return Decimal(rng.randint(0, min(10 ** precision - 1, 10 ** 9))).scaleb(-scale)
    if kind == "float":
        return round(rng.uniform(-1000, 1000), 3)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "date":
        return (date(2000, 1, 1) + timedelta(days=rng.randint(0, 9_000))).isoformat()
    if kind == "timestamp":
        return utc_text(_EPOCH + timedelta(milliseconds=rng.randint(0, 25 * 365 * 86_400_000)))
    if kind == "json":
        return json.dumps(rng.choice(({"tags": ["new", "vip"][: rng.randint(0, 2)], "n": n}, [n, "two", None],
                                      {"nested": {"ok": True}}, {}, "text")), ensure_ascii=False)
    raise AssertionError(f"validated: {kind} is a semantic type")
