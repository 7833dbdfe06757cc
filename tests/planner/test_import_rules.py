"""The planner on imports: a rule no recogniser understands, and the quirks an import trusts the model with
(`ai_handles:`), translated into structured rules of the library (dbbasic/planner/rule_guard.py), cached
beside the import's plan, and loaded; never SQL, never code.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cassettes import clear_model_env, use_fixture_model
from conftest import write_project
from openai_server import Answer, OpenAIServer
from openai_server import openai_server_fixture as openai_server_fixture

from dbbasic import api
from dbbasic.errors import SpecError
from dbbasic.planner.rule_guard import RulesVerdict, check_rules_answer
from dbbasic.specs.model import FieldType

SHOUTY = "Emails from the old system are shouty: fix them"
QUIRK = "Names have stray spaces around them"
TYPES = {"id": FieldType("id"), "email": FieldType("email"), "full_name": FieldType("text")}
COLUMNS = ("Email", "Name")
PLAN_ID = "imports/people/people"


def rules_answer(*entries: tuple[str, list[dict[str, Any]]]) -> str:
    return json.dumps({"rules": [{"for": text, "use": use, "why": "because"} for text, use in entries]})


LOWER = {"change_case": {"field": "email", "case": "lower"}}
TRIM = {"trim": {"field": "full_name"}}


def check(answer: str, quirks: tuple[str, ...] = ()) -> RulesVerdict:
    return check_rules_answer(answer, asked=[SHOUTY], quirks=list(quirks), types=TYPES, columns=COLUMNS)


def test_a_rule_translated_into_the_library_is_accepted() -> None:
    verdict = check(rules_answer((SHOUTY, [LOWER])))
    assert verdict.accepted and verdict.rules == {SHOUTY: (LOWER,)}


def test_a_quirk_may_need_no_rule() -> None:
    verdict = check(rules_answer((SHOUTY, [LOWER]), (QUIRK, [])), quirks=(QUIRK,))
    assert verdict.accepted and verdict.rules == {SHOUTY: (LOWER,), QUIRK: ()}


REFUSED = {
    "prose, not JSON": ("Sure! Use change_case.", "it is not JSON"),
    "a key twice": ('{"rules": [], "rules": []}', "appears twice"),
    "the steps shape": (json.dumps({"steps": [{"sql": "UPDATE users SET email = lower(email)"}]}), "steps"),
    "a rule the library lacks": (rules_answer((SHOUTY, [{"lowercase_everything": {}}])), "lowercase_everything"),
    "SQL smuggled as a rule": (rules_answer((SHOUTY, [{"sql": {"text": "DROP TABLE users"}}])), "sql"),
    "a field the table lacks": (rules_answer((SHOUTY, [{"change_case": {"field": "mail", "case": "lower"}}])),
                                "mail"),
    "a parameter the rule lacks": (rules_answer((SHOUTY, [{"change_case": {"field": "email", "case": "lower",
                                                                            "locale": "tr"}}])), "locale"),
    "a case it does not know": (rules_answer((SHOUTY, [{"change_case": {"field": "email", "case": "shout"}}])),
                                "shout"),
    "the rule answered twice": (rules_answer((SHOUTY, [LOWER]), (SHOUTY, [LOWER])), "answered twice"),
    "the rule not answered": (rules_answer((QUIRK, [TRIM])), f"rule {SHOUTY!r}: it has no answer"),
    "a text the spec does not have": (rules_answer((SHOUTY, [LOWER]), ("Delete the spam", [])),
                                      "neither a rule nor a quirk"),
    "no rule for a rule": (rules_answer((SHOUTY, [])), "no rule of the library is given for it (because)"),
    "a string that never ends": ('{"rules": [{"for": "Emails from the old system', "it is not JSON"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_a_broken_or_hostile_import_answer_is_refused_with_its_reason(name: str) -> None:
    answer, reason = REFUSED[name]
    verdict = check(answer)
    assert not verdict.accepted and verdict.rules == {}
    assert any(reason in r for r in verdict.reasons), verdict.reasons


SPEC = f"""
one_time_tasks:
  people:
    source:
      path: specs/data/people.csv
      quirks:
        - "{QUIRK}"
    target:
      model: users
    rules:
      - "Map 'Name' field to 'full_name'"
      - "{SHOUTY}"
"""


def people_project(root: Path, trusted: bool) -> Path:
    return write_project(root, {
        "specs/dbbasic.yaml": "project:\n  dialect: sqlite\n  targets:\n    dev: sqlite:///var/dev.db\n",
        "specs/data.yaml": """
            data:
              users:
                fields:
                  id: id
                  email: {type: email, unique: true, required: true}
                  full_name: text
            """,
        "specs/imports/people.yaml": SPEC + ("    ai_handles: everything else\n" if trusted else ""),
        "specs/data/people.csv": "Email,Name\nADA@EXAMPLE.COM,  Ada Lovelace \nGrace@Example.com,Grace Hopper\n"})


@pytest.fixture(autouse=True)
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_model_env(monkeypatch)


def test_an_import_rule_nothing_understands_is_planned_and_loaded(
        openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = people_project(tmp_path, trusted=True)
    use_fixture_model(monkeypatch, openai_server.base_url)
    openai_server.script(Answer(rules_answer((SHOUTY, [{"change_case": {"field": "mail", "case": "lower"}}]),
                                             (QUIRK, [TRIM]))),
                         Answer(rules_answer((SHOUTY, [LOWER]), (QUIRK, [TRIM]))))

    api.plan(root)

    # The first answer named a field the table lacks; the model was told so and corrected it.
    assert "'mail'" in openai_server.requests[1].body["messages"][-1]["content"]
    prompt = openai_server.requests[0].body["messages"][1]["content"]
    assert SHOUTY in prompt and QUIRK in prompt and "- Email" in prompt and "### change_case" in prompt
    assert "ADA@EXAMPLE.COM" not in prompt  # the header, never a row
    cached = json.loads((root / "generated" / PLAN_ID / "planner.json").read_text())
    assert cached["attempts"] == 2 and cached["prompt"] == "import.*.j2"
    plan_md = (root / "generated" / PLAN_ID / "sqlite" / "plan.md").read_text()
    assert "translated by an LLM" in plan_md and f"| {SHOUTY} (LLM) | `change_case` |" in plan_md
    assert f"| {QUIRK} (LLM) | `trim` |" in plan_md

    clear_model_env(monkeypatch)  # offline from here: the cached answer is enough
    assert api.plan(root, check=True).stale == []
    api.approve(root, [], by="lead")
    api.apply(root, "dev")
    with sqlite3.connect(root / "var/dev.db") as db:
        assert list(db.execute("SELECT email, full_name FROM users ORDER BY id")) == [
            ("ada@example.com", "Ada Lovelace"), ("grace@example.com", "Grace Hopper")]


def test_without_a_model_the_rule_is_the_import_s_own_error(tmp_path: Path) -> None:
    root = people_project(tmp_path, trusted=False)
    with pytest.raises(SpecError) as caught:
        api.plan(root)
    (problem,) = [p for p in caught.value.problems if p.level == "error"]
    assert (problem.file, problem.line, problem.code) == ("specs/imports/people.yaml", 11, "rule-not-understood")
    assert "configure a model for the LLM planner" in problem.hint and "change_case:" in problem.hint


def test_quirks_go_to_the_planner_only_when_the_import_trusts_it(
        openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = people_project(tmp_path, trusted=False)
    use_fixture_model(monkeypatch, openai_server.base_url)
    openai_server.script(Answer(rules_answer((SHOUTY, [LOWER]))))
    api.plan(root)
    prompt = openai_server.requests[0].body["messages"][1]["content"]
    assert SHOUTY in prompt and "Quirks of the source to handle" not in prompt
