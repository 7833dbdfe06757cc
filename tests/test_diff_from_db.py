"""`dbbasic diff --from-db TARGET`: the data model compared with a live database, as a drift check.

Run on a copy of the example project applied to a real SQLite file and a real PostgreSQL database. Exit
0 when the database matches the data model, 1 when it differs, 2 when the specs or the target are wrong,
3 when the database cannot be reached; it writes nothing, to the database or to generated/.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from dbbasic import api
from dbbasic.cli import main
from dbbasic.runner.connect import connect, resolve_target
from dbbasic.runner.read_model import read_model
from dbbasic.specs.model import DataModel, Project

MODEL_PLANS = ("schema", "schema/2", "schema/3", "schema/4")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def applied(example: Path, url: str, plans: tuple[str, ...] = MODEL_PLANS) -> Path:
    """The example project with `plans` applied to `url`, and a user with a project and a todo."""
    api.plan(example)  # generated/ as this checkout compiles it
    api.apply(example, url, plans, require_approval=False)
    sql(example, url,
        "INSERT INTO users (email, full_name) VALUES ('ana@example.com', 'Ana')",
        "INSERT INTO projects (owner_id, name) VALUES (1, 'home')",
        "INSERT INTO todos (user_id, project_id, title) VALUES (1, 1, 'water the plants')")
    return example


def sql(root: Path, url: str, *statements: str) -> None:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        with db.transaction():
            for statement in statements:
                db.execute(statement)
    finally:
        db.close()


def live(root: Path, url: str) -> DataModel:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        return read_model(db).model
    finally:
        db.close()


def test_a_database_made_by_the_data_model_plans_matches_it(example: Path, db_url: str) -> None:
    root = applied(example, db_url)
    result = run("diff", "--from-db", db_url, "--project", str(root))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("matches the data model\n") and result.stderr == ""
    as_json = json.loads(run("diff", "--from-db", db_url, "--format", "json", "--project", str(root)).stdout)
    assert as_json["ok"] is True and as_json["plan"]["steps"] == [] and as_json["problems"] == []
    assert as_json["plan"]["id"] == "from-db" and as_json["dialect"] in ("sqlite", "postgres")
    assert not (root / "generated" / "from-db").exists()


def test_what_the_migrations_add_beside_the_data_model_is_theirs_not_drift(example: Path, db_url: str) -> None:
    # migrations/recount adds users.todo_count; the add_soft_delete pattern adds todos.deleted_at and an index.
    root = applied(example, db_url, tuple(sorted({p.id for p in api.plan(example).plans
                                                   if not p.id.startswith("scaling/")})))
    result = run("diff", "--from-db", db_url, "--project", str(root))
    assert result.exit_code == 0, result.stdout + result.stderr
    users = live(root, db_url).table("users")
    assert users is not None and users.field("todo_count") is not None


def test_changes_made_by_hand_are_reported_with_the_steps_that_bring_the_database_back(example: Path,
                                                                                       db_url: str) -> None:
    root = applied(example, db_url)
    sql(root, db_url,
        "ALTER TABLE users ADD COLUMN nickname text",
        'DROP INDEX "users_created_at_idx"',
        'CREATE INDEX "todos_title_idx" ON todos (title)',
        "CREATE TABLE audit (id integer PRIMARY KEY, note text)",
        "INSERT INTO audit (id, note) VALUES (1, 'by hand')")
    before = live(root, db_url)
    result = run("diff", "--from-db", db_url, "--project", str(root))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "specs/data.yaml:1:1: error[not-in-data-model]: table 'audit' is in the database and not in the data model",
        "  hint: describe it under `data:` if dbbasic should manage it; until then dbbasic leaves it alone",
        "specs/data.yaml:2:1: error[not-in-data-model]: column 'users.nickname' is in the database and not in the "
        "data model",
        "  hint: add `nickname` to the fields of 'users', or `nickname: {drop: true}` to drop it; until then dbbasic "
        "leaves it alone",
    ]
    plan = result.stdout
    assert plan.startswith("# Plan `from-db`")
    assert '"users_created_at_idx" ON "users" ("created_at" DESC);' in plan  # dropped by hand: created again
    assert 'DROP INDEX' in plan and '"todos_title_idx"' in plan  # an index is not data: the model's list holds
    assert "nickname" not in plan and "audit" not in plan  # columns and tables are never dropped by omission
    assert live(root, db_url) == before  # a report: nothing changed
    assert sorted(p.name for p in (root / "generated").iterdir()) == ["imports", "migrations", "scaling", "schema"]


def test_a_data_model_ahead_of_the_database_gives_the_change_still_to_apply(example: Path, db_url: str) -> None:
    root = applied(example, db_url)
    data = root / "specs" / "data.yaml"
    data.write_text(data.read_text().replace("      phone: phone\n", "      phone: phone\n      bio: text\n"))
    result = api.diff_from_db(root, db_url)
    assert not result.matches and result.problems == []
    assert [s.id for s in result.plan.steps] == ["1-add-users.bio"]
    assert result.plan.task.startswith("Bring ")


def test_exit_codes_tell_drift_from_a_broken_spec_or_target(example: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/app.db"
    root = applied(example, url)
    p = ["--project", str(root)]
    assert run("diff", "--from-db", url, *p).exit_code == 0
    sql(root, url, "CREATE TABLE scratch (id integer PRIMARY KEY)")
    assert run("diff", "--from-db", url, *p).exit_code == 1
    unknown = run("diff", "--from-db", "staging", *p)
    assert unknown.exit_code == 2 and "no target named 'staging' (targets: dev, prod)" in unknown.stderr
    missing = run("diff", "--from-db", f"sqlite:///{tmp_path}/nothing.db", *p)
    assert missing.exit_code == 3 and "no SQLite database at" in missing.stderr
    assert not (tmp_path / "nothing.db").exists()
    assert run("diff", "schema", "--from-db", url, *p).exit_code == 2
    (root / "specs" / "data.yaml").write_text("data:\n  users:\n    fields:\n      id: id\n      age: integr\n")
    broken = run("diff", "--from-db", url, *p)
    assert broken.exit_code == 2 and "error[unknown-type]" in broken.stderr
