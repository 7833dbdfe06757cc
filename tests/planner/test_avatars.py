"""The avatars task of DESIGN.md planned end to end by the LLM planner (dbbasic/planner/propose.py): against a
real OpenAI-compatible server on loopback that answers as a model would, and from a cassette with no server.

A refused answer goes back with its reasons; the accepted one is cached in generated/<plan-id>/planner.json,
planned again offline byte for byte, approved, and applied on SQLite and PostgreSQL. Without a model the spec
fails clearly; a changed spec or a hand-edited answer is caught.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import psycopg
import pytest
from avatars import AVATARS, DROPS_NAMES, MANUAL_STEP, PLAN_ID, avatars_project
from cassettes import FIXTURE_BASE_URL, FIXTURE_KEY, FIXTURE_MODEL, clear_model_env, replay, use_fixture_model
from click.testing import CliRunner
from openai_server import Answer, OpenAIServer
from openai_server import openai_server_fixture as openai_server_fixture

from dbbasic import api
from dbbasic.cli import main
from dbbasic.errors import PlanError, PlannerError, SpecError

NAMES = ["Ada Lovelace", "grace  hopper", "Plato", None, "  ", "Émile Zola"]


@pytest.fixture(autouse=True)
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model unless a test configures one: the machine's own settings must not leak in."""
    clear_model_env(monkeypatch)


def generated_files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted((root / "generated").rglob("*")) if p.is_file()}


def test_avatars_plan_end_to_end(openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                 pg_url: str) -> None:
    root = avatars_project(tmp_path / "project")
    use_fixture_model(monkeypatch, openai_server.base_url)
    monkeypatch.setenv("DBBASIC_SCRATCH_URL", pg_url)
    openai_server.script(Answer(DROPS_NAMES), Answer(AVATARS))

    result = api.plan(root)

    assert {(p.id, p.dialect) for p in result.plans} >= {(PLAN_ID, "postgres"), (PLAN_ID, "sqlite")}
    # The first answer went back with the guard's reason; the second was accepted.
    assert len(openai_server.requests) == 2
    retry = openai_server.requests[1].body["messages"]
    assert retry[-2] == {"role": "assistant", "content": DROPS_NAMES}
    assert "drops column full_name" in retry[-1]["content"] and "allow_destructive" in retry[-1]["content"]
    cached = json.loads((root / "generated" / PLAN_ID / "planner.json").read_text())
    assert cached["answer"] == AVATARS and cached["attempts"] == 2 and cached["model"] == FIXTURE_MODEL
    assert set(cached["dry_runs"]) == {"postgres", "sqlite"}
    assert not any("not dry-run" in note for note in cached["dry_runs"].values())
    plan_md = (root / "generated" / PLAN_ID / "sqlite" / "plan.md").read_text()
    assert "proposed by an LLM" in plan_md and f"`{FIXTURE_MODEL}`" in plan_md and "migration.*.j2" in plan_md
    assert "### `fill-avatars` (proposed by the LLM planner)" in plan_md
    assert all(FIXTURE_KEY not in text for text in generated_files(root).values())

    # Offline now: the cached answer plans byte for byte, and --check passes, without asking anyone.
    clear_model_env(monkeypatch)
    before = generated_files(root)
    assert api.plan(root).changes == []
    assert api.plan(root, check=True).stale == []
    assert generated_files(root) == before and len(openai_server.requests) == 2

    api.approve(root, [], by="lead")
    for target in (f"sqlite:///{tmp_path}/app.db", pg_url):
        api.apply(root, target, ["schema"])
        insert_users(target)
        api.apply(root, target, confirm=[MANUAL_STEP])
        assert avatars(target) == [("AL", "#F06292"), ("GH", "#BA68C8"), ("P", "#64B5F6"), ("U", "#4DB6AC"),
                                   ("U", "#81C784"), ("ÉZ", "#FFB74D")]
        api.rollback(root, PLAN_ID, target)
        assert "avatar_initials" not in columns(target)


def test_the_cassette_plans_the_same_with_no_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = avatars_project(tmp_path)
    use_fixture_model(monkeypatch, FIXTURE_BASE_URL)
    with replay("avatars"):
        api.plan(root)
    cached = json.loads((root / "generated" / PLAN_ID / "planner.json").read_text())
    assert cached["answer"] == AVATARS and cached["attempts"] == 2


def test_without_a_model_the_spec_fails_clearly(tmp_path: Path) -> None:
    root = avatars_project(tmp_path)
    with pytest.raises(SpecError) as caught:
        api.plan(root)
    (problem,) = caught.value.problems
    assert (problem.file, problem.code) == ("specs/migrations/avatars.yaml", "needs-planner")
    assert "free text for the LLM planner and no answer is cached" in problem.message
    assert "DBBASIC_LLM_MODEL" in problem.hint and "docs/planner.md" in problem.hint
    outcome = CliRunner().invoke(main, ["plan", "--project", str(root)])
    assert outcome.exit_code == 1 and "needs-planner" in outcome.output
    # validate only warns: the spec is valid, it is just not planned yet.
    validation = api.validate(root)
    assert validation.ok and [p.code for p in validation.problems] == ["needs-planner"]
    assert not (root / "generated" / PLAN_ID).exists()


def test_a_changed_spec_is_asked_again(openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    root = avatars_project(tmp_path)
    use_fixture_model(monkeypatch, openai_server.base_url)
    openai_server.script(Answer(AVATARS), Answer(AVATARS))
    api.plan(root)
    spec = root / "specs/migrations/avatars.yaml"
    spec.write_text(spec.read_text().replace("Random color from palette", "Color from a palette of eight"))

    monkeypatch.delenv("DBBASIC_LLM_MODEL")
    with pytest.raises(SpecError, match="the cached answer is for another spec"):
        api.plan(root, check=True)
    use_fixture_model(monkeypatch, openai_server.base_url)
    api.plan(root)
    assert len(openai_server.requests) == 2
    assert "Color from a palette of eight" in openai_server.requests[1].body["messages"][1]["content"]


def test_replan_asks_again_even_when_the_answer_fits(openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    root = avatars_project(tmp_path)
    use_fixture_model(monkeypatch, openai_server.base_url)
    openai_server.script(Answer(AVATARS), Answer(AVATARS))
    api.plan(root)
    api.plan(root)
    assert len(openai_server.requests) == 1
    api.plan(root, replan=True)
    assert len(openai_server.requests) == 2


def test_every_answer_refused_is_a_clear_error_and_nothing_is_cached(
        openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = avatars_project(tmp_path)
    use_fixture_model(monkeypatch, openai_server.base_url)
    openai_server.script(Answer("Sure! Here are the steps:"), Answer(DROPS_NAMES), Answer(DROPS_NAMES))
    with pytest.raises(PlannerError) as caught:
        api.plan(root)
    message = str(caught.value)
    assert "refused all 3 answers of fixture-model" in message
    assert DROPS_NAMES in message and "drops column full_name" in message
    assert "reword the spec" in caught.value.hint
    assert not (root / "generated" / PLAN_ID / "planner.json").exists()
    outcome = CliRunner().invoke(main, ["plan", "--project", str(root)])
    assert outcome.exit_code == 1


def test_a_hand_edited_answer_is_refused_and_a_cached_one_is_guarded_again(
        openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = avatars_project(tmp_path)
    use_fixture_model(monkeypatch, openai_server.base_url)
    openai_server.script(Answer(AVATARS))
    api.plan(root)
    clear_model_env(monkeypatch)
    path = root / "generated" / PLAN_ID / "planner.json"
    cached = json.loads(path.read_text())
    path.write_text(json.dumps({**cached, "answer": DROPS_NAMES}))
    with pytest.raises(PlanError, match="was edited by hand"):
        api.plan(root, check=True)
    # An answer the guard refuses is refused on every read, whatever the file says of it (a stricter guard).
    digest = "sha256:" + hashlib.sha256(DROPS_NAMES.encode()).hexdigest()
    path.write_text(json.dumps({**cached, "answer": DROPS_NAMES, "answer_sha256": digest}))
    with pytest.raises(SpecError, match=r"the guard refuses its cached answer for postgres: .*drops column full_name"):
        api.plan(root, check=True)


def test_commands_that_read_the_cache_ignore_this_machine_s_model_settings(
        openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = avatars_project(tmp_path)
    use_fixture_model(monkeypatch, openai_server.base_url)
    openai_server.script(Answer(AVATARS))
    api.plan(root)
    monkeypatch.setenv("DBBASIC_LLM_MODEL", "another-model")
    monkeypatch.setenv("DBBASIC_LLM_PROFILE", "no-such-profile")
    assert api.plan(root, check=True).stale == []
    api.approve(root, [], by="lead")
    assert all(d.approved for d in api.diff(root))
    assert len(openai_server.requests) == 1


def test_a_table_the_answer_does_not_touch_may_change(openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    root = avatars_project(tmp_path)
    use_fixture_model(monkeypatch, openai_server.base_url)
    openai_server.script(Answer(AVATARS))
    api.plan(root)
    clear_model_env(monkeypatch)
    data = root / "specs/data.yaml"
    data.write_text(data.read_text() + "  teams:\n    fields:\n      id: id\n      name: text\n")
    api.plan(root)  # offline: the cached answer still fits
    data.write_text(data.read_text().replace("full_name: text", "full_name: string(80)"))
    with pytest.raises(SpecError, match="another schema of the tables it touches"):
        api.plan(root)


def insert_users(target: str) -> None:
    rows = [(i, f"user{i}@example.com" if name is not None and name.strip() else f"u{i}@example.com", name)
            for i, name in enumerate(NAMES, start=1)]
    if target.startswith("sqlite"):
        with sqlite3.connect(target.removeprefix("sqlite:///")) as db:
            db.executemany("INSERT INTO users (id, email, full_name) VALUES (?, ?, ?)", rows)
    else:
        with psycopg.connect(target) as db:
            db.cursor().executemany("INSERT INTO users (id, email, full_name) VALUES (%s, %s, %s)", rows)


def avatars(target: str) -> list[tuple[str, str]]:
    query = "SELECT avatar_initials, avatar_color FROM users ORDER BY id"
    if target.startswith("sqlite"):
        with sqlite3.connect(target.removeprefix("sqlite:///")) as db:
            return list(db.execute(query))
    with psycopg.connect(target) as db:
        return list(db.execute(query))


def columns(target: str) -> list[str]:
    if target.startswith("sqlite"):
        with sqlite3.connect(target.removeprefix("sqlite:///")) as db:
            return [row[1] for row in db.execute("PRAGMA table_info(users)")]
    with psycopg.connect(target) as db:
        return [row[0] for row in db.execute("SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = 'users'")]
