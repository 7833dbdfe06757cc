"""Compile a `scaling:` spec into one plan per tier and dialect, `scaling/<tier>`.

    plans = compile_scaling(specs.scaling, specs.data, Dialect.get("postgres"))

Each tier's plan holds what the tier adds to the one below it, so the plans apply in order as the target
grows: every plan but the lowest tier's begins with a gate on the tier's metric (runner: below the tier's
range, apply stops there and changes nothing). Moving down a tier is the rollback of the tier above.
What each config value compiles to:
- SQLite, a single server: its PRAGMAs (WAL, busy timeout, ...), set by the runner and read back;
- SQLite, anything more (several app servers, replicas, shards): the engine move, its own migration
  (docs/move.md), as a manual step that says so; the PostgreSQL plans of the same tiers hold the rest;
- PostgreSQL: server settings sized from `machine:` (pgtune.py) and, with several app servers, a PgBouncer
  configuration (pgbouncer.py), as files checked against the live server then installed by a person;
  `read_replicas(N)`: the replication role and slots (SQL, undone by rollback) and each replica's files
  (replicas.py); `sharded`: Citus's distribution DDL (citus.py);
- what no database runs (`cache:`, `deployment:`, app servers) becomes a manual step with a checklist.
"""

from __future__ import annotations

from typing import Any

from dbbasic.errors import Problem, SpecError
from dbbasic.generators.scaling import checklists, citus, conversion, pgbouncer, pgtune, replicas
from dbbasic.generators.scaling.tiers import Tier, Tiers, read_tiers
from dbbasic.generators.steps import Steps
from dbbasic.plan.model import Plan
from dbbasic.specs.model import DataModel, Scaling
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.partitions import parse_partition_set

NAME = "scaling.tiers"
VERSION = 1

SQLITE_PRAGMAS: dict[str, str] = {
    "journal_mode": "wal",  # readers no longer block the writer, nor the writer readers
    "busy_timeout": "5000",  # a writer waits up to 5 s for the lock instead of failing at once
    "synchronous": "normal",  # in WAL mode: durable at each checkpoint, safe against corruption
    "cache_size": "-65536",  # 64 MiB of page cache (negative: KiB)
    "foreign_keys": "on",
    "temp_store": "memory",
}
"""The single-server tier's SQLite settings (the ones the issue and SQLite's own advice for web apps name)."""

SQLITE_PER_CONNECTION = ["busy_timeout", "synchronous", "cache_size", "foreign_keys", "temp_store"]
"""All but `journal_mode = wal`, which the database file keeps, hold for one connection only."""

SQLITE_DEFAULTS = {"journal_mode": "delete"}
"""What rollback sets again: the per-connection settings end with their connections."""

PRIMARY_HOST, PRIMARY_PORT = "primary.example.internal", 5432
"""Where replicas find the primary in the generated files: a placeholder the runbook says to replace (the plan
is compiled without any target's address)."""

MAX_CONNECTIONS = 100
"""PostgreSQL's own default; with PgBouncer in front, the pools share them (pgbouncer.py sizes them)."""


def compile_scaling(scaling: Scaling, model: DataModel, dialect: Dialect) -> tuple[list[Plan], list[Problem]]:
    """One plan per tier, lowest first, and warnings: what a tier still needs before it can run (a model
    Citus would refuse). Raises SpecError where a tier cannot be built as written (`database:` unknown)."""
    tiers = read_tiers(scaling.options)
    problems: list[str] = []
    waiting: list[str] = []
    plans = []
    if scaling.options.get("partitioning") and dialect.name == "postgres":  # SQLite has no partitions
        partitioned = _partitioning(scaling, model, dialect, problems)
        if partitioned is not None:
            plans.append(partitioned)
    for tier in tiers.tiers:
        steps = Steps(dialect)
        if tier.range.low > 0:
            steps.gate("reached", tier.name, tiers.metric, metric_sql(tiers, dialect), tier.range.low,
                       f"Tier {tier.name} covers {tiers.metric} {tier.range.text}")
        below = tiers.before(tier)
        if dialect.name == "sqlite":
            _sqlite_tier(steps, tier, below)
        else:
            problems += _postgres_tier(steps, tiers, tier, below, model, waiting)
        for name, action in checklists.for_change(below.config if below else {}, tier.config):
            steps.manual(name, action, "Not a database action: dbbasic cannot do it, and does not drop it")
        plans.append(Plan(id=f"scaling/{tier.name}", task=f"Scale to the {tier.name} tier", dialect=dialect.name,
                          source=scaling.source, generator=NAME, generator_version=VERSION,
                          steps=tuple(steps.steps), description=_description(tiers, tier, below)))
    if problems:
        where = scaling.source
        raise SpecError([Problem(where.file, where.line, 1, "error", "scaling", message,
                                 "change the scaling spec or the data model so that it can be built")
                         for message in dict.fromkeys(problems)])
    where = scaling.source
    return plans, [Problem(where.file, where.line, 1, "warning", "scaling-citus", message, "make the data model "
                           "fit the distribution (docs/scaling.md), then `dbbasic plan` again") for message in waiting]


def _partitioning(scaling: Scaling, model: DataModel, dialect: Dialect, problems: list[str]) -> Plan | None:
    """`scaling/partitioning`: each table's `active:` set converted online, its `archive:` made. It applies
    before the tiers (it waits at no gate): partitions pay off long before replicas do."""
    steps = Steps(dialect)
    notes = []
    for name, sets in scaling.options["partitioning"].items():
        table = model.table(name)
        assert table is not None  # the validator checked it
        try:
            parsed = [parse_partition_set(name, set_name, spec) for set_name, spec in sets.items()]
        except ValueError as exc:
            problems.append(str(exc))
            continue
        referenced_by = [f"{t.name}.{f.name}" for t in model.tables for f in t.fields if f.ref == name]
        for pset in parsed:
            found = conversion.unknown_columns(table, pset)
            if pset.name == "active":
                found += conversion.unconvertible(table, pset, referenced_by)
            if found:
                problems += found
                continue
            if pset.name == "active":
                conversion.convert_online(steps, table, pset)
            else:
                conversion.add_archive(steps, table, pset)
            if pset.when:
                notes.append(f"`{name}` {pset.name}: the rows where {pset.when}")
    if not steps.steps:
        return None
    described = "; ".join(notes)
    return Plan(id="scaling/partitioning", task="Partition the tables `partitioning:` names", dialect=dialect.name,
                source=scaling.source, generator=NAME, generator_version=VERSION, steps=tuple(steps.steps),
                description="PostgreSQL only (SQLite has no partitions). Applies before the tiers: it waits at no "
                            "gate." + (f" Sets: {described}." if described else ""))


def metric_sql(tiers: Tiers, dialect: Dialect) -> str:
    """The query that measures the tiers' metric: the spec's own, or the count of the table it names."""
    return tiers.metric_sql or f"SELECT count(*) FROM {dialect.quote(tiers.metric)}"


def _on_sqlite(tier: Tier | None) -> bool:
    """Whether a tier runs on one SQLite file: one app server, no replicas, no shards, one region."""
    return tier is not None and tier.servers == 1 and tier.database == "single" and "deployment" not in tier.config


def _sqlite_tier(steps: Steps, tier: Tier, below: Tier | None) -> None:
    if _on_sqlite(tier) and below is None:
        steps.settings("pragmas", SQLITE_PRAGMAS, SQLITE_PER_CONNECTION, SQLITE_DEFAULTS,
                       "SQLite tuned for one server with concurrent requests: WAL, a busy timeout, a bigger cache")
    elif not _on_sqlite(tier) and (below is None or _on_sqlite(below)):
        steps.manual("move-to-postgresql", f"Tier {tier.name} needs PostgreSQL ({_needs(tier)}): move the "
                     "database with a `move:` migration (docs/move.md), then apply this tier's PostgreSQL plan",
                     "The engine move is its own migration, verified row for row, with a near-zero-downtime "
                     "cutover; it is not repeated here")
    elif not _on_sqlite(tier):
        steps.manual("on-postgresql", f"Tier {tier.name} runs on PostgreSQL: apply its PostgreSQL plan",
                     "Nothing of this tier runs on SQLite")


def _needs(tier: Tier) -> str:
    reasons = [f"servers {tier.servers}" if tier.servers != 1 else "",
               f"database {tier.database}" if tier.database != "single" else "",
               f"deployment {tier.config['deployment']}" if "deployment" in tier.config else ""]
    return ", ".join(r for r in reasons if r)


def _postgres_tier(steps: Steps, tiers: Tiers, tier: Tier, below: Tier | None, model: DataModel,
                   waiting: list[str]) -> list[str]:
    """The tier's PostgreSQL steps; returns the problems that stop it, and adds to `waiting` what Citus would
    refuse of the data model (a tier far ahead must not stop today's plans: its plan stops there instead)."""
    try:
        count = replicas.parse_replicas(tier.database) or 0
        counted_below = replicas.parse_replicas(below.database) or 0 if below else 0
        servers = pgbouncer.parse_servers(tier.servers)
    except ValueError as exc:
        return [f"tier {tier.name}: {exc}"]
    if tier.database not in ("single", "sharded") and not count:
        return [f"tier {tier.name}: `database: {tier.database}` is not a layout dbbasic builds (write "
                "`read_replicas(N)` or `sharded`)"]
    files, settings = _server_files(tiers, tier, servers, count)
    files_below = _server_files(tiers, below, pgbouncer.parse_servers(below.servers), counted_below)[0] \
        if below else {}
    setup = replicas.replica_setup(count, PRIMARY_HOST, PRIMARY_PORT) if count else None
    if setup is not None:
        for replica in setup.replicas[counted_below:]:
            files |= {f"{replica.name}/{name}": text for name, text in replica.files.items()}
        files["pg_hba.conf.lines"] = "\n".join(setup.hba_lines) + "\n"
    changed = {name: text for name, text in files.items() if files_below.get(name) != text}
    if changed:
        steps.config("server-files", changed, settings, f"Server configuration for tier {tier.name}")
    if setup is not None and count > counted_below:
        # undo_sql: one drop per slot, in the replicas' order, then the role's (kept while a lower tier's
        # replicas still use it).
        undo = [*setup.undo_sql[counted_below:count], *(setup.undo_sql[count:] if not counted_below else ())]
        steps.ddl("replication", list(setup.primary_sql), undo,
                  f"The replication role and one slot per replica ({count - counted_below} new)")
    if tier.database == "sharded" and (below is None or below.database != "sharded"):
        tables = list(model.tables)
        distributions = citus.plan_distribution(tables)
        found = citus.problems(tables, distributions)
        if found:
            waiting.append(f"tier {tier.name} (sharded) waits: Citus would refuse the data model as it is "
                           f"({len(found)} reasons, in step fit-the-model of generated/scaling/{tier.name}/postgres/"
                           "plan.md)")
            steps.manual("fit-the-model", "Citus would refuse the data model as it is. Change the model "
                         "(specs/data.yaml), then `dbbasic plan` again: this step becomes the distribution DDL",
                         "Nothing is distributed until the model fits:\n\n" + "\n".join(f"- {p}" for p in found))
        else:
            steps.ddl("distribute", ["CREATE EXTENSION IF NOT EXISTS citus", *citus.citus_sql(distributions)], None,
                      "Tables distributed over Citus workers by their tenant key; small lookup tables replicated")
    if changed or setup is not None:
        runbook = "\n".join(setup.runbook) if setup is not None and count > counted_below else ""
        steps.manual("install", _install_action(tier, changed, setup is not None and count > counted_below,
                                                counted_below, count),
                     runbook or "Files go where only a person (or the deployment's own tooling) can put them")
    return []


def _server_files(tiers: Tiers, tier: Tier | None, servers: tuple[int, int], count: int
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """The tier's configuration files, and the server settings among them."""
    if tier is None:
        return {}, {}
    settings: dict[str, str] = {}
    header = ["dbbasic: include it from postgresql.conf: include = 'dbbasic.conf'"]
    if tiers.machine.get("cpus") and tiers.machine.get("memory"):
        machine = pgtune.Machine(int(tiers.machine["cpus"]), pgtune.parse_memory(str(tiers.machine["memory"])))
        settings |= pgtune.settings_for(machine, MAX_CONNECTIONS)
        header.append(f"sized as pgtune does for {tiers.machine['cpus']} CPUs and {tiers.machine['memory']}")
    if count:
        settings |= replicas.replica_setup(count, PRIMARY_HOST, PRIMARY_PORT).primary_settings
    files = {"dbbasic.conf": pgtune.render_conf(settings, header)} if settings else {}
    if servers[1] > 1:
        sizes = pgbouncer.pool_sizes(servers, int(settings.get("max_connections", MAX_CONNECTIONS)))
        files["pgbouncer.ini"] = pgbouncer.pgbouncer_ini("app", "127.0.0.1", 5432, sizes)
    return files, settings


def _install_action(tier: Tier, files: dict[str, Any], new_replicas: bool, below: int, count: int) -> str:
    parts = []
    if "dbbasic.conf" in files:
        parts.append("copy files/dbbasic.conf beside postgresql.conf, add `include = 'dbbasic.conf'`, restart "
                     "PostgreSQL")
    if "pgbouncer.ini" in files:
        parts.append("install PgBouncer with files/pgbouncer.ini (fill its userlist.txt), point the app servers "
                     "at port 6432")
    if new_replicas:
        parts.append(f"set up replicas {below + 1}-{count} as the runbook below says")
    return f"Tier {tier.name}: " + "; ".join(parts) if parts else f"Tier {tier.name}: nothing to install"


def _description(tiers: Tiers, tier: Tier, below: Tier | None) -> str:
    config = ", ".join(f"{k}: {v}" for k, v in tier.config.items()) or "nothing set"
    grows = (f"It applies once `{tiers.metric}` reaches {tier.range.low:,g} (the gate, its first step), after "
             f"tier {below.name}'s plan; moving back down is `dbbasic rollback scaling/{tier.name}`."
             if below else "The lowest tier: it applies from the start.")
    return f"Tier `{tier.name}`: {tiers.metric} {tier.range.text}; config {config}. {grows}"
