"""The typed spec model (the IR): what the specs mean, with no YAML and no SQL in it.

Everything here is produced by `validate.py` from documents that passed validation, so generators can
trust it: refs resolve, enum defaults are among the values, every SQL text exists for every dialect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SEMANTIC_TYPES: dict[str, int] = {
    # name -> how many numeric arguments it may take, e.g. string(120), decimal(10,2)
    "id": 0, "uuid": 0, "text": 0, "string": 1, "email": 0, "phone": 0, "url": 0, "int": 0, "bigint": 0,
    "decimal": 2, "float": 0, "bool": 0, "date": 0, "timestamp": 0, "json": 0, "enum": 0,
}

ON_DELETE = ("cascade", "restrict", "set_null", "set_default", "no_action")


@dataclass(frozen=True)
class Source:
    """Where a plan's intent was written: the spec file, the line of its key, the file's digest."""

    file: str
    line: int
    sha256: str


@dataclass(frozen=True)
class FieldType:
    name: str
    args: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(str, self.args))})" if self.args else self.name


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    unique: bool = False
    index: bool = False
    default: Any = None
    values: tuple[str | int, ...] = ()
    ref: str | None = None
    on_delete: str | None = None
    description: str = field(default="", compare=False)
    renamed_from: str | None = field(default=None, compare=False)
    """A change instruction (rename, do not drop and add), not part of the model: snapshots leave it out."""
    line: int = field(default=0, compare=False)
    """Where the field is written, for errors found when the model is compared with its last version."""


@dataclass(frozen=True)
class IndexColumn:
    name: str
    descending: bool = False


@dataclass(frozen=True)
class Index:
    columns: tuple[IndexColumn, ...]
    unique: bool = False
    name: str | None = None
    where: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    indexes: tuple[Index, ...] = ()
    description: str = field(default="", compare=False)
    renamed_from: str | None = field(default=None, compare=False)
    dropped_fields: tuple[str, ...] = field(default=(), compare=False)
    """Fields written `{drop: true}`: the author confirms their data may go."""
    line: int = field(default=0, compare=False)
    lint_ignore: dict[str, str] = field(default_factory=dict, compare=False)
    """Lint rules the table's changes may break, by code, with the reason."""

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class DataModel:
    tables: tuple[Table, ...] = ()
    source: Source | None = None
    dropped_tables: tuple[str, ...] = ()
    """Tables written `{drop: true}`."""

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def indexed_columns(self) -> frozenset[tuple[str, str]]:
        """(table, column) of every column that leads an index: keys, unique fields, indexes."""
        found = set()
        for table in self.tables:
            leads = [table.primary_key[:1], *[g[:1] for g in table.unique]]
            leads += [(i.columns[0].name,) for i in table.indexes] + [(f.name,) for f in table.fields
                                                                       if f.unique or f.index]
            found |= {(table.name, lead[0]) for lead in leads if lead}
        return frozenset(found)


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    """As written: may hold `${VAR}`, resolved only when a runner connects."""
    dialect: str | None
    """Known when the URL is literal or the spec says so."""


@dataclass(frozen=True)
class LlmSettings:
    """The planner's model as the project spec writes it (`project: llm:`); the environment may override
    each setting (planner/client.py). Never a key: only the name of the variable holding it."""

    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    profile: str | None = None
    """A provider profile (planner/client.py PROFILES); default: chosen from the base URL."""


@dataclass(frozen=True)
class Project:
    name: str = "dbbasic-project"
    dialect: str = "postgres"
    dialects: tuple[str, ...] = ("postgres",)
    targets: tuple[Target, ...] = ()
    llm: LlmSettings = LlmSettings()

    def target(self, name: str) -> Target | None:
        return next((t for t in self.targets if t.name == name), None)


# SQL written by an author, resolved for every dialect the project compiles for.
DialectSql = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class SqlStepSpec:
    id: str
    sql: DialectSql
    down: DialectSql | None = None
    transactional: bool = True
    description: str = ""


@dataclass(frozen=True)
class BatchedStepSpec:
    id: str
    sql: DialectSql
    table: str
    key: str
    batch_rows: int = 5000
    target_ms: int = 200
    down: DialectSql | None = None
    description: str = ""


@dataclass(frozen=True)
class CopyStepSpec:
    id: str
    source: str
    """A target name, or "" for the database the plan runs on."""
    table: str
    into: str
    key: str
    columns: tuple[str, ...]
    batch_rows: int = 5000
    target_ms: int = 200
    down: DialectSql | None = None
    description: str = ""


@dataclass(frozen=True)
class CheckStepSpec:
    id: str
    sql: DialectSql
    expect: Any
    description: str = ""


@dataclass(frozen=True)
class ManualStepSpec:
    id: str
    action: str
    description: str = ""


StepSpec = SqlStepSpec | BatchedStepSpec | CopyStepSpec | CheckStepSpec | ManualStepSpec
MigrationKind = Literal["steps", "pattern", "specification", "move"]


@dataclass(frozen=True)
class Migration:
    id: str
    task: str
    kind: MigrationKind
    source: Source
    description: str = ""
    written_in: str = "postgres"
    steps: tuple[StepSpec, ...] = ()
    allow_destructive: bool = False
    lint_ignore: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    """The spec as written, for kinds compiled by later generators (pattern, specification, move); for a
    pattern that names a common migration, with the common migration's bound parameters merged in."""
    common: CommonMigration | None = None
    """The common migration a `pattern:` named, if it named one."""


@dataclass(frozen=True)
class CommonMigration:
    """A team's own pattern: a library pattern with bound parameters, under a name of its own."""

    name: str
    pattern: str
    source: Source
    parameters: dict[str, Any]
    """`model`, `field`, `fields`, `options` as bound; a migration's own win, options key by key."""
    description: str = ""

    def bind(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A migration's pattern spec with this common migration's parameters filled in."""
        merged = {**self.parameters, **spec, "pattern": self.pattern}
        if "options" in self.parameters or "options" in spec:
            merged["options"] = {**self.parameters.get("options", {}), **spec.get("options", {})}
        return merged


@dataclass(frozen=True)
class ImportTask:
    name: str
    source: Source
    options: dict[str, Any]
    id: str = ""
    """Its plan id: `<file stem>` for `import:`, `<file stem>/<name>` for an entry of `one_time_tasks:`."""
    rule_lines: tuple[int, ...] = ()
    """The line of each of its `rules:`, for messages about one rule."""


@dataclass(frozen=True)
class Scaling:
    source: Source
    options: dict[str, Any]


@dataclass(frozen=True)
class Specs:
    """Everything under specs/, validated."""

    project: Project
    data: DataModel
    migrations: tuple[Migration, ...] = ()
    imports: tuple[ImportTask, ...] = ()
    scaling: Scaling | None = None
    common_migrations: tuple[CommonMigration, ...] = ()
