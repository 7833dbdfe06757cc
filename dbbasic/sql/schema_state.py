"""Simulate DDL on a model of the schema: which columns each table has after each statement.

A plan records, for the tables it touches, the columns it expects before it runs and the columns it leaves;
the runner compares them with the live database (`runner/introspect.py`) and refuses a database in another
state. This module is the plan's half and needs no database: it follows each statement through sqlglot's
parse. What it cannot follow it does not guess: the table's shape becomes unknown and is never checked.

A statement is read by its post-condition: "if this ran without error, the table now looks like this".
When the model contradicts a statement (it adds a column the model already has), the model was wrong
and the table becomes unknown.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import Token, TokenType, exp
from sqlglot.errors import SqlglotError

from dbbasic.sql.dialect import Dialect

Column = tuple[str, str, bool]
"""(name, normalized type, nullable)."""
TableState = tuple[Column, ...] | None
"""Columns in table order, or None for a table that does not exist."""
Fingerprint = dict[str, list[list[str | bool]] | None]
"""JSON-ready shapes: table -> [[name, type, nullable], ...], or None for a table that must not exist."""


@dataclass(frozen=True)
class _Rules:
    """What a database does to names and columns, as far as the simulation needs it."""

    implicit_not_null: bool
    """PRIMARY KEY, identity and serial columns are NOT NULL without saying so (PostgreSQL; SQLite keeps
    a PRIMARY KEY column nullable in PRAGMA table_info unless NOT NULL is written)."""
    fold_unquoted: bool
    """Unquoted names are stored lower-case (PostgreSQL); SQLite stores them as written."""
    case_insensitive: bool
    """Names match whatever their case (SQLite, for quoted names too)."""
    declared_types: bool
    """A column's type is the text it was declared with (SQLite keeps it), not a canonical spelling."""
    lists_generated: bool
    """Generated columns are listed with the others (pg_attribute); PRAGMA table_info leaves them out."""


_POSTGRES = _Rules(implicit_not_null=True, fold_unquoted=True, case_insensitive=False, declared_types=False,
                   lists_generated=True)
_RULES = {
    "postgres": _POSTGRES,
    "sqlite": _Rules(implicit_not_null=False, fold_unquoted=False, case_insensitive=True, declared_types=True,
                     lists_generated=False),
}


def _rules(dialect_name: str) -> _Rules:
    return _RULES.get(dialect_name, _POSTGRES)


class SchemaState(Mapping[str, tuple[Column, ...]]):
    """Tables known to exist, each with its columns; `unknown` names tables whose shape could not be
    followed. A name in neither is known not to exist. Immutable: `apply_statement` returns a new state."""

    __slots__ = ("_tables", "_unknown")

    def __init__(self, tables: Mapping[str, Iterable[Column]] | None = None, unknown: Iterable[str] = ()) -> None:
        self._unknown = frozenset(unknown)
        self._tables = {name: tuple(columns) for name, columns in (tables or {}).items()
                        if name not in self._unknown}

    @classmethod
    def from_fingerprint(cls, fingerprint: Mapping[str, list[list[str | bool]] | None]) -> SchemaState:
        """The state a fingerprint describes (absent tables need no entry: absence is the default)."""
        return cls({name: [(str(c[0]), str(c[1]), bool(c[2])) for c in columns]
                    for name, columns in fingerprint.items() if columns is not None})

    @property
    def unknown(self) -> frozenset[str]:
        return self._unknown

    def __getitem__(self, name: str) -> tuple[Column, ...]:
        return self._tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SchemaState):
            return NotImplemented
        return self._tables == other._tables and self._unknown == other._unknown

    def __hash__(self) -> int:
        return hash((frozenset(self._tables.items()), self._unknown))

    def __repr__(self) -> str:
        return f"SchemaState({self._tables!r}, unknown={sorted(self._unknown)!r})"

    def updated(self, fingerprint: Mapping[str, list[list[str | bool]] | None]) -> SchemaState:
        """This state with the tables of `fingerprint` as it says (None: dropped); they are known again."""
        tables = dict(self.items())
        for name, columns in fingerprint.items():
            if columns is None:
                tables.pop(name, None)
            else:
                tables[name] = tuple((str(c[0]), str(c[1]), bool(c[2])) for c in columns)
        return SchemaState(tables, self.unknown - set(fingerprint))

    def fingerprint(self, tables: Iterable[str]) -> Fingerprint:
        """The expected shape of each of `tables`, JSON-ready; unknown tables are left out (never checked)."""
        return {name: [[c[0], c[1], c[2]] for c in self._tables[name]] if name in self._tables else None
                for name in tables if name not in self._unknown}


def apply_statement(state: SchemaState, dialect: Dialect, sql: str) -> tuple[SchemaState, frozenset[str]]:
    """The state after `sql` runs without error, and the tables the statement touches (reads, writes or
    changes). A statement the simulation cannot follow makes the tables it names unknown."""
    draft = _Draft(state, dialect, sql)
    tree = dialect.parse(sql)
    if tree is None:
        _unparsed(draft)
    elif isinstance(tree, exp.Create):
        _create(draft, tree)
    elif isinstance(tree, exp.Drop):
        _drop(draft, tree)
    elif isinstance(tree, exp.Alter):
        _alter(draft, tree)
    elif isinstance(tree, _ROW_STATEMENTS):
        draft.touch(name for name, _ in _tables_in(draft, tree))
        for into in tree.find_all(exp.Into):  # SELECT ... INTO creates a table we do not model
            draft.forget(name for name, _ in _tables_in(draft, into))
    else:
        draft.forget(name for name, _ in _tables_in(draft, tree))
    return draft.result()


# Statements that read or write rows, or annotate a table, but never change its columns.
_ROW_STATEMENTS = (exp.Query, exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.TruncateTable, exp.Comment,
                   exp.Analyze)
# Table constraints that leave the columns as they are.
_KEEPS_COLUMNS = (exp.UniqueColumnConstraint, exp.CheckColumnConstraint, exp.ForeignKey,
                  exp.ExcludeColumnConstraint)
_SERIALS = {exp.DataType.Type.SERIAL, exp.DataType.Type.BIGSERIAL, exp.DataType.Type.SMALLSERIAL}
_ALTER_COLUMN_ARGS = {"this", "dtype", "collate", "using", "default", "drop", "allow_null", "comment"}


class _Unfollowable(Exception):
    """The statement does something to a table that the simulation does not model."""


_UNKNOWN = object()


class _Draft:
    """A state being changed by one statement."""

    def __init__(self, state: SchemaState, dialect: Dialect, sql: str) -> None:
        self.dialect, self.sql, self.rules = dialect, sql, _rules(dialect.name)
        self.tables: dict[str, tuple[Column, ...]] = dict(state.items())
        self.unknown: set[str] = set(state.unknown)
        self.touched: set[str] = set()

    def result(self) -> tuple[SchemaState, frozenset[str]]:
        return SchemaState(self.tables, self.unknown), frozenset(self.touched)

    def name(self, node: exp.Expression) -> str:
        """The name an identifier (or a Column, Table, Ordered around one) stores as."""
        while not isinstance(node, exp.Identifier) and isinstance(node.this, exp.Expression):
            node = node.this
        text = node.name
        return text.lower() if self.rules.fold_unquoted and not node.args.get("quoted") else text

    def key(self, name: str) -> str:
        """The model's own spelling of a table name (SQLite matches names whatever their case)."""
        if self.rules.case_insensitive and name not in self.tables and name not in self.unknown:
            folded = name.lower()
            return next((k for k in [*self.tables, *self.unknown] if k.lower() == folded), name)
        return name

    def get(self, name: str) -> object:
        """The table's columns, None when it does not exist, or _UNKNOWN."""
        return _UNKNOWN if name in self.unknown else self.tables.get(name)

    def touch(self, names: Iterable[str]) -> None:
        self.touched.update(names)

    def forget(self, names: Iterable[str]) -> None:
        for name in names:
            self.tables.pop(name, None)
            self.unknown.add(name)
            self.touched.add(name)

    def drop(self, name: str) -> None:
        self.tables.pop(name, None)
        self.unknown.discard(name)
        self.touched.add(name)

    def set(self, name: str, columns: Iterable[Column]) -> None:
        self.unknown.discard(name)
        self.tables[name] = tuple(columns)
        self.touched.add(name)

    def find(self, columns: list[list[Any]], name: str) -> int:
        """Index of the column `name`, or -1."""
        fold = self.rules.case_insensitive
        return next((i for i, c in enumerate(columns) if c[0] == name or (fold and c[0].lower() == name.lower())),
                    -1)

    def column_type(self, dtype: exp.Expression | None, name_node: exp.Expression) -> str:
        if self.rules.declared_types:
            end = name_node.meta.get("end")
            if end is None:
                raise _Unfollowable("no position for the column name")
            return normalize_type(self.dialect, _declared_type(_tokens(self.dialect.sqlglot_name, self.sql), end))
        if dtype is None:
            raise _Unfollowable("a column without a type")
        return normalize_type(self.dialect, dtype.sql(dialect=self.dialect.sqlglot_name))


def _tables_in(draft: _Draft, tree: exp.Expression) -> list[tuple[str, bool]]:
    """(name, schema-qualified) of every table a tree names; CTEs, and the constraints and indexes an
    ALTER TABLE drops (sqlglot gives their names as tables), left out."""
    ctes = {draft.name(cte.args["alias"]) for cte in tree.find_all(exp.CTE) if cte.args.get("alias")}
    found = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or (tree is not table.parent and
                                                          isinstance(table.parent, exp.Drop)):
            continue  # a table function (generate_series(...)), or a constraint being dropped
        qualified = bool(table.args.get("db") or table.args.get("catalog"))
        name = draft.name(table)
        if qualified or name not in ctes:
            found.append((draft.key(name), qualified))
    return found


def _target(draft: _Draft, table: exp.Expression) -> tuple[str, bool]:
    qualified = bool(table.args.get("db") or table.args.get("catalog"))
    return draft.key(draft.name(table)), qualified


# -- CREATE -----------------------------------------------------------------------------------------------

def _create(draft: _Draft, tree: exp.Create) -> None:
    kind = str(tree.args.get("kind") or "").upper()
    named = _tables_in(draft, tree)
    if kind in ("INDEX", "TRIGGER"):
        draft.touch(name for name, _ in named)
        return
    schema = tree.this
    target = schema.this if isinstance(schema, exp.Schema) else schema
    if kind not in ("TABLE", "VIEW") or not isinstance(target, exp.Table):
        draft.forget(name for name, _ in named)
        return
    name, qualified = _target(draft, target)
    draft.touch(other for other, _ in named if other != name)  # REFERENCES, AS SELECT ... FROM
    if kind == "VIEW" or qualified or not isinstance(schema, exp.Schema) or tree.expression is not None \
            or tree.args.get("properties"):
        # A view, a table in another schema, CREATE TABLE AS / LIKE / PARTITION OF, TEMP, UNLOGGED, STRICT ...
        draft.forget([name])
        return
    if tree.args.get("exists") and draft.get(name) is not None:
        draft.touch([name])  # IF NOT EXISTS on a table that is there (or unknown): unchanged
        return
    try:
        draft.set(name, _table_columns(draft, schema))
    except _Unfollowable:
        draft.forget([name])


def _table_columns(draft: _Draft, schema: exp.Schema) -> list[Column]:
    columns: list[list[Any]] = []
    primary_key: list[str] = []
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            columns.append(list(_column(draft, item)))
        elif isinstance(item, exp.Identifier):  # SQLite: a column declared without a type
            columns.append([draft.name(item), draft.column_type(None, item), True])
        else:
            primary_key += _primary_key(draft, item)
    for key_column in primary_key if draft.rules.implicit_not_null else []:
        i = draft.find(columns, key_column)
        if i < 0:
            raise _Unfollowable(f"primary key on a missing column {key_column}")
        columns[i][2] = False
    names = [c[0].lower() if draft.rules.case_insensitive else c[0] for c in columns]
    if len(set(names)) != len(names):
        raise _Unfollowable("a column declared twice")
    return [(c[0], c[1], c[2]) for c in columns]


def _primary_key(draft: _Draft, constraint: exp.Expression) -> list[str]:
    """The columns of a table constraint if it is a PRIMARY KEY; [] for constraints that keep columns."""
    if isinstance(constraint, exp.PrimaryKey):
        return [draft.name(e) for e in constraint.expressions]
    if isinstance(constraint, exp.Constraint):
        return [c for e in constraint.expressions for c in _primary_key(draft, e)]
    if isinstance(constraint, _KEEPS_COLUMNS):
        return []
    raise _Unfollowable(f"table element {type(constraint).__name__}")


def _column(draft: _Draft, definition: exp.ColumnDef) -> Column:
    implicit = draft.rules.implicit_not_null
    dtype = definition.args.get("kind")
    nullable = not (implicit and isinstance(dtype, exp.DataType) and dtype.this in _SERIALS)
    for constraint in definition.args.get("constraints") or []:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint):
            nullable = bool(kind.args.get("allow_null"))  # `NULL` is NotNull(allow_null=True)
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint) and implicit:
            nullable = False
        elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint) and kind.args.get("expression") is None:
            nullable = nullable and not implicit  # an identity column is NOT NULL
        elif isinstance(kind, (exp.ComputedColumnConstraint, exp.GeneratedAsIdentityColumnConstraint)) \
                and not draft.rules.lists_generated:
            raise _Unfollowable("a generated column, which PRAGMA table_info does not list")
    return draft.name(definition.this), draft.column_type(dtype, definition.this), nullable


# -- DROP -------------------------------------------------------------------------------------------------

def _drop(draft: _Draft, tree: exp.Drop) -> None:
    kind = str(tree.args.get("kind") or "").upper()
    dropped = [_target(draft, t) for t in tree.args.get("tables") or [] if isinstance(t, exp.Table)]
    if kind == "TABLE":
        for name, qualified in dropped:
            if qualified:
                draft.forget([name])
            else:
                draft.drop(name)
    elif kind in ("INDEX", "TRIGGER"):
        return  # the names are not tables; no column changes
    elif kind == "VIEW":
        draft.forget(name for name, _ in dropped)
    elif tree.args.get("cascade"):
        # DROP TYPE/FUNCTION/SCHEMA ... CASCADE can drop columns of any table.
        draft.forget(list(draft.tables))


# -- ALTER ------------------------------------------------------------------------------------------------

def _alter(draft: _Draft, tree: exp.Alter) -> None:
    kind = str(tree.args.get("kind") or "").upper()
    if kind == "INDEX":
        return
    named = _tables_in(draft, tree)
    if kind != "TABLE" or not isinstance(tree.this, exp.Table):
        draft.forget(name for name, _ in named)
        return
    name, qualified = _target(draft, tree.this)
    actions = list(tree.args.get("actions") or [])
    renames = [a for a in actions if isinstance(a, exp.AlterRename)]
    new_name = draft.key(draft.name(renames[-1].this)) if renames else None
    draft.touch(other for other, _ in named if other not in (name, new_name))  # REFERENCES
    current = draft.get(name)
    if current is None and tree.args.get("exists"):
        draft.touch([name])  # ALTER TABLE IF EXISTS on a table that is not there: nothing happens
        return
    if qualified or not isinstance(current, tuple):  # unknown, or absent (the model was wrong)
        _lose(draft, name, new_name)
        return
    columns = [list(c) for c in current]
    try:
        for action in actions:
            _alter_action(draft, columns, action)
    except _Unfollowable:
        _lose(draft, name, new_name)
        return
    if new_name is not None:
        draft.drop(name)
    draft.set(new_name or name, [(c[0], c[1], c[2]) for c in columns])


def _lose(draft: _Draft, name: str, new_name: str | None) -> None:
    """The table's shape after the statement is not known; renamed, the old name is gone."""
    if new_name is None:
        draft.forget([name])
    else:
        draft.drop(name)
        draft.forget([new_name])


def _alter_action(draft: _Draft, columns: list[list[Any]], action: exp.Expression) -> None:
    if isinstance(action, exp.ColumnDef):
        column = _column(draft, action)
        if draft.find(columns, column[0]) >= 0:
            if action.args.get("exists"):
                return  # ADD COLUMN IF NOT EXISTS
            raise _Unfollowable("adds a column the model already has")
        columns.append(list(column))
    elif isinstance(action, exp.Drop):
        kind = str(action.args.get("kind") or "").upper()
        if kind == "CONSTRAINT":
            return  # NOT NULL set by a primary key stays when the key is dropped
        if kind != "COLUMN":
            raise _Unfollowable(f"DROP {kind}")
        for dropped in action.args.get("tables") or []:
            i = draft.find(columns, draft.name(dropped))
            if i < 0 and not action.args.get("exists"):
                raise _Unfollowable("drops a column the model does not have")
            if i >= 0:
                del columns[i]
    elif isinstance(action, exp.RenameColumn):
        old, new = draft.name(action.this), draft.name(action.args["to"])
        i, clash = draft.find(columns, old), draft.find(columns, new)
        if i < 0 or (clash >= 0 and clash != i):
            raise _Unfollowable("renames a column the model does not have, or onto one it has")
        columns[i][0] = new
    elif isinstance(action, exp.AlterColumn):
        _alter_column(draft, columns, action)
    elif isinstance(action, exp.AddConstraint):
        for constraint in action.expressions:
            for key_column in _primary_key(draft, constraint) if draft.rules.implicit_not_null else []:
                i = draft.find(columns, key_column)
                if i < 0:
                    raise _Unfollowable("a primary key on a column the model does not have")
                columns[i][2] = False
    elif not isinstance(action, (exp.AlterRename, exp.AlterSet)):
        raise _Unfollowable(f"ALTER TABLE action {type(action).__name__}")


def _alter_column(draft: _Draft, columns: list[list[Any]], action: exp.AlterColumn) -> None:
    i = draft.find(columns, draft.name(action.this))
    if i < 0 or any(value for arg, value in action.args.items() if arg not in _ALTER_COLUMN_ARGS):
        raise _Unfollowable("alters a column the model does not have, or in a way it does not model")
    dtype, allow_null = action.args.get("dtype"), action.args.get("allow_null")
    if dtype is not None:
        if draft.rules.declared_types:
            raise _Unfollowable("ALTER COLUMN TYPE on a database that keeps declared types")
        columns[i][1] = draft.column_type(dtype, action.this)
    if allow_null is not None:
        columns[i][2] = bool(allow_null)  # SET NOT NULL / DROP NOT NULL
    elif dtype is None and not any(action.args.get(a) for a in ("default", "drop", "comment", "collate")):
        raise _Unfollowable("an ALTER COLUMN form the model does not know")


# -- what sqlglot cannot parse ----------------------------------------------------------------------------

def _unparsed(draft: _Draft) -> None:
    """Read an unparseable statement by its tokens: index DDL changes no columns; otherwise the table after
    TABLE, and any table the model knows that the statement names, become unknown."""
    tokens = _tokens(draft.dialect.sqlglot_name, draft.sql)
    words = [t.text.upper() if t.token_type != TokenType.IDENTIFIER else "" for t in tokens]
    head = words[1:] if words[:2] != ["CREATE", "UNIQUE"] else words[2:]
    if words[:1] in (["CREATE"], ["DROP"]) and head[:1] == ["INDEX"]:
        if "ON" in words:
            after = words.index("ON") + 1
            after += words[after:after + 1] == ["ONLY"]
            draft.touch(_names_at(draft, tokens, after))
        return
    visible: set[str] = set()
    known = {k.lower() if draft.rules.case_insensitive else k for k in [*draft.tables, *draft.unknown]}
    for i, token in enumerate(tokens):
        if words[i] == "TABLE":
            j = i + 1
            while j < len(words) and words[j] in ("IF", "NOT", "EXISTS", "ONLY"):
                j += 1
            visible.update(_names_at(draft, tokens, j))
        if token.token_type in (TokenType.VAR, TokenType.IDENTIFIER):
            name = _token_name(draft, token)
            if (name.lower() if draft.rules.case_insensitive else name) in known:
                visible.add(draft.key(name))
    draft.forget(visible)


def _names_at(draft: _Draft, tokens: list[Token], i: int) -> list[str]:
    """The table name starting at token i (the last part of a dotted name), if there is one."""
    while i + 2 < len(tokens) and tokens[i + 1].token_type == TokenType.DOT:
        i += 2
    if i < len(tokens) and tokens[i].token_type in (TokenType.VAR, TokenType.IDENTIFIER):
        return [draft.key(_token_name(draft, tokens[i]))]
    return []


def _token_name(draft: _Draft, token: Token) -> str:
    quoted = token.token_type == TokenType.IDENTIFIER
    return token.text.lower() if draft.rules.fold_unquoted and not quoted else token.text


@functools.lru_cache(maxsize=256)
def _tokens(sqlglot_name: str, sql: str) -> list[Token]:
    try:
        return sqlglot.Dialect.get_or_raise(sqlglot_name).tokenize(sql)
    except SqlglotError:
        return []


_TYPE_ENDS = {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES",
              "GENERATED", "AS", "ON"}


def _declared_type(tokens: list[Token], name_end: int) -> str:
    """The type text after a column name, as SQLite reads it: names, then an optional (n) or (n, m)."""
    words: list[str] = []
    depth = 0
    for token in (t for t in tokens if t.start > name_end):
        kind = token.token_type
        if depth:
            words.append(token.text)
            depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
            if depth == 0:
                break
        elif kind == TokenType.L_PAREN and words:
            words.append("(")
            depth = 1
        elif kind in (TokenType.L_PAREN, TokenType.R_PAREN, TokenType.COMMA, TokenType.SEMICOLON) or (
                kind not in (TokenType.IDENTIFIER, TokenType.STRING) and token.text.split()[0].upper() in _TYPE_ENDS):
            break
        else:
            words.append(token.text)
    return " ".join(words)


# -- types ------------------------------------------------------------------------------------------------

def normalize_type(dialect: Dialect, type_sql: str) -> str:
    """One spelling per type, so a type written in DDL and the type a database reports compare equal.

    PostgreSQL: sqlglot's canonical name, lower-case like dbbasic's own DDL (`timestamp with time zone` and
    `timestamptz` are both `timestamptz`, `character varying(120)` is `varchar(120)`, `int4` is `int`).
    SQLite keeps the declared text, so its spelling is that text, upper-cased, spacing normalized."""
    return _normalize_type(dialect.name, dialect.sqlglot_name, type_sql)


@functools.lru_cache(maxsize=2048)
def _normalize_type(dialect_name: str, sqlglot_name: str, type_sql: str) -> str:
    text = _spell(type_sql)
    if _rules(dialect_name).declared_types:
        return text.upper()
    text = re.sub(r"(?i)^varbit\b", "bit varying", text)  # sqlglot knows neither; one spelling for both
    try:
        # Parsed inside a CAST so that text sqlglot cannot read fails (DataType.build silently reads
        # `bit varying` as `bit`, dropping what it does not understand).
        cast = sqlglot.parse_one(f"CAST(NULL AS {text})", read=sqlglot_name)
    except SqlglotError:
        cast = None
    dtype = cast.args.get("to") if isinstance(cast, exp.Cast) else None
    if not isinstance(dtype, exp.DataType):
        return text if '"' in text else text.lower()
    rendered = dtype.transform(_same_type_as_postgres).sql(dialect=sqlglot_name)
    return rendered if '"' in rendered else rendered.lower()


def _spell(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"\s*\(\s*", "(", text)
    text = re.sub(r"\s*\)", ")", text)
    return re.sub(r"\s*,\s*", ", ", text)


_INTEGER_OF_SERIAL = {exp.DataType.Type.SERIAL: "int", exp.DataType.Type.BIGSERIAL: "bigint",
                      exp.DataType.Type.SMALLSERIAL: "smallint"}


def _same_type_as_postgres(node: exp.Expression) -> exp.Expression:
    """Spellings PostgreSQL stores as another type: serial is integer, numeric(p) is numeric(p,0),
    float(p) is real or double precision, char is char(1), bpchar(n) is char(n)."""
    if not isinstance(node, exp.DataType):
        return node
    kind, params = node.this, node.expressions
    if kind in _INTEGER_OF_SERIAL:
        return exp.DataType.build(_INTEGER_OF_SERIAL[kind])
    if kind == exp.DataType.Type.DECIMAL and len(params) == 1:
        return exp.DataType(this=kind, expressions=[*params, exp.DataTypeParam(this=exp.Literal.number(0))])
    if kind in (exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE) and len(params) == 1:
        precision = params[0].this
        if isinstance(precision, exp.Literal) and precision.is_int:
            return exp.DataType.build("real" if int(precision.this) <= 24 else "double precision", dialect="postgres")
    if kind == exp.DataType.Type.CHAR and not params:
        return exp.DataType(this=kind, expressions=[exp.DataTypeParam(this=exp.Literal.number(1))])
    if kind == exp.DataType.Type.BPCHAR and params:
        return exp.DataType(this=exp.DataType.Type.CHAR, expressions=params)
    return node
