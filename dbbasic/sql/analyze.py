"""What a statement does to a live database: the lock it takes and how risky it is.

Levels are dialect-neutral ("share", "brief", ...); `Dialect.LOCKS` says what each means on a database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from dbbasic.sql.dialect import Dialect

# Strongest last: a step takes the strongest lock of its statements.
LOCK_ORDER = ("none", "new", "rows", "concurrent", "share", "brief", "unknown", "exclusive")
RISK_ORDER = ("safe", "caution", "destructive")


@dataclass(frozen=True)
class Effect:
    lock: str
    risk: str
    destructive: str = ""
    """What the statement destroys ("drops table users"), when it does."""
    tables: tuple[str, ...] = ()
    creates: tuple[str, ...] = ()
    concurrent: bool = False


def statement_effect(dialect: Dialect, statement: str) -> Effect:
    quick = _create_effect(dialect.tokens(statement))
    if quick is not None:
        return quick
    tree = dialect.parse(statement)
    if tree is None:
        return Effect("unknown", "caution")
    tables = tuple(sorted({t.name for t in tree.find_all(exp.Table) if t.name}))
    if isinstance(tree, exp.Create):
        kind = str(tree.args.get("kind") or "").upper()
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        name = target.name if isinstance(target, exp.Expression) else ""
        if kind == "INDEX":
            concurrent = bool(tree.args.get("concurrently"))
            return Effect("concurrent" if concurrent else "share", "safe" if concurrent else "caution",
                          tables=tables, concurrent=concurrent)
        return Effect("new", "safe", tables=tables, creates=(name,) if name else ())
    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").lower()
        if kind in ("table", "view", "schema"):
            return Effect("exclusive", "destructive", f"drops {kind} {_names(tree)}", tables)
        concurrent = bool(tree.args.get("concurrently"))
        return Effect("concurrent" if concurrent else "brief", "caution", tables=tables, concurrent=concurrent)
    if isinstance(tree, exp.TruncateTable):
        return Effect("exclusive", "destructive", "empties the table", tables)
    if isinstance(tree, exp.Delete) and not tree.args.get("where"):
        return Effect("rows", "destructive", "deletes every row", tables)
    if isinstance(tree, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        return Effect("rows", "caution", tables=tables)
    if isinstance(tree, exp.Alter):
        return _alter_effect(tree, tables)
    if isinstance(tree, exp.Query):
        return Effect("none", "safe", tables=tables)
    return Effect("unknown", "caution", tables=tables)


def _create_effect(tokens: list[tuple[str, str]]) -> Effect | None:
    """CREATE TABLE and CREATE INDEX read from their first tokens: most of a schema plan, without a parse.

    Anything less plain (CREATE TABLE ... AS SELECT, IF NOT EXISTS, ON ONLY) goes to the parser."""
    # Keywords by their upper-case text (sqlglot gives some, like CONCURRENTLY, as plain words);
    # a quoted name is never a keyword.
    words = [text if kind == "IDENTIFIER" else text.upper() for kind, text in tokens]
    if words[:2] == ["CREATE", "TABLE"] and len(words) > 3 and words[3] == "(" and "SELECT" not in words:
        name = tokens[2][1]
        return Effect("new", "safe", tables=(name,), creates=(name,))
    head = words[2:] if words[:2] == ["CREATE", "UNIQUE"] else words[1:] if words[:1] == ["CREATE"] else []
    if head[:1] != ["INDEX"] or "ON" not in words:
        return None
    on = words.index("ON")
    if on + 2 >= len(words) or words[on + 2] != "(" or "IF" in words[:on] or words[on + 1] == "ONLY":
        return None
    concurrent = "CONCURRENTLY" in words[:on]
    return Effect("concurrent" if concurrent else "share", "safe" if concurrent else "caution",
                  tables=(tokens[on + 1][1],), concurrent=concurrent)


def _alter_effect(tree: exp.Alter, tables: tuple[str, ...]) -> Effect:
    lock, risk, destroys = "brief", "safe", ""
    for action in tree.args.get("actions") or []:
        if isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() == "COLUMN":
            risk, destroys = "destructive", f"drops column {_names(action)} of {tree.this.name}"
        elif isinstance(action, exp.Drop):
            risk = "caution" if risk == "safe" else risk  # a constraint: no data goes, a guarantee does
        elif _holds_table(action, not_valid=bool(tree.args.get("not_valid"))):
            lock, risk = "exclusive", "caution" if risk == "safe" else risk
    return Effect(lock, risk, destroys, tables)


def _holds_table(action: exp.Expression, not_valid: bool) -> bool:
    """Whether an ALTER TABLE action rewrites or scans the whole table under its lock."""
    if isinstance(action, exp.ColumnDef):
        return _volatile_default(action)
    if isinstance(action, exp.AlterColumn):
        # SET/DROP DEFAULT is a catalog change; a new type rewrites, SET NOT NULL scans.
        return not (action.args.get("default") is not None or action.args.get("drop"))
    if isinstance(action, exp.AddConstraint):
        return not not_valid  # NOT VALID skips the scan of existing rows
    return False


def _names(drop: exp.Expression) -> str:
    return ", ".join(t.name for t in drop.args.get("tables") or []) or "?"


def _volatile_default(column: exp.ColumnDef) -> bool:
    for constraint in column.args.get("constraints") or []:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.DefaultColumnConstraint) and kind.find(exp.Func) is not None:
            return not isinstance(kind.this, (exp.CurrentTimestamp, exp.CurrentDate))
    return False


def combine(effects: list[Effect]) -> tuple[str, str]:
    """The (lock level, risk) of a step: the strongest of its statements."""
    lock = max((e.lock for e in effects), key=LOCK_ORDER.index, default="none")
    risk = max((e.risk for e in effects), key=RISK_ORDER.index, default="safe")
    return lock, risk
