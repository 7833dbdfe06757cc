"""The `dbbasic` command end to end on a copy of the example project: output forms and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from dbbasic.cli import main


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_five_minute_tour(example: Path) -> None:
    p = ["--project", str(example)]
    assert run("validate", *p).exit_code == 0
    assert run("plan", "--check", *p).exit_code == 0
    diff = run("diff", *p)
    assert "schema (sqlite): approved, unchanged" in diff.stdout
    applied = run("apply", "--target", "dev", *p)
    assert applied.exit_code == 0, applied.stderr
    assert "applied: schema 1-create-users" in applied.stdout and "applied 19 steps on dev" in applied.stdout
    status = run("status", "--target", "dev", *p)
    assert "applied  migrations/recount  (3/3 steps)" in status.stdout
    assert "applied  scaling/startup  (1/1 steps)" in status.stdout  # the tiers above wait for more users
    assert ("waiting  scaling/growing  (0/4 steps)  users is 256; tier growing starts at 1,000" in status.stdout
            and "nothing pending (the scaling tiers above wait for the target to grow)" in status.stdout)
    assert run("apply", "--target", "dev", *p).stdout.splitlines() == [
        "waiting: scaling/growing 1-reached: users is 256; tier growing starts at 1,000", "dev is up to date"]


def test_an_invalid_spec_prints_located_errors_exits_1_and_writes_nothing(example: Path) -> None:
    (example / "specs" / "data.yaml").write_text("data:\n  users:\n    fields:\n      id: id\n      age: integr\n")
    before = sorted(p for p in (example / "generated").rglob("*"))
    result = run("plan", "--project", str(example))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "specs/data.yaml:5:12: error[unknown-type]: unknown type 'integr'"
    assert result.stderr.splitlines()[1] == "  hint: did you mean 'int'?"
    assert sorted(p for p in (example / "generated").rglob("*")) == before
    as_json = json.loads(run("validate", "--format", "json", "--project", str(example)).stdout)
    assert as_json["ok"] is False
    assert {"file": "specs/data.yaml", "line": 5, "col": 12, "level": "error", "code": "unknown-type",
            "message": "unknown type 'integr'", "hint": "did you mean 'int'?"} in as_json["problems"]


def test_malformed_and_binary_specs_never_show_a_traceback(example: Path) -> None:
    (example / "specs" / "broken.yaml").write_text("migration:\n  task: [unclosed\n")
    (example / "specs" / "image.yaml").write_bytes(b"\x00\x01\x02")
    result = run("validate", "--project", str(example))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "specs/image.yaml:1:1: error[binary-file]" in result.stderr
    assert "specs/broken.yaml:3:1: error[yaml-syntax]" in result.stderr


def test_a_hand_edited_plan_is_caught_by_check_and_refused_by_apply(example: Path) -> None:
    path = example / "generated" / "schema" / "sqlite" / "plan.json"
    plan = json.loads(path.read_text())
    plan["steps"][0]["up"][0] = plan["steps"][0]["up"][0].replace('"phone" TEXT', '"phone" TEXT, "ssn" TEXT')
    path.write_text(json.dumps(plan, indent=2, sort_keys=True) + "\n")
    check = run("plan", "--check", "--project", str(example))
    assert check.exit_code == 1
    assert "stale: schema (sqlite): plan.json differ from what the specs compile to" in check.stderr
    refused = run("apply", "--target", "dev", "--project", str(example))
    assert refused.exit_code == 1
    assert "schema (sqlite): plan.json differ" in refused.stderr and "run `dbbasic plan`" in refused.stderr
    assert not (example / "var" / "dev.db").exists()


def test_a_spec_change_needs_a_new_approval(example: Path) -> None:
    recount = example / "specs" / "migrations" / "recount.yaml"
    recount.write_text(recount.read_text().replace("todo_count integer", "todo_count integer DEFAULT 0"))
    stale = run("plan", "--check", "--project", str(example))
    assert stale.exit_code == 1 and "stale: migrations/recount (postgres)" in stale.stderr
    assert run("plan", "--project", str(example)).exit_code == 0
    refused = run("apply", "--target", "dev", "--project", str(example))
    assert refused.exit_code == 1 and "plan migrations/recount (sqlite) changed since it was approved" in refused.stderr
    markdown = run("diff", "migrations/recount", "--format", "markdown", "--project", str(example)).stdout
    assert "- step `1-sql` changed" in markdown
    assert "-  ALTER TABLE users ADD COLUMN todo_count INTEGER;" in markdown
    assert "+  ALTER TABLE users ADD COLUMN todo_count INTEGER DEFAULT 0;" in markdown
    assert run("approve", "migrations/recount", "--by", "ana", "--project", str(example)).exit_code == 0
    assert run("apply", "--target", "dev", "--project", str(example)).exit_code == 0


def test_reformatting_a_spec_keeps_the_approval(example: Path) -> None:
    recount = example / "specs" / "migrations" / "recount.yaml"
    text = recount.read_text().replace('task: "Recount todos per user"', 'task: "Recount the todos of each user"')
    recount.write_text(text.replace("ALTER TABLE users ADD COLUMN todo_count integer",
                                    "alter table users\\n    add column todo_count INTEGER  -- cached count"))
    assert run("plan", "--project", str(example)).exit_code == 0
    assert "migrations/recount (postgres): approved, unchanged" in run("diff", "--project", str(example)).stdout
    assert run("apply", "--target", "dev", "--project", str(example)).exit_code == 0


def test_a_removed_spec_removes_its_plans(example: Path) -> None:
    (example / "specs" / "migrations" / "recount.yaml").unlink()
    result = run("plan", "--project", str(example))
    assert "removed: generated/migrations/recount/postgres" in result.stdout
    assert not (example / "generated" / "migrations" / "recount").exists()
    assert (example / "generated" / "migrations" / "soft_delete").exists()


def test_secrets_stay_out_of_generated_and_out_of_errors(example: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:hunter2@127.0.0.1:1/app")
    assert run("plan", "--project", str(example)).exit_code == 0
    for path in (example / "generated").rglob("*"):
        assert path.is_dir() or "hunter2" not in path.read_text()
    result = run("apply", "--target", "prod", "--project", str(example), "--lock-wait", "0")
    assert result.exit_code == 3
    assert "hunter2" not in result.stderr and "cannot connect to prod" in result.stderr


def test_a_missing_variable_is_named(example: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = run("status", "--target", "prod", "--project", str(example))
    assert result.exit_code == 1
    assert "target 'prod' needs the environment variable DATABASE_URL, which is not set" in result.stderr


def test_json_output_for_machines_is_one_event_per_line(example: Path) -> None:
    lines = [json.loads(line) for line in
             run("apply", "--target", "dev", "--format", "json", "--project", str(example)).stdout.splitlines()]
    events = [(e["event"], e.get("step_id")) for e in lines]
    assert events[:4] == [("lock_wait", None), ("plan_started", None), ("step_started", "1-create-users"),
                          ("step_finished", "1-create-users")]
    finished = next(e for e in lines if e["event"] == "step_finished" and e["step_id"] == "2-batched")
    assert finished["kind"] == "batched" and finished["status"] == "applied" and "elapsed" in finished
    applied = lines[-1]
    assert applied["event"] == "done" and applied["ok"] and applied["dialect"] == "sqlite"
    assert [s["status"] for s in applied["steps"]] == ["applied"] * 19 + ["waiting"]
    status = json.loads(run("status", "--target", "dev", "--format", "json", "--project", str(example)).stdout)
    assert [p["state"] for p in status["plans"]] == ["applied"] * 10 + ["waiting"] * 3


def test_dry_run_prints_and_changes_nothing(example: Path) -> None:
    result = run("apply", "--target", "dev", "--dry-run", "--project", str(example))
    assert "would run: schema 1-create-users" in result.stdout and 'CREATE TABLE "users"' in result.stdout
    assert "pending" in run("status", "--target", "dev", "--project", str(example)).stdout


def test_usage_errors_exit_2_and_every_command_has_an_example() -> None:
    assert run("approve", "--by", "x").exit_code == 2
    assert run("apply").exit_code == 2
    for command in ("validate", "plan", "diff", "approve", "apply", "status"):
        assert "Example" in run(command, "--help").stdout


def test_schema_export_writes_schemas_for_editors(tmp_path: Path) -> None:
    result = run("schema", "export", str(tmp_path / "schemas"))
    assert result.exit_code == 0
    written = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert written == ["common_migration.json", "data.json", "import.json", "migration.json", "project.json",
                       "scaling.json", "spec.json"]
    assert json.loads((tmp_path / "schemas" / "spec.json").read_text())["properties"]["data"] == {"$ref": "data.json"}


def test_a_manual_step_stops_apply_until_confirmed(example: Path) -> None:
    (example / "specs" / "migrations" / "notify.yaml").write_text(
        "migration:\n  task: tell support\n  steps:\n    - manual: Tell support that counts are live\n"
        "    - check: SELECT 1\n      expect: 1\n")
    p = ["--project", str(example)]
    run("plan", *p)
    waiting = run("apply", "--target", "dev", "--no-approval", *p)
    assert waiting.exit_code == 1
    assert "waits for a person at step 1-manual: Tell support that counts are live" in waiting.stderr
    assert "--confirm migrations/notify:1-manual" in waiting.stderr
    done = run("apply", "--target", "dev", "--no-approval", "--confirm", "migrations/notify:1-manual", *p)
    assert done.exit_code == 0 and "applied: migrations/notify 2-check" in done.stdout


def test_a_destructive_step_is_a_lint_error_until_the_spec_allows_it(example: Path) -> None:
    drop = example / "specs" / "migrations" / "drop_phone.yaml"
    drop.write_text("migration:\n  task: drop phone\n  steps:\n    - sql: ALTER TABLE users DROP COLUMN phone\n"
                    "      down: ALTER TABLE users ADD COLUMN phone text\n")
    p = ["--project", str(example)]
    result = run("plan", *p)
    assert result.exit_code == 1
    assert ("specs/migrations/drop_phone.yaml:1:1: error[destructive-statement]: plan migrations/drop_phone "
            "(postgres), step 1-sql: this step drops column phone of users") in result.stderr
    assert "**error** `destructive-statement`" in (example / "generated/migrations/drop_phone/sqlite/plan.md").read_text()
    refused = run("apply", "--target", "dev", "--no-approval", *p)
    assert refused.exit_code == 1 and "plan migrations/drop_phone has lint errors" in refused.stderr
    drop.write_text(drop.read_text().replace("  steps:", "  allow_destructive: true\n  steps:"))
    assert run("plan", *p).exit_code == 0
    assert run("apply", "--target", "dev", "--no-approval", *p).exit_code == 0


def test_a_file_that_is_not_a_database_exits_3(example: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "notdb.db"
    bogus.write_text("hello")
    result = run("apply", "--target", f"sqlite:///{bogus}", "--project", str(example))
    assert result.exit_code == 3 and "cannot open" in result.stderr and "Traceback" not in result.stderr


def test_status_of_a_database_not_yet_created_creates_nothing(example: Path) -> None:
    result = run("status", "--target", "dev", "--project", str(example))
    assert result.exit_code == 3 and "no SQLite database at" in result.stderr
    assert not (example / "var").exists()
