"""Planning a free-text task: the cached answer when its key still matches, else ask the model, guard the
answer, dry-run it, send refusals back with their reasons, and cache what is accepted.

    cached = answer(migration, specs, generated, mode="ask")     # dbbasic plan
    plan = compile_answer(migration, cached, specs.data, Dialect.get("sqlite"))

Modes: `ask` may call the model (dbbasic plan); `cache` never does and fails on a missing answer (plan --check,
apply, approve, CI); `optional` never does and returns None (validate, which only warns).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from dbbasic.errors import PlannerError, Problem, SpecError
from dbbasic.plan.model import Plan
from dbbasic.planner.cache import CachedAnswer, cache_key, read_answer, write_answer
from dbbasic.planner.client import Client, LlmConfig, resolve_config
from dbbasic.planner.guard import answer_schema, check_answer
from dbbasic.planner.prompts import Prompt, migration_prompt
from dbbasic.planner.scratch import SCRATCH_URL, dry_run
from dbbasic.specs.model import DataModel, Migration, Specs
from dbbasic.sql.dialect import Dialect

GENERATOR = "planner"
VERSION = 1
MAX_ANSWERS = 3
"""Answers asked per task: the first, and two more after refusals (each told every reason)."""

Mode = Literal["ask", "cache", "optional"]
ClientFactory = Callable[[LlmConfig], Client]


def answer(migration: Migration, specs: Specs, generated: Path, *, mode: Mode, replan: bool = False,
           environ: Mapping[str, str] | None = None, client: ClientFactory = Client) -> CachedAnswer | None:
    """The accepted answer of a `specification:` migration (see the module's docstring for `mode`)."""
    environ = os.environ if environ is None else environ
    asked = migration_prompt(migration, specs.data, specs.project.dialects)
    config = resolve_config(specs.project.llm, environ)
    cached = read_answer(generated, migration.id)
    model = config.model if config is not None else cached.model if cached is not None else None
    stale = _stale(cached, asked, model) if cached is not None else "no answer is cached"
    if not stale and cached is not None and not replan:
        dry = environ if mode == "ask" else None  # dbbasic plan dry-runs the cached answer again; reads do not
        refused = [r for name in specs.project.dialects
                   for r in _refusals(migration, cached.answer, specs.data, name, dry)[0]]
        if not refused:
            return cached
        stale = "the guard refuses the cached answer now: " + "; ".join(refused)
    if mode == "optional":
        return None
    if mode == "cache" or config is None:
        raise SpecError([_unplanned(migration, stale if not replan else "--replan asks again", config is None)])
    return _ask(migration, asked, specs, config, client(config), generated, environ)


def compile_answer(migration: Migration, cached: CachedAnswer, model: DataModel, dialect: Dialect) -> Plan:
    """The plan an accepted answer makes in `dialect`; SpecError when the guard refuses it (it is re-run on
    every read, so a cached answer never skips it)."""
    verdict = check_answer(cached.answer, model=model, dialect=dialect,
                           allow_destructive=migration.allow_destructive, plan_id=migration.id)
    if not verdict.accepted:
        raise SpecError([Problem(migration.source.file, migration.source.line, 1, "error", "planner-refused",
                                 f"migration '{migration.id}': the guard refuses its cached answer for "
                                 f"{dialect.name}: " + "; ".join(verdict.reasons),
                                 "run `dbbasic plan --replan` with a model configured")])
    made = {"model": cached.model, "profile": cached.profile, "prompt": cached.prompt,
            "prompt_version": cached.prompt_version, "key": cached.key, "attempts": cached.attempts,
            "dry_run": cached.dry_runs.get(dialect.name, "not dry-run"), "destructive": list(verdict.destructive)}
    return Plan(id=migration.id, task=migration.task, description=migration.description, dialect=dialect.name,
                source=migration.source, generator=GENERATOR, generator_version=VERSION, steps=verdict.steps,
                planner=made)


def _ask(migration: Migration, asked: Prompt, specs: Specs, config: LlmConfig, client: Client, generated: Path,
         environ: Mapping[str, str]) -> CachedAnswer:
    messages = [dict(m) for m in asked.messages]
    text = ""
    reasons: list[str] = []
    for attempt in range(1, MAX_ANSWERS + 1):
        completion = client.complete(messages, answer_schema(), "dbbasic_plan_steps")
        text = completion.text
        reasons = []
        notes: dict[str, str] = {}
        for name in specs.project.dialects:
            found, notes[name] = _refusals(migration, text, specs.data, name, environ)
            reasons += [f"[{name}] {r}" if len(specs.project.dialects) > 1 else r for r in found]
        if not reasons:
            cached = CachedAnswer(migration.id, config.model, config.profile.name, asked.template, asked.version,
                                  asked.spec_sha256, asked.schema_sha256, text, attempt, completion.model, notes)
            write_answer(generated, cached)
            return cached
        messages += [{"role": "assistant", "content": text},
                     {"role": "user", "content": "The guard refused your answer:\n" + "\n".join(
                         f"- {r}" for r in reasons) + "\nAnswer again with the whole corrected JSON object."}]
    raise PlannerError(
        f"migration '{migration.id}' ({migration.source.file}:{migration.source.line}): "
        f"the guard refused all {MAX_ANSWERS} answers of {config.model}. Its last answer:\n{text}\nwas refused "
        "because:\n" + "\n".join(f"- {r}" for r in reasons),
        hint="reword the specification (or split it into steps you write yourself), or try another model; "
             "nothing was cached")


def _refusals(migration: Migration, text: str, model: DataModel, dialect_name: str,
              environ: Mapping[str, str] | None) -> tuple[list[str], str]:
    """Why the guard refuses `text` in one dialect, then (with `environ`) what its dry run showed."""
    dialect = Dialect.get(dialect_name)
    verdict = check_answer(text, model=model, dialect=dialect, allow_destructive=migration.allow_destructive,
                           plan_id=migration.id)
    if not verdict.accepted or environ is None:
        return list(verdict.reasons), ""
    plan = Plan(id=migration.id, task=migration.task, dialect=dialect.name, source=migration.source,
                generator=GENERATOR, generator_version=VERSION, steps=verdict.steps)
    result = dry_run(plan, model, scratch_url=environ.get(SCRATCH_URL) or None)
    return list(result.reasons), result.note


def _stale(cached: CachedAnswer, asked: Prompt, model: str | None) -> str:
    """Why the cached answer does not answer this question ('' when it does)."""
    if model is not None and cache_key(model, asked.version, asked.spec_sha256, asked.schema_sha256) \
            == cached.key:
        return ""
    differ = [what for what, same in (("model", cached.model == model),
                                      ("prompt template", cached.prompt_version == asked.version),
                                      ("spec", cached.spec_sha256 == asked.spec_sha256),
                                      ("schema", cached.schema_sha256 == asked.schema_sha256)) if not same]
    return f"the cached answer is for another {', '.join(differ)}"


def _unplanned(migration: Migration, why: str, no_model: bool) -> Problem:
    how = ("configure a model: `project: llm: {model: ..., base_url: ...}` in the project spec, or "
           "DBBASIC_LLM_MODEL with OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local server such as Ollama); "
           "see docs/planner.md" if no_model else "run `dbbasic plan` to ask the model and cache its answer")
    return Problem(migration.source.file, migration.source.line, 1, "error", "needs-planner",
                   f"migration '{migration.id}' is free text for the LLM planner and {why}", how)


