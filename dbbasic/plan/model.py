"""The plan: an ordered list of steps as plain data, its canonical JSON, and its hash.

A step says what runs (its SQL for one dialect), how (in a transaction or not, in batches) and what it
costs (lock, risk); rendering it for people is render.py's job and running it is the runner's.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar, Literal

from dbbasic.errors import PlanError
from dbbasic.specs.model import Source
from dbbasic.sql.dialect import Dialect

FORMAT = "dbbasic.plan/1"
Risk = Literal["safe", "caution", "destructive"]
Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class DdlStep:
    """Statements run together in one transaction with their history row; on PostgreSQL under a lock
    timeout, retried with back-off, so that a busy table makes the migration wait, not the application."""

    kind: ClassVar[str] = "ddl"
    id: str
    up: tuple[str, ...]
    down: tuple[str, ...] | None = None
    """None when the step cannot be undone."""
    lock: str = ""
    risk: Risk = "safe"
    description: str = ""
    rebuild: bool = False
    """SQLite's table rebuild: foreign keys are not enforced while the table is replaced, and are checked
    (`PRAGMA foreign_key_check`) before the step commits."""


@dataclass(frozen=True)
class OnlineDdlStep:
    """Statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY), run one by one and made
    safe to run again: an index left INVALID by an interrupted build is dropped and built anew."""

    kind: ClassVar[str] = "online_ddl"
    id: str
    up: tuple[str, ...]
    down: tuple[str, ...] | None = None
    lock: str = ""
    risk: Risk = "safe"
    description: str = ""


@dataclass(frozen=True)
class BatchedStep:
    """One statement run over key ranges `%(after)s < key <= %(upto)s`, committed batch by batch with
    its checkpoint; the batch size adapts so that a batch takes about `target_ms`."""

    kind: ClassVar[str] = "batched"
    id: str
    table: str
    key: str
    up: tuple[str, ...]
    batch_rows: int = 5000
    """The first batch's size."""
    target_ms: int = 200
    down: tuple[str, ...] | None = None
    lock: str = "ROW EXCLUSIVE on the rows of each batch"
    risk: Risk = "caution"
    description: str = ""


@dataclass(frozen=True)
class CopyStep:
    """Rows of `table` (on the target named `source`, or on the same database when it is empty) copied
    into `into` in key order, each batch committed with its checkpoint in the destination."""

    kind: ClassVar[str] = "copy"
    id: str
    source: str
    table: str
    into: str
    key: str
    """The source column that orders the copy and is its checkpoint: one of `columns`, or a column the
    destination lacks (a move copies SQLite tables in `rowid` order)."""
    columns: tuple[str, ...]
    batch_rows: int = 5000
    target_ms: int = 200
    down: tuple[str, ...] | None = None
    lock: str = "ROW EXCLUSIVE on the destination, one batch at a time"
    risk: Risk = "caution"
    description: str = ""
    select: tuple[str, ...] = ()
    """The source's SQL for each of `columns`, in the source's dialect (a move converts values on the way:
    epoch seconds as ISO text...); empty: the columns themselves."""
    then_by: tuple[str, ...] = ()
    """The key's further columns when it has several (a WITHOUT ROWID table's composite primary key): the copy
    is ordered by all of them, and its checkpoint holds the values of each."""

    @property
    def keys(self) -> tuple[str, ...]:
        """Every column of the key the copy walks, in order."""
        return (self.key, *self.then_by)


@dataclass(frozen=True)
class TransformStep:
    """Each value of `column` rewritten by a named Python transform (dbbasic/transforms/) into `into`
    (the same column, or a new one), over key ranges as a batched step, each batch committed with its
    checkpoint. Every row whose value changed or was noted (rejected, or changed in a way worth counting)
    gets a row in the `log` table: (key, original, result, note, reason), which is both the report a
    reviewer reads and what the `down` restores from."""

    kind: ClassVar[str] = "transform"
    LOG_COLUMNS: ClassVar[tuple[str, ...]] = ("row_key", "original", "result", "note", "reason")
    """The columns of the log table, which the plan creates in an earlier step."""
    id: str
    table: str
    key: str
    column: str
    into: str
    transform: str
    version: int
    """The transform's version the plan was compiled with; the runner refuses to run another."""
    parameters: dict[str, Any]
    log: str
    batch_rows: int = 5000
    target_ms: int = 200
    down: tuple[str, ...] | None = None
    lock: str = "ROW EXCLUSIVE on the rows of each batch"
    risk: Risk = "caution"
    description: str = ""


@dataclass(frozen=True)
class ImportStep:
    """Rows of a file (`source`, whose content had digest `sha256` when the plan was compiled, read as
    `format` says) loaded into `table`: each record's columns mapped to fields (`columns`), run through
    `rules` in order, cast to the field types (`types`), and inserted in batches, each committed with its
    checkpoint. A record a rule or the database refuses is set aside, with the reason, in the rejects
    file; the rows it loads are recorded so that `down` removes exactly them."""

    kind: ClassVar[str] = "import"
    ROWS_TABLE: ClassVar[str] = "dbbasic_import_rows"
    """The runner's record of the rows an import loaded, by the target's key; the step's `down` removes them."""
    KEYS_TABLE: ClassVar[str] = "dbbasic_import_keys"
    """The match keys of an import's duplicate rule, with the line that had each first (0: a row of the table)."""
    id: str
    source: str
    sha256: str
    format: dict[str, Any]
    table: str
    key: str
    """The target's primary key, by which loaded rows are recorded (and removed on rollback)."""
    columns: dict[str, str]
    """Source column -> field."""
    types: dict[str, dict[str, Any]]
    """Field -> its type (`type`, `args`, `values`), as the loader casts values."""
    rules: tuple[dict[str, Any], ...]
    """Each rule as understood: `rule` (its name), `parameters`, and `written` (the spec's words)."""
    defaults: dict[str, str] = field(default_factory=dict)
    """Field -> the SQL of its default in the model, which a record without a value for it gets."""
    on_error: str = "reject"
    batch_rows: int = 5000
    down: tuple[str, ...] | None = None
    lock: str = "ROW EXCLUSIVE on the target, one batch at a time"
    risk: Risk = "caution"
    description: str = ""


@dataclass(frozen=True)
class CheckStep:
    """A query whose single value must equal `expect`, or the plan stops."""

    kind: ClassVar[str] = "check"
    id: str
    sql: str
    expect: Any
    description: str = ""


@dataclass(frozen=True)
class VerifyStep:
    """`table` here compared with `table` on the target named `source`, row for row: counts, a checksum of
    every row (values normalised by `types`, the columns' types here), `sample` rows by `key`; any difference
    stops the plan, named by key, column and both values (runner/verify.py)."""

    kind: ClassVar[str] = "verify"
    id: str
    source: str
    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    types: tuple[str, ...]
    select: tuple[str, ...]
    """The source's SQL for each column, as its copy selected it."""
    sample: int = 0
    description: str = ""
    log: str = ""
    """In a synced move: the source's change log, replayed (as the plan's sync step says) in the snapshot the
    source is read in, so that both sides are compared at the same moment while the application writes."""


@dataclass(frozen=True)
class CaptureStep:
    """Triggers on the target named `source` that record the key of every row written to its tables in
    the change log `log` there, from before the copy until the switch. `source_up` and `source_down` run
    on the source, in its dialect; nothing here changes."""

    kind: ClassVar[str] = "capture"
    id: str
    source: str
    log: str
    source_up: tuple[str, ...]
    source_down: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class SyncStep:
    """The rows the change log `log` on `source` names, replayed here as the source has them now (inserted,
    updated or deleted, one transaction per pass), pass after pass until at most `max_lag_rows` changes
    wait or a pass keeps pace with the writers (runner/cutover.py). `tables`: per table, `table`, `key` (its
    primary key), `columns`, `types` (here) and `select` (the source's SQL for each column, as its copy
    selected it)."""

    kind: ClassVar[str] = "sync"
    id: str
    source: str
    log: str
    tables: tuple[dict[str, Any], ...]
    max_lag_rows: int = 0
    description: str = ""


@dataclass(frozen=True)
class CutoverStep:
    """The write freeze: the source's write lock taken (`freeze: lock`; with `manual`, a person stopped the
    writes before), the last changes replayed, every table's count and every row changed since its verify
    compared, `after` run here (identities set above the last keys), then `fence` run on the source (its
    tables refuse writes from then on) and the lock released. `unfence` (on the source) is its undo."""

    kind: ClassVar[str] = "cutover"
    id: str
    source: str
    log: str
    tables: tuple[dict[str, Any], ...]
    freeze: Literal["lock", "manual"]
    after: tuple[str, ...]
    fence: tuple[str, ...]
    unfence: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class ManualStep:
    """Something a person does; apply stops here and says how to continue."""

    kind: ClassVar[str] = "manual"
    id: str
    action: str
    description: str = ""


@dataclass(frozen=True)
class GateStep:
    """A scaling tier's threshold: the plan goes on once `sql` (the tier's metric, one number) is at least
    `at_least`; below it, apply stops here with nothing changed and the plans after wait too, so a tier's plan
    is reviewed ahead and applies when the target grows into the tier."""

    kind: ClassVar[str] = "gate"
    id: str
    tier: str
    metric: str
    sql: str
    at_least: float
    description: str = ""


@dataclass(frozen=True)
class SettingsStep:
    """Engine settings the runner sets and reads back (SQLite PRAGMAs), in order; their values as read are the
    step's checkpoint. `connection`: the settings SQLite keeps per connection, which the application sets on
    each of its connections (plan.md says so); the others persist in the database file. `down`: what rollback
    sets again."""

    kind: ClassVar[str] = "settings"
    id: str
    settings: dict[str, str]
    connection: tuple[str, ...]
    down: dict[str, str] | None
    description: str = ""


@dataclass(frozen=True)
class ConfigStep:
    """Configuration files for the server and the services beside it (written with the plan under
    `files/`), and the server settings they set, checked against the live server (a name it knows, a value it
    accepts) before a person installs them: a file that would stop the server at its restart fails here."""

    kind: ClassVar[str] = "config"
    id: str
    files: dict[str, str]
    settings: dict[str, str]
    description: str = ""


@dataclass(frozen=True)
class MaintainStep:
    """Partition upkeep of `table` (runner/maintain.py), the same `dbbasic maintain` runs from cron: `tasks`
    among `premake` (the range partitions from this period to `premake` ahead), `move` (rows matching `move:`
    into the archive) and `retention` (partitions past it detached). `sets`: the partition sets as data."""

    kind: ClassVar[str] = "maintain"
    id: str
    table: str
    sets: tuple[dict[str, Any], ...]
    tasks: tuple[str, ...] = ("premake",)
    description: str = ""


Step = (DdlStep | OnlineDdlStep | BatchedStep | CopyStep | TransformStep | ImportStep | CheckStep | VerifyStep
        | CaptureStep | SyncStep | CutoverStep | ManualStep | GateStep | SettingsStep | ConfigStep | MaintainStep)
SqlStep = DdlStep | OnlineDdlStep | BatchedStep | CopyStep | TransformStep | ImportStep
"""Steps that change something, and so have a `down`, a lock and a risk."""
SQL_STEPS = (DdlStep, OnlineDdlStep, BatchedStep, CopyStep, TransformStep, ImportStep)
STEP_CLASSES: dict[str, type[Step]] = {cls.kind: cls for cls in (
    DdlStep, OnlineDdlStep, BatchedStep, CopyStep, TransformStep, ImportStep, CheckStep, VerifyStep, CaptureStep,
    SyncStep, CutoverStep, ManualStep, GateStep, SettingsStep, ConfigStep, MaintainStep)}
SOURCE_STEPS = (CaptureStep, CutoverStep)
"""Steps that change the source of a move (triggers on it), undone there by rollback."""


@dataclass(frozen=True, order=True)
class Finding:
    """What a lint rule found in a step: what happens (message) and what to do instead (help)."""

    step: str
    rule: str
    level: Level
    message: str
    help: str = ""


@dataclass(frozen=True)
class Plan:
    id: str
    task: str
    dialect: str
    source: Source
    generator: str
    generator_version: int
    steps: tuple[Step, ...]
    findings: tuple[Finding, ...] = ()
    description: str = ""
    expects: dict[str, Any] = field(default_factory=dict)
    """Fingerprint of the tables the plan touches as it expects to find them (table -> columns, or None
    for a table that must not exist yet); `apply` compares it with the live database first."""
    leaves: dict[str, Any] = field(default_factory=dict)
    """Fingerprint of the same tables once the plan has run."""
    planner: dict[str, Any] | None = None
    """For a plan the LLM planner proposed: the model, profile, prompt template and version, cache key, how
    many answers it took, the dry run and what its steps destroy (see planner/propose.py)."""

    def with_findings(self, findings: list[Finding]) -> Plan:
        return replace(self, findings=tuple(sorted(findings)))

    def with_fingerprints(self, expects: dict[str, Any], leaves: dict[str, Any]) -> Plan:
        return replace(self, expects=expects, leaves=leaves)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    # -- JSON --------------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        body = self._body()
        body["hash"] = self.hash()
        return body

    def _body(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "task": self.task,
            "description": self.description,
            "dialect": self.dialect,
            "source": asdict(self.source),
            "made_by": {"generator": self.generator, "version": self.generator_version,
                        **({"planner": self.planner} if self.planner is not None else {})},
            "steps": [step_to_json(s) for s in self.steps],
            "findings": [asdict(f) for f in self.findings],
            "schema": {"expects": self.expects, "leaves": self.leaves},
        }

    def canonical_json(self) -> str:
        return canonical(self.to_json())

    @functools.cached_property
    def _meanings(self) -> dict[str, dict[str, Any]]:
        dialect = Dialect.get(self.dialect)
        return {s.id: _normalized(step_to_json(s), dialect) for s in self.steps}

    @functools.cached_property
    def _hash(self) -> str:
        meaning = {"format": FORMAT, "id": self.id, "dialect": self.dialect, "steps": list(self._meanings.values())}
        return _digest(meaning)

    def step_hash(self, step: Step) -> str:
        """Digest of one step's meaning, as the runner records it: an applied step must not change."""
        return _digest(self._meanings[step.id])

    def hash(self) -> str:
        """Digest of what runs: the steps with their SQL normalised, in this dialect, under this id.

        The task text, the source position and digest, the findings and the schema fingerprints (all
        derived) are left out: rewording a spec or reformatting its SQL must not invalidate an approval,
        while any change of meaning does.
        """
        return self._hash

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        if data.get("format") != FORMAT:
            raise PlanError(f"unknown plan format {data.get('format')!r} (this dbbasic reads {FORMAT})",
                            data.get("id"), "recompile with `dbbasic plan`")
        try:
            return cls(
                id=data["id"], task=data["task"], dialect=data["dialect"], description=data.get("description", ""),
                source=Source(**data["source"]),
                generator=data["made_by"]["generator"], generator_version=data["made_by"]["version"],
                steps=tuple(step_from_json(s) for s in data["steps"]),
                findings=tuple(Finding(**f) for f in data.get("findings", [])),
                expects=data.get("schema", {}).get("expects", {}),
                leaves=data.get("schema", {}).get("leaves", {}),
                planner=data["made_by"].get("planner"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanError(f"plan {data.get('id', '?')} is malformed: {exc}", data.get("id"),
                            "recompile with `dbbasic plan`") from None


def step_to_json(step: Step) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": step.kind}
    for f in fields(step):
        value = getattr(step, f.name)
        body[f.name] = list(value) if isinstance(value, tuple) else value
    return body


def step_from_json(data: dict[str, Any]) -> Step:
    cls = STEP_CLASSES.get(data.get("kind", ""))
    if cls is None:
        raise ValueError(f"unknown step kind {data.get('kind')!r}")
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k != "kind"}
    return cls(**values)


def _digest(data: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical(data).encode()).hexdigest()


def canonical(data: Any) -> str:
    """Canonical JSON: sorted keys, 2-space indent, UTF-8 as is, trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


_ADDED_LATER: dict[str, dict[str, Any]] = {"copy": {"select": [], "then_by": []}, "verify": {"log": ""}}
"""Fields a step kind gained after plans with it were approved and applied: left out of the step's meaning
while at their default, so that adding one changes no existing plan's hash (nor makes an applied step drift)."""


def _normalized(step: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    added = _ADDED_LATER.get(step["kind"], {})
    result = {k: v for k, v in step.items() if k != "description" and (k not in added or v != added[k])}
    for key in ("up", "down"):
        if result.get(key) is not None:
            result[key] = [dialect.normalize(s) for s in result[key]]
    if "sql" in result:
        result["sql"] = dialect.normalize(result["sql"])
    return result


__all__ = [
    "FORMAT",
    "BatchedStep",
    "CaptureStep",
    "CheckStep",
    "CutoverStep",
    "DdlStep",
    "Finding",
    "ImportStep",
    "ManualStep",
    "Plan",
    "Source",
    "Step",
    "SyncStep",
    "TransformStep",
    "VerifyStep",
    "canonical",
]
