"""Split a full-name field into first and last name columns, filled in batches; the original column stays.

    migration:
      task: "Split users.full_name into first and last name"
      pattern: split_name_field
      model: users
      field: full_name
      options: {first: first_name, last: last_name}   # optional; these are the defaults

Steps: add the nullable text columns `first_name` and `last_name`; fill them in keyset batches over the
primary key; check that no row with a non-blank full name is left without a first name. The full-name
column is kept: dropping it is a contract step, a migration of its own once nothing reads it.

How a name splits (`split_name` below is the rule, and the SQL of both dialects implements it): spaces,
tabs and line breaks are trimmed and runs of them count as one space; a blank or NULL name gives NULL and
NULL; one word is the first name (last name NULL); otherwise the last word is the last name, together
with the lower-case particles (`PARTICLES`) just before it, and the words before those are the first
name, which always keeps at least one word. "Ludwig van Beethoven" is "Ludwig" / "van Beethoven", "Maria
de la Cruz" is "Maria" / "de la Cruz", "Jean-Luc Picard" is "Jean-Luc" / "Picard", "Cher" is "Cher" / NULL.
Particles are matched case-sensitively: "Robert De Niro" is "Robert De" / "Niro".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from dbbasic.generators.patterns._common import TEXT_TYPES, Parameters
from dbbasic.generators.steps import Steps
from dbbasic.plan.model import Step
from dbbasic.specs.model import DataModel, Field, FieldType, Migration
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect

NAME = "split_name_field"
VERSION = 1
USAGE = ("`pattern: split_name_field`, `model: TABLE`, `field: FULL_NAME` (text), optional "
         "`options: {first: first_name, last: last_name}`")

PARTICLES: tuple[str, ...] = (
    "al", "bin", "bint", "da", "das", "de", "degli", "dei", "del", "della", "delle", "der", "des", "di", "do",
    "dos", "du", "ibn", "la", "le", "les", "lo", "ten", "ter", "van", "von", "zu",
)
"""Lower-case words that belong to the last name when they come just before it ("van der", "de la")."""
WHITESPACE = " \t\n\r"
"""What separates words: a run of these is one space."""


def split_name(full_name: str | None) -> tuple[str | None, str | None]:
    """(first name, last name) of a full name: the rule the SQL of every dialect implements."""
    words = [w for w in re.split(f"[{WHITESPACE}]+", full_name or "") if w]
    if not words:
        return None, None
    # The first name ends at the last word (before the last one) that is the first word or no particle.
    cut = max((i for i in range(1, len(words)) if i == 1 or words[i - 1] not in PARTICLES), default=len(words))
    return " ".join(words[:cut]), " ".join(words[cut:]) or None


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=("field",), options=("first", "last"))
    table = params.table(model)
    source = params.field(table, TEXT_TYPES)
    first, last = params.name(dialect, "first", "first_name"), params.name(dialect, "last", "last_name")
    if first.casefold() == last.casefold():
        params.fail("name-taken", f"the first and last name columns would both be named '{first}'",
                    f"give them two names; usage: {USAGE}")
    params.new_column(table, first)
    params.new_column(table, last)
    key = params.walk_key(dialect, model, table, "the backfill")
    splitter = _SPLITTERS.get(dialect.name)
    if splitter is None:
        params.fail("pattern-dialect", f"pattern {NAME} has no SQL for {dialect.name}",
                    f"it compiles for: {', '.join(sorted(_SPLITTERS))}")

    q, t = dialect.quote, table.name
    steps = Steps(dialect)
    steps.ddl(f"expand-{t}", [ddl.add_column(dialect, table, Field(name, FieldType("text")), model)
                              for name in (first, last)],
              [ddl.drop_column(dialect, t, name) for name in (last, first)],
              f"Add the nullable columns {t}.{first} and {t}.{last}")
    # No down of its own: the columns it fills go with the expand step's down.
    steps.batched(f"backfill-{t}", t, key.name, [splitter(dialect, t, key.name, source.name, first, last)], [],
                  f"Fill {first} and {last} from {source.name}, in batches over {key.name}")
    blank = _BLANK[dialect.name](dialect, source.name)
    steps.check(f"verify-{t}", f"SELECT count(*) FROM {q(t)} WHERE {q(first)} IS NULL AND NOT ({blank})", 0,
                f"Every row of {t} with a {source.name} has a {first}")
    return tuple(steps.steps)


def _particles(dialect: Dialect) -> str:
    return ", ".join(dialect.literal(p) for p in PARTICLES)


def _postgres_split(dialect: Dialect, table: str, key: str, source: str, first: str, last: str) -> str:
    """Words as an array (runs of whitespace collapsed, then trimmed); the cut is the last index, before the
    last word, that is 1 or no particle; first and last name are the array's two slices."""
    q, after, upto = dialect.quote, ddl.batch_bound(dialect, "after"), ddl.batch_bound(dialect, "upto")
    space = dialect.literal(f"[{WHITESPACE.encode('unicode_escape').decode()}]+")
    return (
        f"UPDATE {q(table)} SET ({q(first)}, {q(last)}) = (\n"
        f"  SELECT NULLIF(array_to_string(words[1:cut], ' '), ''), NULLIF(array_to_string(words[cut + 1:], ' '), '')\n"
        f"  FROM (\n"
        f"    SELECT words, COALESCE((SELECT max(i) FROM generate_series(1, cardinality(words) - 1) AS i\n"
        f"                            WHERE i = 1 OR words[i] NOT IN ({_particles(dialect)})),\n"
        f"                           cardinality(words)) AS cut\n"
        f"    FROM (SELECT regexp_split_to_array(\n"
        f"            NULLIF(btrim(regexp_replace({q(source)}, {space}, ' ', 'g'), ' '), ''), ' ') AS words) AS split\n"
        f"  ) AS cuts\n"
        f")\n"
        f"WHERE {q(key)} > {after} AND {q(key)} <= {upto}"
    )


def _sqlite_split(dialect: Dialect, table: str, key: str, source: str, first: str, last: str) -> str:
    """SQLite has no regular expressions: a recursive CTE takes the words off the front of each name one by
    one (with the name joined so far), the cut is found as on PostgreSQL, and both names are read from the
    joined prefixes. The CTEs are named `dbbasic_*` so that they hide no table of the project."""
    q, after, upto = dialect.quote, ddl.batch_bound(dialect, "after"), ddl.batch_bound(dialect, "upto")
    spaced = q(source)
    for character in WHITESPACE[1:]:
        spaced = f"replace({spaced}, char({ord(character)}), ' ')"
    word = "substr(rest, 1, instr(rest, ' ') - 1)"
    return (
        f"UPDATE {q(table)} SET {q(first)} = dbbasic_split.first_part, {q(last)} = dbbasic_split.last_part\n"
        f"FROM (\n"
        f"  WITH RECURSIVE dbbasic_words (row_key, n, word, joined, rest) AS (\n"
        f"    SELECT {q(key)}, 0, '', '', ltrim({spaced} || ' ', ' ')\n"
        f"    FROM {q(table)} WHERE {q(key)} > {after} AND {q(key)} <= {upto}\n"
        f"    UNION ALL\n"
        f"    SELECT row_key, n + 1, {word}, ltrim(joined || ' ' || {word}, ' '),\n"
        f"           ltrim(substr(rest, instr(rest, ' ') + 1), ' ')\n"
        f"    FROM dbbasic_words WHERE rest <> ''\n"
        f"  ), dbbasic_ends AS (\n"
        f"    SELECT row_key, max(n) AS total FROM dbbasic_words GROUP BY row_key\n"
        f"  ), dbbasic_cuts AS (\n"
        f"    SELECT e.row_key, e.total,\n"
        f"           coalesce(max(CASE WHEN w.n = 1 OR w.word NOT IN ({_particles(dialect)}) THEN w.n END),\n"
        f"                    e.total) AS cut\n"
        f"    FROM dbbasic_ends AS e\n"
        f"    LEFT JOIN dbbasic_words AS w ON w.row_key = e.row_key AND w.n BETWEEN 1 AND e.total - 1\n"
        f"    GROUP BY e.row_key, e.total\n"
        f"  )\n"
        f"  SELECT c.row_key, NULLIF(f.joined, '') AS first_part,\n"
        f"         NULLIF(substr(l.joined, length(f.joined) + 2), '') AS last_part\n"
        f"  FROM dbbasic_cuts AS c JOIN dbbasic_words AS f ON f.row_key = c.row_key AND f.n = c.cut\n"
        f"  JOIN dbbasic_words AS l ON l.row_key = c.row_key AND l.n = c.total\n"
        f") AS dbbasic_split\n"
        f"WHERE {q(table)}.{q(key)} = dbbasic_split.row_key"
    )


def _postgres_blank(dialect: Dialect, source: str) -> str:
    return f"btrim(coalesce({dialect.quote(source)}, ''), {_whitespace(dialect, 'chr')}) = ''"


def _sqlite_blank(dialect: Dialect, source: str) -> str:
    return f"trim(coalesce({dialect.quote(source)}, ''), {_whitespace(dialect, 'char')}) = ''"


def _whitespace(dialect: Dialect, function: str) -> str:
    """WHITESPACE as an SQL text expression, control characters by their code."""
    return " || ".join(dialect.literal(c) if c == " " else f"{function}({ord(c)})" for c in WHITESPACE)


# The SQL differs too much between dialects for dialect flags: one function per dialect that has it.
_SPLITTERS: dict[str, Callable[[Dialect, str, str, str, str, str], str]] = {
    "postgres": _postgres_split, "sqlite": _sqlite_split}
_BLANK: dict[str, Callable[[Dialect, str], str]] = {"postgres": _postgres_blank, "sqlite": _sqlite_blank}
