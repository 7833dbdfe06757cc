"""The planner's cache: an accepted answer stored beside its plan, `generated/<plan-id>/planner.json`.

An answer is reused while its key matches: the model's name, the prompt's version (templates and the library
it shows), and the digests of the spec and of the tables of the data model the answer touches. The file also
holds the answer's digest, so that a hand edit is refused rather than passed off as the model's. The base URL
and the key are never part of it (nor written): the same model behind another URL answers the same prompt.
Only answers the guard accepted are written; a refusal or an error leaves the file as it was. The guard is
re-run on every read (planner/propose.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dbbasic.errors import PlanError
from dbbasic.plan.artifacts import PLANNER_ANSWER
from dbbasic.plan.model import canonical

FORMAT = 1


def cache_key(model: str, prompt_version: str, spec_sha256: str, schema_sha256: str) -> str:
    """What a cached answer answered: change any part and the planner asks again."""
    parts = {"model": model, "prompt": prompt_version, "spec": spec_sha256, "schema": schema_sha256}
    return _sha(canonical(parts))


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    plan_id: str
    model: str
    """The model as configured (the name the key uses); `served_by` is the name the server reported."""
    profile: str
    prompt: str
    """The template of the task's prompt, e.g. migration.*.j2."""
    prompt_version: str
    spec_sha256: str
    schema_sha256: str
    answer: str
    """The answer's text, exactly as the model gave it and the guard read it."""
    attempts: int = 1
    """How many answers it took (refused ones were sent back with the guard's reasons)."""
    served_by: str = ""
    dry_runs: dict[str, str] = field(default_factory=dict)
    """Dialect -> what the dry run on a scratch database showed, for plan.md."""

    @property
    def key(self) -> str:
        return cache_key(self.model, self.prompt_version, self.spec_sha256, self.schema_sha256)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self), "key": self.key, "answer_sha256": _sha(self.answer)}


def answer_path(generated: Path, plan_id: str) -> Path:
    return generated.joinpath(*plan_id.split("/"), PLANNER_ANSWER)


def read_answer(generated: Path, plan_id: str) -> CachedAnswer | None:
    """The cached answer of a plan, or None; a file that is not one is an error (it was edited by hand)."""
    path = answer_path(generated, plan_id)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.pop("format", None) != FORMAT:
            raise ValueError(f"unknown format (this dbbasic reads format {FORMAT})")
        key, answer_sha256 = data.pop("key", None), data.pop("answer_sha256", None)
        cached = CachedAnswer(**data)
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path} is not a planner answer: {exc}", plan_id,
                        "delete it and run `dbbasic plan --replan` with a model configured") from None
    if cached.key != key or _sha(cached.answer) != answer_sha256:
        raise PlanError(f"{path} was edited by hand: its key or its answer's digest does not match", plan_id,
                        "delete it and run `dbbasic plan --replan` with a model configured")
    return cached


def write_answer(generated: Path, cached: CachedAnswer) -> bool:
    """Write the answer when its bytes change; True when written."""
    path = answer_path(generated, cached.plan_id)
    text = canonical(cached.to_json())
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
