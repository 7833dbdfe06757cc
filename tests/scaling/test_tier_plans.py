"""The example project's `specs/scaling.yaml` (the tiers of DESIGN.md) compiled: one plan per tier and
dialect, each holding what its tier adds to the one below; applied, each waits at its gate until the target
has grown into its tier."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dbbasic import api
from dbbasic.errors import ApplyError
from dbbasic.generators.scaling.tiers import read_tiers
from dbbasic.plan.model import ConfigStep, DdlStep, GateStep, ManualStep, Plan
from dbbasic.runner import history
from dbbasic.runner.apply import ManualStepPending
from dbbasic.runner.connect import PostgresDatabase
from dbbasic.runner.scaling import SettingRefused, run_config
from dbbasic.specs.model import Source

TIERS = ["startup", "growing", "scale", "enterprise"]


def tier_plans(root: Path, dialect: str) -> dict[str, Plan]:
    return {p.id.removeprefix("scaling/"): p for p in api.plan(root).plans
            if p.id.startswith("scaling/") and p.dialect == dialect}


def kinds(plan: Plan) -> list[str]:
    return [f"{s.kind}:{s.id.split('-', 1)[1]}" for s in plan.steps]


def test_the_full_form_orders_its_tiers_and_a_boundary_belongs_to_the_upper_tier() -> None:
    tiers = read_tiers({"automatic_tiers": {
        "big": {"users": "> 100", "config": {"database": "sharded"}},
        "small": {"users": "< 100", "config": {"servers": 1}}}})
    assert [t.name for t in tiers.tiers] == ["small", "big"]
    assert (tiers.tier_for(99).name, tiers.tier_for(100).name, tiers.metric) == ("small", "big", "users")


def test_the_short_form_is_one_tier_with_the_config_its_type_means() -> None:
    tiers = read_tiers({"type": "auto_scale", "users": "1000-10000", "add": "read_replicas"})
    (tier,) = tiers.tiers
    assert (tier.name, tier.config) == ("auto_scale", {"servers": "auto_scale(2-5)", "database": "read_replicas(2)"})


def test_each_tier_compiles_for_each_dialect_with_what_it_adds(example: Path) -> None:
    sqlite, postgres = tier_plans(example, "sqlite"), tier_plans(example, "postgres")
    assert list(sqlite) == TIERS and list(postgres) == ["partitioning", *TIERS]  # SQLite has no partitions

    # SQLite: the lowest tier tunes the file; the next needs PostgreSQL, which is the move's own migration.
    assert kinds(sqlite["startup"]) == ["settings:pragmas"]
    assert kinds(sqlite["growing"]) == ["gate:reached", "manual:move-to-postgresql", "manual:servers", "manual:cache"]
    move = sqlite["growing"].steps[1]
    assert isinstance(move, ManualStep) and "`move:` migration (docs/move.md)" in move.action

    # PostgreSQL: settings sized from `machine:`, a pooler once there are several app servers, then replicas.
    assert kinds(postgres["startup"]) == ["config:server-files", "manual:install"]
    assert kinds(postgres["growing"]) == ["gate:reached", "config:server-files", "manual:install", "manual:servers",
                                          "manual:cache"]
    growing = postgres["growing"].steps[1]
    assert isinstance(growing, ConfigStep) and list(growing.files) == ["pgbouncer.ini"]  # dbbasic.conf as below
    assert "pool_mode = transaction" in growing.files["pgbouncer.ini"]
    gate = postgres["scale"].steps[0]
    assert isinstance(gate, GateStep) and (gate.metric, gate.at_least, gate.sql) == (
        "users", 10000, 'SELECT count(*) FROM "users"')
    replication = next(s for s in postgres["scale"].steps if isinstance(s, DdlStep))
    assert sum("pg_create_physical_replication_slot" in s.lower() for s in replication.up) == 3
    assert replication.down is not None and replication.down[-1] == 'DROP ROLE IF EXISTS "replicator"'
    files = next(s for s in postgres["scale"].steps if isinstance(s, ConfigStep)).files
    assert {"replica_1/standby.signal", "replica_3/postgresql.auto.conf", "pg_hba.conf.lines"} <= set(files)
    assert "wal_level = 'replica'" in files["dbbasic.conf"] and "password" not in files[
        "replica_1/postgresql.auto.conf"].split("#")[0]


def test_a_model_citus_would_refuse_leaves_its_tier_waiting_with_the_reasons_in_its_plan(example: Path) -> None:
    (warning,) = [p.message for p in api.plan(example).problems if p.code == "scaling-citus"]
    assert warning.startswith("tier enterprise (sharded) waits: Citus would refuse the data model as it is (4 reasons")
    enterprise = tier_plans(example, "postgres")["enterprise"]
    assert "manual:fit-the-model" in kinds(enterprise) and not any(isinstance(s, DdlStep) for s in enterprise.steps)
    plan_md = (example / "generated/scaling/enterprise/postgres/plan.md").read_text()
    assert "- todos: the primary key (id) lacks the distribution column user_id" in plan_md


def test_a_tier_not_reached_waits_at_its_gate_and_applies_once_the_target_grows_into_it(example: Path) -> None:
    api.plan(example)
    result = api.apply(example, "dev", require_approval=False)
    done = {(s.plan_id, s.step_id): s.status for s in result.steps}
    assert done[("scaling/startup", "1-pragmas")] == "applied"
    assert done[("scaling/growing", "1-reached")] == "waiting"
    assert not any(plan_id in ("scaling/scale", "scaling/enterprise") for plan_id, _ in done)  # later tiers wait
    with closing(sqlite3.connect(example / "var/dev.db")) as db:
        (users,) = db.execute("SELECT count(*) FROM users").fetchone()  # the example's imports added some
    assert users < 1000
    assert api.apply(example, "dev", require_approval=False).steps[-1].note == (
        f"users is {users:,}; tier growing starts at 1,000")

    with closing(sqlite3.connect(example / "var/dev.db")) as db, db:
        db.executemany("INSERT INTO users (email, created_at) VALUES (?, '2026-01-01')",
                       [(f"u{n}@example.com",) for n in range(1000)])
    with pytest.raises(ManualStepPending, match="scaling/growing waits for a person at step 2-move-to-postgresql"):
        api.apply(example, "dev", require_approval=False)


def test_the_config_step_checks_every_setting_against_the_live_server(pg_url: str, example: Path) -> None:
    startup = tier_plans(example, "postgres")["startup"]
    step = startup.steps[0]
    assert isinstance(step, ConfigStep) and step.settings["shared_buffers"] == "4GB"
    db = PostgresDatabase(pg_url, "prod")
    try:
        history.ensure(db)
        assert run_config(db, startup, step) == len(step.settings)
        for bad, why in [({"shared_bufers": "4GB"}, "PostgreSQL knows no setting 'shared_bufers'"),
                         ({"work_mem": "4 parsecs"}, "work_mem = '4 parsecs': the unit 'parsecs' does not fit"),
                         ({"max_connections": "1000000"}, "max_connections = '1000000': out of the server's bounds"),
                         ({"huge_pages": "sometimes"}, "huge_pages = 'sometimes': not one of off, on, try")]:
            wrong = ConfigStep("1-server-files", {"dbbasic.conf": "".join(f"{k} = '{v}'\n" for k, v in bad.items())},
                               bad)
            plan = Plan("scaling/x", "x", "postgres", Source("specs/scaling.yaml", 1, ""), "test", 1, (wrong,))
            with pytest.raises(SettingRefused, match=why):
                run_config(db, plan, wrong)
    finally:
        db.close()


def test_a_refused_setting_stops_apply_at_its_step_with_the_file_named(pg_url: str, example: Path) -> None:
    spec = example / "specs/scaling.yaml"
    spec.write_text(spec.read_text().replace("memory: 16GB", "memory: 64TB"))  # shared_buffers beyond any server
    api.plan(example)
    with pytest.raises(ApplyError, match=r"scaling/startup, step 1-server-files failed: \w+ = '\d+GB': out of the "
                                         "server's bounds"):
        api.apply(example, pg_url, ["scaling/startup"], require_approval=False)


def test_scale_status_samples_the_metric_and_says_when_the_next_tier_comes(example: Path) -> None:
    api.plan(example)
    api.apply(example, "dev", require_approval=False)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with closing(sqlite3.connect(example / "var/dev.db")) as db:
        (imported,) = db.execute("SELECT count(*) FROM users").fetchone()  # the example's imports added some
    for day in (0, 10, 20):
        with closing(sqlite3.connect(example / "var/dev.db")) as db, db:
            db.executemany("INSERT INTO users (email, created_at) VALUES (?, '2026-01-01')",
                           [(f"d{day}u{n}@example.com",) for n in range(100)])
        status = api.scale_status(example, "dev", now=start + timedelta(days=day))
    assert (status.value, status.tier, status.samples, status.next_tier, status.threshold) == (
        imported + 300, "startup", 3, "growing", 1000)
    assert status.per_day == pytest.approx(10.0)
    # 1000 - (imported + 300) more users at 10 a day, from the last sample
    assert status.reaches == start + timedelta(days=20 + (1000 - imported - 300) / 10)
    assert dict(status.plans) == {"scaling/startup": "applied", "scaling/growing": "waiting",
                                  "scaling/scale": "waiting", "scaling/enterprise": "waiting"}
