"""What the rules read from a statement, shared so that every rule reads it the same way.

Not a rule (it is not in `RULES`). Trees come from `Dialect.parse`, which caches them: nothing here or in
a rule may change one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.model import BatchedStep, CheckStep, DdlStep, OnlineDdlStep, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

SERIAL_TYPES = frozenset({"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"})

# Zero-argument functions PostgreSQL does not mark volatile (`provolatile <> 'v'`): as a default, each is
# evaluated once for the whole table, so adding a column with it needs no rewrite (PostgreSQL 11+).
_STABLE_CALLS = frozenset({"now", "current_timestamp", "current_date", "current_time", "localtime", "localtimestamp",
                           "transaction_timestamp", "statement_timestamp", "current_user", "session_user", "user",
                           "current_role", "current_schema", "current_database", "current_catalog", "pi"})
_STABLE_NODES = (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.Localtime, exp.Localtimestamp,
                 exp.CurrentUser, exp.CurrentSchema)

_HEAD = re.compile(r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*([A-Za-z]+)(?:\s+([A-Za-z]+))?", re.S)

# The types the style rules look at, as words in a statement's text (a cheap test before reading it),
# and as sqlglot's token kinds, named as sqlglot renders their types.
_TYPE_WORDS = re.compile(r"\b(?:int|integer|int4|serial|serial4|varchar|character|char|bpchar|timestamp)\b", re.I)
_TOKEN_TYPES = {"INT": "int", "SERIAL": "serial", "VARCHAR": "varchar", "TIMESTAMP": "timestamp", "CHAR": "char",
                "BPCHAR": "bpchar", "TIMESTAMPTZ": "timestamptz", "BIGINT": "bigint", "TEXT": "text"}
_TABLE_CONSTRAINTS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE", "LIKE"})


def ddl_statements(step: Step) -> tuple[str, ...]:
    """The statements of a step that changes the schema (ddl and online_ddl)."""
    return step.up if isinstance(step, (DdlStep, OnlineDdlStep)) else ()


def all_statements(step: Step) -> tuple[str, ...]:
    """Every statement a step runs."""
    if isinstance(step, (DdlStep, OnlineDdlStep, BatchedStep)):
        return step.up
    return (step.sql,) if isinstance(step, CheckStep) else ()


def short(statement: str) -> str:
    """The statement as a finding quotes it: its first 60 characters, on one line."""
    return "`" + " ".join(statement.split())[:60] + "`"


def head(statement: str) -> tuple[str, str]:
    """The first two words of a statement, upper-cased, past comments: cheap enough to ask of every statement
    before parsing it."""
    match = _HEAD.match(statement)
    return (match.group(1).upper(), (match.group(2) or "").upper()) if match else ("", "")


def words(context: LintContext, statement: str) -> list[str]:
    """The statement's tokens: keywords upper-cased, quoted names as written."""
    return [text if kind == "IDENTIFIER" else text.upper() for kind, text in context.dialect.tokens(statement)]


def alter_table(context: LintContext, statement: str) -> tuple[str, list[exp.Expression]] | None:
    """(table, actions) of an ALTER TABLE that sqlglot parses; None for anything else."""
    if head(statement) != ("ALTER", "TABLE"):
        return None
    tree = context.dialect.parse(statement)
    if not isinstance(tree, exp.Alter) or str(tree.args.get("kind") or "").upper() != "TABLE":
        return None
    return tree.this.name, list(tree.args.get("actions") or [])


def existing_alter(context: LintContext, statement: str) -> tuple[str, list[exp.Expression]] | None:
    """`alter_table`, but None for a table created in this plan (empty: nothing to lock, scan or rewrite)."""
    found = alter_table(context, statement)
    return None if found is None or found[0] in context.created_tables else found


def altered(step: Step, context: LintContext) -> Iterator[tuple[str, str, exp.Expression]]:
    """(statement, table, action) for each action of each ALTER TABLE of an existing table in the step:
    what most PostgreSQL lock rules walk."""
    for statement in ddl_statements(step):
        found = existing_alter(context, statement)
        if found is not None:
            for action in found[1]:
                yield statement, found[0], action


def not_valid(context: LintContext, statement: str) -> bool:
    tree = context.dialect.parse(statement)
    return bool(tree is not None and tree.args.get("not_valid"))


def constraints(action: exp.Expression) -> Iterator[tuple[str, exp.Expression]]:
    """(name, definition) of each constraint an `ADD CONSTRAINT` action adds; the name as PostgreSQL keeps
    it (unquoted names folded to lower case), "" when unnamed."""
    if not isinstance(action, exp.AddConstraint):
        return
    for item in action.expressions:
        if isinstance(item, exp.Constraint):
            name = item.args.get("this")
            folded = name.name if isinstance(name, exp.Identifier) and name.quoted else item.name.lower()
            for definition in item.expressions:
                yield folded, definition
        else:
            yield "", item


def validated(context: LintContext, statement: str) -> str | None:
    """The constraint an `ALTER TABLE ... VALIDATE CONSTRAINT name` validates (sqlglot does not parse it:
    read from the tokens), named as `constraints` names it; None for any other statement."""
    if head(statement) != ("ALTER", "TABLE"):
        return None
    tokens = context.dialect.tokens(statement)
    for n, (kind, text) in enumerate(tokens[:-2]):
        if kind != "IDENTIFIER" and text.upper() == "VALIDATE" and tokens[n + 1][1].upper() == "CONSTRAINT":
            name_kind, name = tokens[n + 2]
            return name if name_kind == "IDENTIFIER" else name.lower()
    return None


def column_constraints(column: exp.ColumnDef) -> list[exp.Expression]:
    """The kinds of a column definition's constraints (NotNullColumnConstraint, Reference, ...)."""
    return [c.args["kind"] for c in column.args.get("constraints") or [] if c.args.get("kind") is not None]


def type_name(dtype: exp.Expression) -> str:
    """A type as PostgreSQL would print it, lower-case: `integer`, `varchar(20)`, `serial4`."""
    if isinstance(dtype, exp.DataType) and dtype.this == exp.DataType.Type.USERDEFINED:
        return str(dtype.args.get("kind") or dtype.sql("postgres")).lower()
    return dtype.sql("postgres").lower()


def expression(node: exp.Expression) -> str:
    """An expression as a finding quotes it: sqlglot's rendering, lower-case unless it holds quoted text."""
    text = node.sql("postgres", normalize_functions="lower")
    return text if "'" in text or '"' in text else text.lower()


def is_serial(dtype: exp.Expression) -> bool:
    return type_name(dtype).split("(")[0] in SERIAL_TYPES


def column_types(context: LintContext, statement: str) -> tuple[tuple[str, str], ...]:
    """(column, type) of each column a CREATE TABLE or ALTER TABLE defines or retypes, the type named as
    `type_name` names it (`int`, `varchar(20)`, `timestamptz`, `serial4`).

    A CREATE TABLE is read from its tokens, and only when its text holds one of the types the rules look
    at: a schema plan is a long list of CREATE TABLEs, which nothing else parses. An ALTER TABLE is read
    from its parse, which sql/analyze.py has made already. Kept in the context: four rules ask."""
    first, second = head(statement)
    if second != "TABLE" or first not in ("CREATE", "ALTER") or not _TYPE_WORDS.search(statement):
        return ()
    if statement not in context.columns:
        context.columns[statement] = (_created_columns(context, statement) if first == "CREATE"
                                      else _altered_columns(context, statement))
    return context.columns[statement]


def _altered_columns(context: LintContext, statement: str) -> tuple[tuple[str, str], ...]:
    tree = context.dialect.parse(statement)
    found = []
    for action in tree.args.get("actions") or [] if isinstance(tree, exp.Alter) else []:
        if isinstance(action, exp.ColumnDef) and isinstance(action.args.get("kind"), exp.DataType):
            found.append((action.name, type_name(action.args["kind"])))
        elif isinstance(action, exp.AlterColumn) and isinstance(action.args.get("dtype"), exp.DataType):
            found.append((action.name, type_name(action.args["dtype"])))
    return tuple(found)


def created_column_names(context: LintContext, statement: str) -> list[str]:
    """The column names of a CREATE TABLE, whatever their types."""
    return [name for name, _ in _created_columns(context, statement)]


def _created_columns(context: LintContext, statement: str) -> tuple[tuple[str, str], ...]:
    """The columns of CREATE TABLE t (...), read from the tokens between its outer parentheses."""
    tokens = context.dialect.tokens(statement)
    start = next((n for n, (kind, _) in enumerate(tokens) if kind == "L_PAREN"), len(tokens))
    elements: list[list[tuple[str, str]]] = [[]]
    depth = 0
    for kind, text in tokens[start:]:
        depth += (kind == "L_PAREN") - (kind == "R_PAREN")
        if depth == 0:
            break
        if depth == 1 and kind == "COMMA":
            elements.append([])
        elif depth > 1 or kind != "L_PAREN":
            elements[-1].append((kind, text))
    found = []
    for element in elements:
        first_kind, first_text = element[0] if element else ("", "")
        if len(element) < 2 or (first_kind != "IDENTIFIER" and first_text.split()[0].upper() in _TABLE_CONSTRAINTS):
            continue
        found.append((element[0][1], _token_type(element[1:])))
    return tuple(found)


def _token_type(tokens: list[tuple[str, str]]) -> str:
    """A column type from the tokens after the column's name, named as `type_name` names it."""
    kind, text = tokens[0]
    if kind == "IDENTIFIER":
        return f'"{text}"'  # a quoted type name ("char", the one-byte type) is the type of that exact name
    name = _TOKEN_TYPES.get(kind) or text.lower()
    rest = [t.upper() for _, t in tokens[1:]]
    if rest[:1] == ["("] and ")" in rest:
        name += "(" + "".join(t for _, t in tokens[2:rest.index(")") + 1]) + ")"
        rest = rest[rest.index(")") + 1:]
    if rest[:1] == ["["]:
        return name + "[]"
    if name.startswith("timestamp") and rest[:3] == ["WITH", "TIME", "ZONE"]:
        return "timestamptz"
    return name


def is_constant(value: exp.Expression) -> bool:
    """Whether a default is the same for every row: literals, casts of them, arithmetic on them, and the
    zero-argument functions PostgreSQL does not mark volatile (now(), CURRENT_DATE, ...).

    Any other call counts as volatile: a function dbbasic does not know may be (`gen_random_uuid()`,
    `random()`, `clock_timestamp()`, `nextval(...)` are)."""
    for node in value.walk():
        if isinstance(node, (exp.Column, exp.Subquery, exp.Select)):
            return False
        if not isinstance(node, exp.Func) or isinstance(node, (exp.Cast, exp.TryCast, exp.Array)):
            continue
        if isinstance(node, _STABLE_NODES) and not node.args.get("this"):
            continue
        if isinstance(node, exp.Anonymous) and node.name.lower() in _STABLE_CALLS and not node.expressions:
            continue
        return False
    return True


