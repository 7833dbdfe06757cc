"""Render a plan for people: plan.md (what a reviewer reads first), up.sql and down.sql.

One function per step class for the SQL, like Alembic's render.py; the output is deterministic so
that compiling twice gives byte-identical files.
"""

from __future__ import annotations

import json
from typing import Any

from dbbasic.plan.model import (
    SOURCE_STEPS,
    SQL_STEPS,
    BatchedStep,
    CaptureStep,
    CheckStep,
    ConfigStep,
    CopyStep,
    CutoverStep,
    GateStep,
    ImportStep,
    MaintainStep,
    ManualStep,
    OnlineDdlStep,
    Plan,
    SettingsStep,
    SqlStep,
    Step,
    SyncStep,
    TransformStep,
    VerifyStep,
)
from dbbasic.sql.dialect import Dialect

_RISK_MARK = {"safe": "safe", "caution": "**caution**", "destructive": "**DESTRUCTIVE**"}


def render_markdown(plan: Plan) -> str:
    lines = [f"# Plan `{plan.id}` ({plan.dialect})", "", plan.task, ""]
    if plan.description:
        lines += [plan.description, ""]
    lines += [
        f"- source: `{plan.source.file}` line {plan.source.line}",
        f"- made by: generator `{plan.generator}` version {plan.generator_version}",
        f"- hash: `{plan.hash()}`",
        f"- expects: {_tables(plan.expects)}; leaves: {_tables(plan.leaves)}",
        *_planner_lines(plan),
        "",
        "| step | kind | risk | lock | rollback |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| `{s.id}` | {s.kind} | {_risk(s)} | {_lock(s)} | {_rollback(s)} |" for s in plan.steps]
    if plan.findings:
        lines += ["", "## Findings", ""]
        for f in plan.findings:
            level = f"**{f.level}**" if f.level == "error" else f.level
            advice = f" Instead: {f.help}" if f.help and f.level != "info" else ""
            lines.append(f"- {level} `{f.rule}` in step `{f.step}`: {f.message}.{advice}")
    lines += ["", "## Steps"]
    dialect = Dialect.get(plan.dialect)
    for step in plan.steps:
        by_llm = plan.planner is not None and plan.planner["scope"] == "steps"
        lines += ["", f"### `{step.id}`" + (" (proposed by the LLM planner)" if by_llm else ""), ""]
        if step.description:
            lines += [step.description, ""]
        lines += _step_markdown(step, dialect)
    return "\n".join(lines) + "\n"


def _planner_lines(plan: Plan) -> list[str]:
    """What a reviewer must know of a plan an LLM proposed: which model and prompt, and what it destroys."""
    made = plan.planner
    if made is None:
        return []
    answers = "first answer" if made["attempts"] == 1 else f"answer {made['attempts']} (earlier ones refused)"
    what = ("**Every step of this plan was proposed by an LLM**, not written by a generator" if made["scope"] ==
            "steps" else "**The rules marked (LLM) were translated by an LLM** from the spec's words into rules of "
            "the library")
    lines = ["", f"> {what}: model "
             f"`{made['model']}` (profile `{made['profile']}`), prompt `{made['prompt']}` version "
             f"`{made['prompt_version'][:19]}`, {answers}. The guard accepted it (docs/planner.md); "
             f"dry run: {made['dry_run']}. Cached in `generated/{plan.id}/planner.json` (key `{made['key'][:19]}`)."]
    for what in made["destructive"]:
        lines.append(f'> <span style="color:red">**DESTRUCTIVE** (allowed by the spec): {what}</span>')
    return lines


def _tables(fingerprint: dict[str, Any]) -> str:
    if not fingerprint:
        return "no table it can check"
    return ", ".join(f"`{name}` ({len(columns)} columns)" if columns is not None else f"no `{name}`"
                     for name, columns in sorted(fingerprint.items()))


def _risk(step: Step) -> str:
    if isinstance(step, SOURCE_STEPS):
        return _RISK_MARK["caution"]  # it writes to the database the application uses
    return _RISK_MARK[step.risk] if isinstance(step, SQL_STEPS) else "safe"


def _lock(step: Step) -> str:
    if isinstance(step, SQL_STEPS):
        return step.lock.replace("|", "/")
    if isinstance(step, CaptureStep):
        return f"the write lock of {step.source} while its triggers are made"
    if isinstance(step, SyncStep):
        return "ROW EXCLUSIVE on the rows each pass writes"
    if isinstance(step, CutoverStep):
        return f"the write lock of {step.source} for the freeze (writers wait)"
    if isinstance(step, SettingsStep):
        return "the database file's, briefly" if set(step.settings) - set(step.connection) else "none"
    if isinstance(step, MaintainStep):
        return "ACCESS EXCLUSIVE on the partitioned table per partition made or detached, brief"
    return "none" if isinstance(step, (CheckStep, VerifyStep, GateStep, ConfigStep)) else "n/a: a person acts"


def _rollback(step: Step) -> str:
    if isinstance(step, SettingsStep):
        return "yes" if step.down is not None else "**none**"
    if isinstance(step, SOURCE_STEPS):
        return f"yes, on {step.source}"
    if isinstance(step, SQL_STEPS):
        return "yes" if step.down is not None else "**none**"
    return "nothing to undo"


def _step_markdown(step: Step, dialect: Dialect) -> list[str]:
    if isinstance(step, ManualStep):
        return [f"A person does this, then runs `dbbasic apply` again: {step.action}"]
    if isinstance(step, GateStep):
        return [f"Goes on only once `{step.metric}` is at least {step.at_least:,g} on the target (tier "
                f"`{step.tier}`); until then apply stops here, changing nothing, and later tiers wait too. The "
                "metric:", "", "```sql", dialect.pretty(step.sql), "```"]
    if isinstance(step, SettingsStep):
        kept = [f"- `{name} = {value}`" + (" (per connection: the application sets it on each of its own)"
                                           if name in step.connection else " (kept in the database file)")
                for name, value in step.settings.items()]
        undo = ", ".join(f"`{n} = {v}`" for n, v in (step.down or {}).items()) or "nothing"
        return ["Set by the runner and read back (the values read are the step's checkpoint):", "", *kept, "",
                f"Rollback sets {undo}."]
    if isinstance(step, MaintainStep):
        return [f"Runs the partition upkeep of `{step.table}` now ({', '.join(step.tasks)}), as `dbbasic maintain` "
                "does from cron. Its partitions go with the table it fills when rolled back."]
    if isinstance(step, ConfigStep):
        files = [f"- `files/{name}` ({len(text.splitlines())} lines)" for name, text in step.files.items()]
        checked = (f"The runner first checks the {len(step.settings)} server settings against the live server "
                   "(`pg_settings`: a name it knows, a value it accepts); installing the files is the next step's, "
                   "a person's." if step.settings else "Installing the files is the next step's, a person's.")
        return [f"Writes nothing to the database. {checked} Files, beside this plan.md:", "", *files]
    if isinstance(step, CheckStep):
        return [f"Stops the plan unless this returns `{json.dumps(step.expect)}`:", "", "```sql",
                dialect.pretty(step.sql), "```"]
    if isinstance(step, VerifyStep):
        sample = f", and {step.sample} random rows field by field" if step.sample else ""
        moment = (f" Both at one moment: `{step.log}` is replayed first, in the snapshot the source is read in."
                  if step.log else "")
        return [f"Compares `{step.table}` here with `{step.table}` on target `{step.source}`: the row counts and a "
                f"checksum of every row{sample}, by `{', '.join(step.key)}`. Any difference stops the plan and "
                f"names the row, the column and both values.{moment}"]
    if isinstance(step, CaptureStep):
        return [f"Runs on target `{step.source}` (SQLite), in one transaction: the change log `{step.log}` and, per "
                "table, triggers that record the key of each row inserted, updated or deleted.", "", "```sql",
                *[s + ";" for s in step.source_up], "```", "", f"Rollback (on `{step.source}`):", "", "```sql",
                *[s + ";" for s in step.source_down], "```"]
    if isinstance(step, SyncStep):
        names = ", ".join(f"`{t['table']}`" for t in step.tables)
        return [f"Replays `{step.log}` of target `{step.source}`: each pass writes every row the log names since the "
                "last pass as the source has it then (or deletes it), in one transaction with the log's position, "
                f"for {names}; passes go on until at most "
                f"{step.max_lag_rows} changes wait."]
    if isinstance(step, CutoverStep):
        taken = (f"Takes the write lock of `{step.source}` (the application's writes wait), then" if step.freeze ==
                 "lock" else f"With the application's writes to `{step.source}` stopped (the step before),")
        return [f"{taken} replays the last changes, compares every table's row count and every row changed since "
                "its verify, runs here:", "", "```sql", *[dialect.pretty(s) + ";" for s in step.after], "```", "",
                f"and makes `{step.source}` refuse writes (then releases the lock); any difference stops here with "
                "nothing switched:", "", "```sql", *[s + ";" for s in step.fence], "```", "",
                f"Rollback (on `{step.source}`):", "", "```sql", *[s + ";" for s in step.unfence], "```"]
    notes: list[str] = []
    if isinstance(step, BatchedStep):
        notes = [f"Runs over `{step.table}` ordered by `{step.key}`, in batches sized to take about "
                 f"{step.target_ms} ms (the first: {step.batch_rows} rows), each committed with its checkpoint.", ""]
    elif isinstance(step, CopyStep):
        origin = f"target `{step.source}`" if step.source else "this database"
        notes = [f"Copies `{step.table}` from {origin} into `{step.into}` ({', '.join(step.columns)}), ordered by "
                 f"`{', '.join(step.keys)}`, in batches of about {step.target_ms} ms, each committed with its "
                 "checkpoint.", ""]
        return notes + _down_markdown(step, dialect)
    elif isinstance(step, TransformStep):
        return [f"Rewrites `{step.table}.{step.column}` into `{step.into}` with the transform `{step.transform}` "
                f"(version {step.version}) and `{json.dumps(step.parameters, sort_keys=True)}`, ordered by "
                f"`{step.key}`, in batches of about {step.target_ms} ms, each committed with its checkpoint. "
                f"Each row it changes or notes (rejected values stay as they were) is listed in `{step.log}` with "
                "the reason.", ""] + _down_markdown(step, dialect)
    elif isinstance(step, ImportStep):
        return _import_markdown(step) + _down_markdown(step, dialect)
    elif isinstance(step, OnlineDdlStep):
        notes = ["Runs outside a transaction, one statement at a time; an index an interrupted build left "
                 "INVALID is dropped and built again.", ""]
    else:
        notes = ["Runs in one transaction, waiting for its lock at most the lock timeout, retried with back-off.", ""]
    return notes + ["```sql", *[dialect.pretty(s) + ";" for s in step.up], "```"] + _down_markdown(step, dialect)


def _import_markdown(step: ImportStep) -> list[str]:
    """What a reviewer of an import needs: the file, how it is read, where each column goes, each rule as
    it was understood."""
    described = ", ".join(f"{k}: {json.dumps(v)}" for k, v in sorted(step.format.items()) if k != "columns")
    refused = ("set aside in the rejects file with the reason" if step.on_error == "reject"
               else "an error that stops the import (`on_error: stop`)")
    lines = [f"Reads `{step.source}` ({step.sha256[:19]}...; {described}) and loads `{step.table}` in batches of "
             f"{step.batch_rows} records, each committed with its checkpoint. A record that a rule or the database "
             f"refuses is {refused}.",
             "", "| source column | field |", "|---|---|"]
    lines += [f"| `{column}` | `{name}` |" for column, name in step.columns.items()]
    unmapped = [c for c in step.format.get("columns", []) if c not in step.columns]
    if unmapped:
        lines += ["", "Not imported (no field of that name, no rule maps it): " + ", ".join(f"`{c}`" for c in unmapped)]
    lines += ["", "| # | rule | understood as | parameters |", "|---|---|---|---|"]
    lines += [f"| {i} | {rule['written']}{' (LLM)' if rule.get('planner') else ''} | `{rule['rule']}` | "
              f"`{json.dumps(rule['parameters'], sort_keys=True)}` |" for i, rule in enumerate(step.rules, start=1)]
    return [*lines, ""]


def _down_markdown(step: SqlStep, dialect: Dialect) -> list[str]:
    body: list[str] = []
    if step.down is not None:
        body += ["", "Rollback:", "", "```sql", *[dialect.pretty(s) + ";" for s in step.down], "```"]
    return body


def render_up_sql(plan: Plan) -> str:
    return _script(plan, [(s.id, _up(s)) for s in plan.steps], "up")


def render_down_sql(plan: Plan) -> str:
    steps: list[tuple[str, list[str] | None]] = []
    for step in reversed(plan.steps):
        if isinstance(step, SOURCE_STEPS):
            steps.append((step.id, _on_source(step.source, step.source_down if isinstance(step, CaptureStep)
                                              else step.unfence)))
        elif isinstance(step, SQL_STEPS):
            steps.append((step.id, list(step.down) if step.down is not None else None))
        elif isinstance(step, SettingsStep):
            steps.append((step.id, _pragmas(step.down) if step.down is not None else None))
    return _script(plan, steps, "down")


def _pragmas(settings: dict[str, str]) -> list[str]:
    return [f"-- settings: PRAGMA {name} = {value}" for name, value in settings.items()]


def _on_source(source: str, statements: tuple[str, ...]) -> list[str]:
    """Statements that run on a move's source, shown as comments: this script is for the destination."""
    return [f"-- on target {source}: {s};" for s in statements]


def _up(step: Step) -> list[str] | None:
    if isinstance(step, CopyStep):
        origin = f"target {step.source}" if step.source else "this database"
        return [f"-- copy: {step.table} from {origin} into {step.into} ({', '.join(step.columns)}) "
                f"by {', '.join(step.keys)}"]
    if isinstance(step, ImportStep):
        return [f"-- import: {step.source} ({step.sha256}) into {step.table}, {len(step.rules)} rules"]
    if isinstance(step, TransformStep):
        return [f"-- transform: {step.table}.{step.column} into {step.into} with {step.transform} "
                f"v{step.version} {json.dumps(step.parameters, sort_keys=True)} by {step.key}, log in {step.log}"]
    if isinstance(step, SQL_STEPS):
        return list(step.up)
    if isinstance(step, CheckStep):
        return [f"-- check: expect {json.dumps(step.expect)}", step.sql]
    if isinstance(step, GateStep):
        return [f"-- gate: tier {step.tier} goes on once {step.metric} >= {step.at_least:g}", step.sql]
    if isinstance(step, SettingsStep):
        return _pragmas(step.settings)
    if isinstance(step, ConfigStep):
        return [f"-- config: files/{name}" for name in step.files]
    if isinstance(step, MaintainStep):
        return [f"-- maintain: {step.table} ({', '.join(step.tasks)})"]
    if isinstance(step, VerifyStep):
        return [f"-- verify: {step.table} against target {step.source} (counts, checksums, sample {step.sample})"]
    if isinstance(step, CaptureStep):
        return _on_source(step.source, step.source_up)
    if isinstance(step, SyncStep):
        return [f"-- sync: replay {step.log} of target {step.source} until at most {step.max_lag_rows} changes wait"]
    if isinstance(step, CutoverStep):
        return [f"-- cutover: freeze writes to target {step.source} ({step.freeze}), replay {step.log}, compare",
                *step.after, *_on_source(step.source, step.fence)]
    return ["-- manual: " + " ".join(step.action.split())]


def _script(plan: Plan, steps: list[tuple[str, list[str] | None]], direction: str) -> str:
    dialect = Dialect.get(plan.dialect)
    out = [f"-- dbbasic plan {plan.id} ({plan.dialect}), {direction}; generated, do not edit.",
           f"-- hash: {plan.hash()}"]
    for step_id, statements in steps:
        out += ["", f"-- step {step_id}"]
        if statements is None:
            out.append("-- no down: this step cannot be undone")
            continue
        out += [s if s.startswith("--") else dialect.pretty(s) + ";" for s in statements]
    return "\n".join(out) + "\n"
