"""The avatars task against a real model: skipped unless OPENAI_API_KEY or OPENAI_BASE_URL is set (CI has
neither, and no network). With OPENAI_BASE_URL (Ollama, vLLM, llama.cpp...), DBBASIC_LLM_MODEL names the model;
with only OPENAI_API_KEY, it defaults to gpt-4o-mini. Whatever the model answers must pass the guard and the
dry run; a model that cannot is a PlannerError whose reasons say why, which fails this test with them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from avatars import PLAN_ID, avatars_project

from dbbasic import api

pytestmark = pytest.mark.skipif(not (os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")),
                                reason="no model: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local server)")


def test_a_real_model_plans_the_avatars_task(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DBBASIC_LLM_MODEL", os.environ.get("DBBASIC_LLM_MODEL", "gpt-4o-mini"))
    root = avatars_project(tmp_path / "project")

    api.plan(root)

    cached = json.loads((root / "generated" / PLAN_ID / "planner.json").read_text())
    assert cached["model"] == os.environ["DBBASIC_LLM_MODEL"] and 1 <= cached["attempts"] <= 3
    api.approve(root, [], by="live-test")
    target = f"sqlite:///{tmp_path}/app.db"
    applied = api.apply(root, target, confirm=[f"{PLAN_ID}:{step}" for step in manual_steps(root)])
    assert any(step.plan_id == PLAN_ID for step in applied.steps)


def manual_steps(root: Path) -> list[str]:
    plan = json.loads((root / "generated" / PLAN_ID / "sqlite" / "plan.json").read_text())
    return [step["id"] for step in plan["steps"] if step["kind"] == "manual"]
