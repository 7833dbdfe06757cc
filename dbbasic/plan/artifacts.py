"""The plans on disk: `generated/<plan-id>/<dialect>/{plan.json, plan.md, up.sql, down.sql}`.

Writing is idempotent (a file is rewritten only when its bytes change) and `stale()` compares the
bytes on disk with what the specs compile to, so a hand-edited or outdated plan is always caught.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbbasic.errors import PlanError
from dbbasic.plan.model import ConfigStep, Plan, canonical
from dbbasic.plan.render import render_down_sql, render_markdown, render_up_sql

PLAN_JSON = "plan.json"
SNAPSHOT = "model.json"
PLANNER_ANSWER = "planner.json"
"""The LLM planner's accepted answer, beside the plan it made (planner/cache.py writes it)."""
MODEL_PLAN = "schema"


def artifacts(plan: Plan) -> dict[str, str]:
    """Every file of a plan, by name (a config step's files under `files/`)."""
    files = {f"files/{name}": text for step in plan.steps if isinstance(step, ConfigStep)
             for name, text in step.files.items()}
    return {PLAN_JSON: plan.canonical_json(), "plan.md": render_markdown(plan),
            "up.sql": render_up_sql(plan), "down.sql": render_down_sql(plan), **files}


def plan_dir(generated: Path, plan_id: str, dialect: str) -> Path:
    return generated.joinpath(*plan_id.split("/"), dialect)


def on_disk(generated: Path) -> dict[tuple[str, str], Path]:
    """(plan id, dialect) -> directory, for every plan.json under generated/."""
    found = {}
    for path in sorted(generated.rglob(PLAN_JSON)) if generated.is_dir() else []:
        rel = path.parent.relative_to(generated)
        if len(rel.parts) >= 2:
            found[("/".join(rel.parts[:-1]), rel.parts[-1])] = path.parent
    return found


@dataclass(frozen=True)
class Change:
    path: str
    action: str  # "written", "removed"


def write_plans(generated: Path, plans: list[Plan]) -> list[Change]:
    """Write the plans, remove the plans whose spec is gone; return what changed on disk."""
    changes = []
    wanted = {(p.id, p.dialect) for p in plans}
    for plan in plans:
        directory = plan_dir(generated, plan.id, plan.dialect)
        files = artifacts(plan)
        for name, text in files.items():
            path = directory / name
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                changes.append(Change(path.relative_to(generated.parent).as_posix(), "written"))
        for path in sorted((directory / "files").rglob("*")) if (directory / "files").is_dir() else []:
            if path.is_file() and path.relative_to(directory).as_posix() not in files:  # a file the plan dropped
                path.unlink()
                changes.append(Change(path.relative_to(generated.parent).as_posix(), "removed"))
    for key, directory in on_disk(generated).items():
        if key not in wanted:
            shutil.rmtree(directory)
            changes.append(Change(directory.relative_to(generated.parent).as_posix(), "removed"))
            _prune(directory.parent, generated, keep_approval=any(k[0] == key[0] for k in wanted))
    return changes


def _prune(directory: Path, generated: Path, keep_approval: bool) -> None:
    """Remove a plan id's folder once no dialect of it is left (its approval goes with it)."""
    while directory != generated and directory.is_dir():
        entries = {p.name for p in directory.iterdir()}
        if entries - {"approval.json", SNAPSHOT, PLANNER_ANSWER} or (entries and keep_approval):
            return
        shutil.rmtree(directory)
        directory = directory.parent


@dataclass(frozen=True)
class Stale:
    plan_id: str
    dialect: str
    reason: str


def stale_plans(generated: Path, plans: list[Plan]) -> list[Stale]:
    """Each plan whose files differ from what the specs compile to, and each plan with no spec."""
    found = []
    for plan in plans:
        directory = plan_dir(generated, plan.id, plan.dialect)
        files = artifacts(plan)
        differ = [name for name, text in files.items()
                  if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != text]
        if not directory.exists():
            found.append(Stale(plan.id, plan.dialect, "not compiled yet"))
        elif differ:
            found.append(Stale(plan.id, plan.dialect, f"{', '.join(differ)} differ from what the specs compile to"))
    wanted = {(p.id, p.dialect) for p in plans}
    found += [Stale(pid, d, "its spec is gone") for (pid, d) in on_disk(generated) if (pid, d) not in wanted]
    return found


def read_plan(generated: Path, plan_id: str, dialect: str) -> Plan:
    """The plan as committed; refused when plan.json was edited by hand (its hash no longer matches)."""
    path = plan_dir(generated, plan_id, dialect) / PLAN_JSON
    if not path.exists():
        raise PlanError(f"plan {plan_id} has no {dialect} version in {path.parent}", plan_id,
                        "run `dbbasic plan`; add the target's dialect to project.dialects if it is missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path} is not valid JSON: {exc}", plan_id, "run `dbbasic plan` to rewrite it") from None
    plan = Plan.from_json(data)
    if plan.hash() != data.get("hash"):
        raise PlanError(f"plan {plan_id} ({dialect}) was edited by hand: its content does not match its hash",
                        plan_id, "run `dbbasic plan` to rewrite it from the specs, then review and approve")
    return plan


# -- model snapshots: generated/schema/model.json, generated/schema/<n>/model.json --------------------------


def model_plan_id(version: int) -> str:
    """The id of the plan that brings the data model to `version` (1 creates it)."""
    return MODEL_PLAN if version == 1 else f"{MODEL_PLAN}/{version}"


def read_snapshots(generated: Path) -> list[dict[str, Any]]:
    """The data model after each model plan, oldest first; gaps end the chain."""
    snapshots = []
    version = 1
    while (path := generated.joinpath(*model_plan_id(version).split("/"), SNAPSHOT)).exists():
        try:
            snapshots.append(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PlanError(f"{path} is not valid JSON: {exc}", model_plan_id(version),
                            "restore it from version control: the model's history is built on it") from None
        version += 1
    return snapshots


def write_snapshots(generated: Path, snapshots: dict[str, dict[str, Any]]) -> list[Change]:
    changes = []
    for plan_id, data in snapshots.items():
        path = generated.joinpath(*plan_id.split("/"), SNAPSHOT)
        text = canonical(data)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changes.append(Change(path.relative_to(generated.parent).as_posix(), "written"))
    return changes


def stale_snapshots(generated: Path, snapshots: dict[str, dict[str, Any]]) -> list[Stale]:
    found = []
    for plan_id, data in snapshots.items():
        path = generated.joinpath(*plan_id.split("/"), SNAPSHOT)
        if not path.exists() or path.read_text(encoding="utf-8") != canonical(data):
            found.append(Stale(plan_id, "-", f"{SNAPSHOT} differs from the data model it records"))
    return found
