"""The plan artifact: canonical JSON, a hash over meaning, byte-identical compiles."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from dbbasic import api
from dbbasic.errors import PlanError
from dbbasic.plan import artifacts
from dbbasic.plan.model import CopyStep, DdlStep, OnlineDdlStep, Plan, Step, _digest
from dbbasic.specs.model import Source


def plan_of(*steps: Step, task: str = "t") -> Plan:
    return Plan("migrations/m", task, "postgres", Source("specs/m.yaml", 1, "abc"), "explicit", 1, steps)


def test_plan_json_is_canonical_and_round_trips() -> None:
    plan = plan_of(DdlStep("1-sql", ("ALTER TABLE users ADD COLUMN a text",), ("ALTER TABLE users DROP COLUMN a",)))
    text = plan.canonical_json()
    assert text.endswith("}\n") and text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert Plan.from_json(json.loads(text)) == plan
    assert json.loads(text)["hash"] == plan.hash()


def test_the_hash_ignores_layout_comments_keyword_case_and_wording() -> None:
    base = plan_of(DdlStep("1-sql", ("ALTER TABLE users ADD COLUMN a text",)))
    same = plan_of(DdlStep("1-sql", ("alter table users\n  add column a TEXT -- nullable for now",)),
                   task="Reworded task")
    assert replace(same, source=Source("specs/other.yaml", 9, "def")).hash() == base.hash()


@pytest.mark.parametrize("changed", [
    DdlStep("1-sql", ("ALTER TABLE users ADD COLUMN b text",)),
    DdlStep("1-sql", ("ALTER TABLE users ADD COLUMN a text",)),
    DdlStep("1-sql", ("ALTER TABLE users ADD COLUMN a text DEFAULT 'X'",)),
    DdlStep("1-sql", ("ALTER TABLE users ADD COLUMN a text DEFAULT 'x'",), down=("SELECT 1",)),
    OnlineDdlStep("1-sql", ("ALTER TABLE users ADD COLUMN a text DEFAULT 'x'",)),
    DdlStep("2-sql", ("ALTER TABLE users ADD COLUMN a text DEFAULT 'x'",)),
])
def test_any_change_of_meaning_changes_the_hash(changed: DdlStep | OnlineDdlStep) -> None:
    base = plan_of(DdlStep("1-sql", ("ALTER TABLE users ADD COLUMN a text DEFAULT 'x'",)))
    assert plan_of(changed).hash() != base.hash()


def test_a_field_added_to_a_step_kind_changes_no_existing_hash_until_it_is_used() -> None:
    copy = CopyStep("1-copy", "legacy", "people", "users", "id", ("id", "name"))
    plan = plan_of(copy)
    # The meaning the step had before `select` existed, digested as the runner recorded it then.
    before = {"kind": "copy", "id": "1-copy", "source": "legacy", "table": "people", "into": "users", "key": "id",
              "columns": ["id", "name"], "batch_rows": 5000, "target_ms": 200, "down": None,
              "lock": copy.lock, "risk": "caution"}
    assert plan.step_hash(copy) == _digest(before)
    assert plan_of(replace(copy, select=("id", "upper(name)"))).hash() != plan.hash()


def test_compiling_twice_gives_byte_identical_files(example: Path) -> None:
    first = {p: p.read_bytes() for p in (example / "generated").rglob("*.*") if p.name != "approval.json"}
    assert api.plan(example).changes == []
    assert {p: p.read_bytes() for p in first} == first


def test_a_plan_edited_by_hand_is_refused_when_read(example: Path) -> None:
    path = artifacts.plan_dir(example / "generated", "schema", "postgres") / "plan.json"
    data = json.loads(path.read_text())
    data["steps"][0]["up"].append("DROP TABLE users")
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError, match="was edited by hand"):
        artifacts.read_plan(example / "generated", "schema", "postgres")


def test_an_unknown_plan_format_is_refused() -> None:
    with pytest.raises(PlanError, match=r"unknown plan format 'dbbasic\.plan/9'"):
        Plan.from_json({"format": "dbbasic.plan/9", "id": "x"})
