"""Numbered plan steps as every generator builds them (`1-add-...`, `2-...`), each with the lock and risk
its statements take (sql/analyze.py), and the key a batched or transform step can walk a table by.

    steps = Steps(dialect)
    steps.ddl("add-users.nick", [ddl.add_column(...)], [ddl.drop_column(...)], "Add column users.nick")
    plan_steps = tuple(steps.steps)
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, cast

from dbbasic.plan.model import (
    BatchedStep,
    CaptureStep,
    CheckStep,
    ConfigStep,
    CopyStep,
    CutoverStep,
    DdlStep,
    GateStep,
    MaintainStep,
    ManualStep,
    OnlineDdlStep,
    Risk,
    SettingsStep,
    Step,
    SyncStep,
    TransformStep,
    VerifyStep,
)
from dbbasic.specs.model import DataModel, Field, Table
from dbbasic.sql import ddl
from dbbasic.sql.analyze import combine, statement_effect
from dbbasic.sql.dialect import Dialect

BATCH_KEY_TYPES = ("id", "int", "bigint", "text", "string", "email", "phone", "url", "uuid")
"""Semantic types of a key a batched step can walk (the runner walks integer, text and uuid keys)."""


def batch_key(dialect: Dialect, table: Table, model: DataModel) -> Field | None:
    """The single-column key a batched or transform step can walk the table by, if it has one."""
    key = table.field(table.primary_key[0]) if len(table.primary_key) == 1 else None
    return key if key is not None and ddl.column_type(dialect, key, model).name in BATCH_KEY_TYPES else None


class Steps:
    def __init__(self, dialect: Dialect):
        self.dialect = dialect
        self.steps: list[Step] = []

    def _id(self, name: str) -> str:
        return f"{len(self.steps) + 1}-{name}"

    def ddl(self, name: str, up: list[str], down: list[str] | None, description: str, online: bool = False) -> None:
        """Statements run together (or, `online`, one by one outside a transaction); `down` None: no undo."""
        lock, risk = combine([statement_effect(self.dialect, s) for s in up])
        kind = OnlineDdlStep if online else DdlStep
        self.steps.append(kind(self._id(name), tuple(up), tuple(down) if down is not None else None,
                               self.dialect.LOCKS[lock], cast(Risk, risk), description))

    def batched(self, name: str, table: str, key: str, up: list[str], down: list[str], description: str) -> None:
        """Statements run over key ranges of `table` (`ddl.batch_bound` writes their bounds)."""
        _, risk = combine([statement_effect(self.dialect, s) for s in up])
        self.steps.append(BatchedStep(self._id(name), table, key, tuple(up), down=tuple(down),
                                      lock=self.dialect.LOCKS["rows"] + ", one batch at a time",
                                      risk=cast(Risk, risk), description=description))

    def transform(self, name: str, table: Table, key: Field, column: str, into: str, module: ModuleType,
                  parameters: dict[str, Any], log: str, down: list[str], description: str) -> None:
        """A transform (dbbasic/transforms/) of `column` into `into`, logged in the table `log`."""
        self.steps.append(TransformStep(self._id(name), table.name, key.name, column, into, module.NAME,
                                        module.VERSION, parameters, log, down=tuple(down),
                                        lock=self.dialect.LOCKS["rows"] + ", one batch at a time",
                                        description=description))

    def check(self, name: str, sql: str, expect: Any, description: str) -> None:
        self.steps.append(CheckStep(self._id(name), sql, expect, description))

    def copy(self, name: str, source: str, table: str, key: tuple[str, ...], columns: list[str], select: list[str],
             down: list[str] | None, description: str) -> None:
        """Rows of `table` on the target `source` into the same table here, in the order of `key` (one column
        or several), each column selected as `select` says (the source's SQL)."""
        self.steps.append(CopyStep(self._id(name), source, table, table, key[0], tuple(columns), down=(
            tuple(down) if down is not None else None), description=description, select=tuple(select),
            then_by=tuple(key[1:])))

    def verify(self, name: str, source: str, table: str, key: tuple[str, ...], columns: list[tuple[str, str, str]],
               sample: int, description: str, log: str = "") -> None:
        """`table` here compared with the source's; `columns`: (name, type here, the source's SQL); `log`: the
        source's change log, replayed first in a synced move."""
        names, types, select = (tuple(part) for part in zip(*columns, strict=True))
        self.steps.append(VerifyStep(self._id(name), source, table, key, names, types, select, sample, description,
                                     log))

    def capture(self, name: str, source: str, log: str, up: list[str], down: list[str], description: str) -> None:
        """A change log on the target `source`: `up` and `down` in the source's dialect."""
        self.steps.append(CaptureStep(self._id(name), source, log, tuple(up), tuple(down), description))

    def sync(self, name: str, source: str, log: str, tables: list[dict[str, Any]], max_lag_rows: int,
             description: str) -> None:
        self.steps.append(SyncStep(self._id(name), source, log, tuple(tables), max_lag_rows, description))

    def cutover(self, name: str, source: str, log: str, tables: list[dict[str, Any]], freeze: str, after: list[str],
                fence: list[str], unfence: list[str], description: str) -> None:
        """The write freeze; `after` runs here, `fence` and `unfence` on the source."""
        self.steps.append(CutoverStep(self._id(name), source, log, tuple(tables), cast(Any, freeze), tuple(after),
                                      tuple(fence), tuple(unfence), description))

    def manual(self, name: str, action: str, description: str) -> None:
        self.steps.append(ManualStep(self._id(name), action, description))

    def gate(self, name: str, tier: str, metric: str, sql: str, at_least: float, description: str) -> None:
        self.steps.append(GateStep(self._id(name), tier, metric, sql, at_least, description))

    def settings(self, name: str, settings: dict[str, str], connection: list[str], down: dict[str, str] | None,
                 description: str) -> None:
        self.steps.append(SettingsStep(self._id(name), settings, tuple(connection), down, description))

    def config(self, name: str, files: dict[str, str], settings: dict[str, str], description: str) -> None:
        self.steps.append(ConfigStep(self._id(name), files, settings, description))

    def maintain(self, name: str, table: str, sets: list[dict[str, Any]], description: str) -> None:
        self.steps.append(MaintainStep(self._id(name), table, tuple(sets), ("premake",), description))
