"""The data model's history as plans: the plan that creates it, then one plan per change.

`generated/schema/model.json` records the model the `schema` plan creates, `generated/schema/<n>/model.json`
the model after change n. Every plan of the chain is compiled again from those snapshots (so `plan --check`
covers them byte for byte); when the specs' model differs from the last snapshot, a new plan and snapshot
are added. An applied plan never changes: a change to `data:` becomes a new plan.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from dbbasic.errors import Problem
from dbbasic.generators.model_diff import check_change, compile_model_change
from dbbasic.generators.schema import compile_data_model
from dbbasic.plan.model import Plan
from dbbasic.specs.model import DataModel, Source
from dbbasic.specs.snapshot import model_from_json, model_to_json, shape
from dbbasic.sql.dialect import Dialect


def plan_id(version: int) -> str:
    """The id of the plan that brings the data model to `version` (version 1 creates it)."""
    return "schema" if version == 1 else f"schema/{version}"


def model_versions(current: DataModel, snapshots: list[dict[str, Any]]
                   ) -> tuple[list[DataModel], dict[str, dict[str, Any]], list[Problem]]:
    """The models of the chain (recorded ones, then the specs' if it changed), every snapshot to keep on
    disk by plan id, and the problems that stop a new change from compiling."""
    models = [model_from_json(s["model"], Source(**s["source"])) for s in snapshots]
    kept = {plan_id(n): s for n, s in enumerate(snapshots, start=1)}
    if not current.tables and not models:
        return [], {}, []
    if models and shape(snapshots[-1]["model"]) == shape(model_to_json(current)):
        return models, kept, []
    problems = check_change(models[-1], current) if models else []
    if any(p.level == "error" for p in problems):
        return models, kept, problems
    assert current.source is not None
    snapshot = {"source": asdict(current.source), "model": model_to_json(current)}
    kept[plan_id(len(models) + 1)] = snapshot
    # Compiled from its snapshot, as it will be every time after: the same plan, byte for byte.
    return [*models, model_from_json(snapshot["model"], current.source)], kept, problems


def compile_model_plans(models: list[DataModel], dialect: Dialect) -> list[Plan]:
    plans = []
    for n, model in enumerate(models, start=1):
        if n == 1:
            plan = compile_data_model(model, dialect)
            if plan is not None:
                plans.append(plan)
        else:
            assert model.source is not None
            plans.append(compile_model_change(models[n - 2], model, plan_id(n), dialect, model.source))
    return plans
