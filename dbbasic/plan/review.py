"""Review: approve a plan by its hash, and show what changed since the approved version.

`generated/<plan-id>/approval.json` holds, per dialect, the approved hash and the approved steps, so
that `dbbasic diff` can show step by step what a reviewer has not yet seen.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dbbasic.plan.model import Plan, canonical, step_to_json

APPROVAL = "approval.json"


@dataclass(frozen=True)
class Approval:
    plan_id: str
    by: str
    at: str
    dialects: dict[str, dict[str, Any]]
    """dialect -> {"hash": ..., "steps": [...]} as approved."""

    def approves(self, plan: Plan) -> bool:
        return self.dialects.get(plan.dialect, {}).get("hash") == plan.hash()

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan_id, "approved_by": self.by, "approved_at": self.at, "dialects": self.dialects}


def approval_path(generated: Path, plan_id: str) -> Path:
    return generated.joinpath(*plan_id.split("/"), APPROVAL)


def read_approval(generated: Path, plan_id: str) -> Approval | None:
    path = approval_path(generated, plan_id)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Approval(data["plan"], data["approved_by"], data["approved_at"], data["dialects"])
    except (json.JSONDecodeError, KeyError, TypeError):
        return None  # an unreadable approval approves nothing


def approve(generated: Path, plans: list[Plan], by: str, at: datetime) -> Approval:
    """Approve every dialect of one plan id as it is now."""
    plan_id = plans[0].id
    approval = Approval(plan_id, by, at.isoformat(timespec="seconds"),
                        {p.dialect: {"hash": p.hash(), "steps": [step_to_json(s) for s in p.steps]}
                         for p in sorted(plans, key=lambda p: p.dialect)})
    path = approval_path(generated, plan_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(canonical(approval.to_json()), encoding="utf-8")
    return approval


@dataclass(frozen=True)
class StepChange:
    step_id: str
    change: str  # "added", "removed", "changed"
    diff: str


def diff_plan(plan: Plan, approval: Approval | None) -> list[StepChange]:
    """Step by step, what differs between the plan and its approved version (all steps when none)."""
    approved = {} if approval is None else {
        s["id"]: s for s in approval.dialects.get(plan.dialect, {}).get("steps", [])}
    current = {s.id: step_to_json(s) for s in plan.steps}
    changes = []
    for step_id, step in current.items():
        before = approved.get(step_id)
        if before is None:
            changes.append(StepChange(step_id, "added", _unified("", _text(step), step_id)))
        elif before != step:
            changes.append(StepChange(step_id, "changed", _unified(_text(before), _text(step), step_id)))
    changes += [StepChange(sid, "removed", _unified(_text(s), "", sid)) for sid, s in approved.items()
                if sid not in current]
    return changes


def _text(step: dict[str, Any]) -> str:
    """A step as a reviewer reads it: its attributes, then its SQL statement by statement."""
    lines = [f"{k}: {json.dumps(v)}" for k, v in sorted(step.items())
             if k not in ("id", "up", "down", "sql", "action")]
    for key in ("up", "down"):
        if key in step:
            lines.append(f"{key}:" + ("" if step[key] is not None else " none"))
            lines += [f"  {line}" for s in step[key] or [] for line in (s + ";").splitlines()]
    for key in ("sql", "action"):
        if key in step:
            lines += [f"{key}:", *[f"  {line}" for line in str(step[key]).splitlines()]]
    return "\n".join(lines) + "\n"


def _unified(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"approved/{name}", tofile=f"current/{name}")
    return "".join(lines)
