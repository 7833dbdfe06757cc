"""The `dbbasic` command: parses arguments, calls `dbbasic.api`, prints. No logic of its own.

Exit status: 0 success, 1 user error (invalid spec, refused plan), 2 usage error, 3 database or
runtime failure. This module is the only place errors become exit codes.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

import click

from dbbasic import __version__, api, console
from dbbasic.errors import (
    ApplyError,
    ConnectionFailed,
    DbbasicError,
    LockTimeout,
    PlanError,
    PlannerError,
    Problem,
    SpecError,
    TargetError,
)
from dbbasic.plan.model import canonical
from dbbasic.plan.render import render_markdown
from dbbasic.runner.connect import redact
from dbbasic.runner.ddl import Timeouts
from dbbasic.runner.imports import ImportPreview

EXIT_USER, EXIT_RUNTIME = 1, 3
EXIT_DIFFERS, EXIT_TROUBLE = 1, 2
"""`diff --from-db` exits as diff(1) does, so that CI tells drift from a broken spec: 0 the database matches,
1 it differs, 2 the specs or the target are wrong (3, as everywhere, the database failed)."""


def _fail(fmt: str, code: int, message: str, hint: str = "", problems: list[Problem] | None = None) -> NoReturn:
    if fmt == "json":
        body: dict[str, Any] = {"ok": False, "error": message, "hint": hint}
        if problems is not None:
            body["problems"] = [p.to_json() for p in problems]
        click.echo(canonical(body), nl=False)
    elif problems is not None:
        click.echo("\n".join(p.render() for p in problems), err=True)
        errors = sum(1 for p in problems if p.level == "error")
        click.echo(f"{errors} error{'s' if errors != 1 else ''}", err=True)
    else:
        click.echo(f"error: {message}" + (f"\n  hint: {hint}" if hint else ""), err=True)
    sys.exit(code)


def command(func: Callable[..., Any], formats: tuple[str, ...] = ("text", "json")) -> Callable[..., Any]:
    """Shared options (--project, --format) and the mapping of dbbasic's errors to exit codes."""

    @click.option("--project", "project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                  show_default=True, help="Project directory holding specs/ and generated/.")
    @click.option("--format", "fmt", type=click.Choice(formats), default="text", show_default=True,
                  help=f"Output: {', '.join(formats)}.")
    @functools.wraps(func)
    def wrapper(*args: Any, project: Path, fmt: str, **kwargs: Any) -> Any:
        try:
            return func(*args, project=project.resolve(), fmt=fmt, **kwargs)
        except SpecError as exc:
            _fail(fmt, EXIT_USER, "the specs have errors", problems=exc.problems)
        except (ApplyError, ConnectionFailed, LockTimeout) as exc:
            _fail(fmt, EXIT_RUNTIME, str(exc))
        except (PlanError, PlannerError) as exc:
            _fail(fmt, EXIT_USER, str(exc), exc.hint)
        except DbbasicError as exc:
            _fail(fmt, EXIT_USER, str(exc))
        except Exception as exc:
            if not _is_database_error(exc):
                raise
            _fail(fmt, EXIT_RUNTIME, f"database error: {redact(' '.join(str(exc).split()))}")

    return wrapper


def _is_database_error(exc: Exception) -> bool:
    """A driver or file-system error outside a step (opening, locking, the history table)."""
    return isinstance(exc, (sqlite3.Error, OSError)) or type(exc).__module__.startswith("psycopg")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dbbasic")
def main() -> None:
    """dbbasic: database intent in YAML, compiled into reviewed plans, applied safely.

    \b
    A 5-minute tour, in a project with specs/:
      dbbasic validate
      dbbasic plan
      dbbasic diff
      dbbasic approve --all --by you
      dbbasic apply --target dev
      dbbasic status --target dev
    """


@main.command()
@command
def validate(project: Path, fmt: str) -> None:
    """Check every spec under specs/; print each problem with file:line:col.

    \b
    Example:
      dbbasic validate --project examples/todo
    """
    result = api.validate(project)
    if not result.ok:
        _fail(fmt, EXIT_USER, "the specs have errors", problems=result.problems)
    if fmt == "json":
        click.echo(canonical({"ok": True, "problems": [p.to_json() for p in result.problems]}), nl=False)
        return
    for problem in result.problems:
        click.echo(problem.render(), err=True)
    assert result.specs is not None
    specs = result.specs
    click.echo(f"ok: {len(specs.data.tables)} tables, {len(specs.migrations)} migrations, "
               f"{len(specs.imports)} imports{', scaling' if specs.scaling else ''}; "
               f"plans compile for {', '.join(specs.project.dialects)}")


@main.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when generated/ is not what the specs compile to.")
@click.option("--replan", is_flag=True,
              help="Ask the LLM planner again for every free-text migration and import rule, even when its cached "
                   "answer fits (needs a model).")
@command
def plan(project: Path, fmt: str, check: bool, replan: bool) -> None:
    """Compile specs/ into generated/<plan-id>/<dialect>/ (plan.json, plan.md, up.sql, down.sql).

    Free-text (`specification:`) migrations use the LLM planner's answer cached in
    generated/<plan-id>/planner.json; without one, the configured model is asked (docs/planner.md).
    `--check` never asks.

    \b
    Examples:
      dbbasic plan
      dbbasic plan --check     # in CI: fail on stale or hand-edited plans
      dbbasic plan --replan    # ask the model again
    """
    if check and replan:
        raise click.UsageError("--check never asks the model; use --replan without --check")
    result = api.plan(project, check=check, replan=replan)
    errors = [p for p in result.problems if p.level == "error"]
    if fmt == "json":
        click.echo(canonical({
            "ok": not errors and not result.stale,
            "plans": [{"id": p.id, "dialect": p.dialect, "hash": p.hash(), "steps": len(p.steps)}
                      for p in result.plans],
            "changes": [asdict(c) for c in result.changes],
            "stale": [asdict(s) for s in result.stale],
            "problems": [p.to_json() for p in result.problems],
        }), nl=False)
    else:
        for problem in result.problems:
            click.echo(problem.render(), err=True)
        for stale in result.stale:
            click.echo(f"stale: {stale.plan_id} ({stale.dialect}): {stale.reason}", err=True)
        for change in result.changes:
            click.echo(f"{change.action}: {change.path}")
        if check and not result.stale:
            click.echo(f"ok: generated/ is up to date ({len(result.plans)} plans)")
        elif not check:
            click.echo(f"{len(result.plans)} plans compiled, {len(result.changes)} files changed")
        if result.stale:
            click.echo("hint: run `dbbasic plan`, review the diff, commit it", err=True)
    if errors or result.stale:
        sys.exit(EXIT_USER)


@main.command()
@click.argument("plan_ids", nargs=-1)
@click.option("--from-db", "from_db", metavar="TARGET",
              help="Compare the data model with what the live database TARGET (a target name or URL) has.")
@functools.partial(command, formats=("text", "json", "markdown"))
def diff(project: Path, fmt: str, plan_ids: tuple[str, ...], from_db: str | None) -> None:
    """Show, step by step, what changed in each plan since it was approved.

    With --from-db TARGET, compare the data model with the tables, keys and indexes the live database
    has instead, and print the plan that would bring it there (as plan.md; plan.json with --format
    json). That plan depends on the database, so it is a report: nothing is written to generated/ and
    it cannot be approved or applied. Exit 0 when the database matches the data model, 1 when it
    differs (a drift check for CI), 2 on errors in the specs or the target, 3 when the database fails.

    \b
    Examples:
      dbbasic diff
      dbbasic diff schema --format markdown > comment.md
      dbbasic diff --from-db prod
    """
    if from_db is not None:
        if plan_ids:
            raise click.UsageError("--from-db compares the data model with a database; do not name plans with it")
        _diff_from_db(project, fmt, from_db)
        return
    diffs = api.diff(project, plan_ids)
    if fmt == "json":
        click.echo(canonical([{"plan": d.plan.id, "dialect": d.plan.dialect, "approved": d.approved,
                               "hash": d.plan.hash(), "changes": [asdict(c) for c in d.changes]}
                              for d in diffs]), nl=False)
        return
    pending = [d for d in diffs if not d.approved]
    if fmt == "markdown":
        lines = ["## dbbasic plans awaiting approval", ""] if pending else ["## dbbasic: every plan is approved"]
        for d in pending:
            lines += [f"### `{d.plan.id}` ({d.plan.dialect})", "", f"{d.plan.task} - hash `{d.plan.hash()}`", ""]
            for change in d.changes:
                lines += [f"- step `{change.step_id}` {change.change}", "", "```diff", change.diff.rstrip(), "```", ""]
        click.echo("\n".join(lines))
        return
    for d in diffs:
        if d.approved:
            click.echo(f"{d.plan.id} ({d.plan.dialect}): approved, unchanged")
            continue
        click.echo(f"{d.plan.id} ({d.plan.dialect}): not approved as it is now ({d.plan.hash()})")
        for change in d.changes:
            click.echo(f"  step {change.step_id}: {change.change}")
            click.echo("".join(f"    {line}\n" for line in change.diff.rstrip().splitlines()), nl=False)


def _diff_from_db(project: Path, fmt: str, target: str) -> None:
    try:
        result = api.diff_from_db(project, target)
    except SpecError as exc:
        _fail(fmt, EXIT_TROUBLE, "the specs have errors", problems=exc.problems)
    except TargetError as exc:
        _fail(fmt, EXIT_TROUBLE, str(exc))
    if fmt == "json":
        click.echo(canonical({"ok": result.matches, "target": result.target, "dialect": result.dialect,
                              "problems": [p.to_json() for p in result.problems], "plan": result.plan.to_json()}),
                   nl=False)
    else:
        for problem in result.problems:
            click.echo(problem.render(), err=True)
        if result.plan.steps:
            click.echo(render_markdown(result.plan), nl=False)
        elif result.matches:
            click.echo(f"{result.target} ({result.dialect}) matches the data model")
        else:
            click.echo(f"{result.target} ({result.dialect}) has what the data model lacks or cannot say (above); "
                       "no step of the data model would change it")
    if not result.matches:
        sys.exit(EXIT_DIFFERS)


@main.command()
@click.argument("plan_ids", nargs=-1)
@click.option("--all", "approve_all", is_flag=True, help="Approve every plan.")
@click.option("--by", required=True, help="Who approves (a name or handle), recorded in approval.json.")
@command
def approve(project: Path, fmt: str, plan_ids: tuple[str, ...], approve_all: bool, by: str) -> None:
    """Approve plans as they are now: writes generated/<plan-id>/approval.json with their hashes.

    \b
    Examples:
      dbbasic approve schema --by ana
      dbbasic approve --all --by ana
    """
    if not plan_ids and not approve_all:
        raise click.UsageError("name the plans to approve, or pass --all")
    if plan_ids and approve_all:
        raise click.UsageError("--all approves every plan; do not name plans with it")
    approvals = api.approve(project, plan_ids, by)
    if fmt == "json":
        click.echo(canonical([a.to_json() for a in approvals]), nl=False)
        return
    for approval in approvals:
        hashes = ", ".join(f"{d} {v['hash']}" for d, v in sorted(approval.dialects.items()))
        click.echo(f"approved {approval.plan_id} by {approval.by}: {hashes}")


def runner_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of commands that run steps on a database."""
    options = [
        click.option("--target", required=True, help="A target name from the project spec, or a URL."),
        click.option("--dry-run", is_flag=True, help="Print what would run; change nothing."),
        click.option("--no-approval", is_flag=True, help="Run plans that are not approved (local work only)."),
        click.option("--lock-wait", type=float, default=60.0, show_default=True,
                     help="Seconds to wait for another runner to finish."),
        click.option("--lock-timeout", type=float, default=5.0, show_default=True,
                     help="PostgreSQL: seconds a step waits for a table lock before it backs off and retries."),
        click.option("--statement-timeout", type=float, default=300.0, show_default=True,
                     help="PostgreSQL: seconds a statement of a step may run."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _preview_json(preview: ImportPreview) -> dict[str, Any]:
    return {**asdict(preview), "counts": preview.counts.to_json()}


def _preview_text(preview: ImportPreview) -> str:
    """A dry run's view of an import: the sampled records, then a table of each rule's outcomes."""
    rejected = ", ".join(f"{n} by {rule}" for rule, n in sorted(preview.rejected.items()))
    out = [f"\n{preview.plan_id}: {preview.records} records in {preview.source}; {preview.would_load} would load"
           + (f", {sum(preview.rejected.values())} rejected ({rejected})" if rejected else "")]
    for sample in preview.samples:
        if "rejected" in sample:
            out.append(f"  line {sample['line']}: rejected by {sample['rejected'][0]}: {sample['rejected'][1]}")
            continue
        changes = [f"{name}: {source!r} -> {value!r}" if source != value else f"{name}: {value!r}"
                   for name, source, value in sample["changes"]]
        out.append(f"  line {sample['line']}: " + "; ".join(changes))
    counts = preview.counts
    names = list(dict.fromkeys([*counts.changed, *counts.unchanged, *counts.rejected, *counts.noted]))
    if names:
        width = max(len(n) for n in names)
        out.append(f"  {'rule':<{width}}  changed  unchanged  rejected  noted")
        out += [f"  {n:<{width}}  {counts.changed[n]:>7}  {counts.unchanged[n]:>9}  {counts.rejected[n]:>8}  "
                f"{counts.noted[n]:>5}" for n in names]
    out.append("  (duplicates of rows already in the table are found when the import runs)")
    return "\n".join(out)


def _timeouts(lock_timeout: float, statement_timeout: float) -> Timeouts:
    return Timeouts(lock_ms=int(lock_timeout * 1000), statement_ms=int(statement_timeout * 1000))


def _run_with_listener(fmt: str, run: Callable[[Any], Any]) -> Any:
    listener = console.listener(fmt)
    if isinstance(listener, console.Bars):
        with listener:
            return run(listener)
    return run(listener)


@main.command()
@click.argument("plan_ids", nargs=-1)
@runner_options
@click.option("--confirm", multiple=True, metavar="PLAN:STEP", help="Mark a manual step as done.")
@click.option("--force", is_flag=True, help="Apply even when the tables differ from what a plan expects.")
@click.option("--preview-rows", type=click.IntRange(0), default=5, show_default=True,
              help="With --dry-run: how many records of each pending import to show beside what they become.")
@command
def apply(project: Path, fmt: str, plan_ids: tuple[str, ...], target: str, dry_run: bool, no_approval: bool,
          lock_wait: float, lock_timeout: float, statement_timeout: float, confirm: tuple[str, ...],
          force: bool, preview_rows: int) -> None:
    """Apply pending approved plans to a target, in order, each step in a transaction.

    Before a plan runs, the tables it touches are compared with the schema it was made for; a
    difference (a hand edit, a plan applied elsewhere) refuses the plan, unless --force.

    With --format json, prints one JSON object per event (plan and step started and finished, a batch
    every 2 s), then a summary object.

    With --dry-run, each pending import also reads its whole file: the first records beside what they
    become, and per rule how many records it changed, left unchanged, rejected and noted.

    \b
    Examples:
      dbbasic apply --target dev
      dbbasic apply --target prod --dry-run
      DATABASE_URL=postgresql://app@db/app dbbasic apply --target prod --format json
    """
    result = _run_with_listener(fmt, lambda emit: api.apply(
        project, target, plan_ids, dry_run=dry_run, require_approval=not no_approval, lock_wait=lock_wait,
        confirm=confirm, timeouts=_timeouts(lock_timeout, statement_timeout), emit=emit, force=force,
        preview_rows=preview_rows))
    if fmt == "json":
        click.echo(json.dumps({"event": "done", "ok": True, "target": result.target, "dialect": result.dialect,
                               "steps": [asdict(s) for s in result.steps],
                               "previews": [_preview_json(p) for p in result.previews]}, sort_keys=True))
        return
    for preview in result.previews:
        click.echo(_preview_text(preview))
    ran = [s for s in result.steps if s.status in ("applied", "would run")]
    verb = "would run" if dry_run else "applied"
    click.echo(f"{verb} {len(ran)} steps on {result.target}" if ran else f"{result.target} is up to date")


@main.command()
@click.argument("plan_id")
@runner_options
@command
def rollback(project: Path, fmt: str, plan_id: str, target: str, dry_run: bool, no_approval: bool,
             lock_wait: float, lock_timeout: float, statement_timeout: float) -> None:
    """Undo a plan on a target: the `down` of each applied step, last step first.

    Refuses, before running anything, when an applied step has no `down`, and names it. An
    interrupted rollback goes on where it stopped when run again.

    \b
    Examples:
      dbbasic rollback migrations/recount --target dev --dry-run
      dbbasic rollback migrations/recount --target dev
    """
    result = _run_with_listener(fmt, lambda emit: api.rollback(
        project, plan_id, target, dry_run=dry_run, require_approval=not no_approval, lock_wait=lock_wait,
        timeouts=_timeouts(lock_timeout, statement_timeout), emit=emit))
    if fmt == "json":
        click.echo(json.dumps({"event": "done", "ok": True, "target": result.target, "plan": result.plan_id,
                               "steps": [asdict(s) for s in result.steps]}, sort_keys=True))
        return
    done = [s for s in result.steps if s.status in ("rolled back", "would undo")]
    verb = "would undo" if dry_run else "rolled back"
    click.echo(f"{verb} {len(done)} steps of {result.plan_id} on {result.target}" if done
               else f"nothing of {result.plan_id} is applied on {result.target}")


@main.command()
@click.option("--target", required=True, help="A target name from the project spec, or a URL.")
@command
def status(project: Path, fmt: str, target: str) -> None:
    """List applied, pending, waiting, partial, failed and drifted plans on a target.

    For a plan that stopped part-way: the step it stopped in and that step's checkpoint. For a synced move
    (`cutover: {mode: sync}`) until its cutover: the lag, changes of the source not replayed here yet.

    \b
    Example:
      dbbasic status --target dev
    """
    display, plans = api.status(project, target)
    if fmt == "json":
        click.echo(canonical({"target": display, "plans": [asdict(p) for p in plans]}), nl=False)
        return
    click.echo(f"target {display}")
    for p in plans:
        line = f"  {p.state:<8} {p.plan_id}  ({p.steps_applied}/{p.steps} steps)"
        if p.at_step:
            line += f"  at {p.at_step}" + (f", checkpoint {p.checkpoint} ({p.rows:,} rows)" if p.checkpoint else "")
        line += f"  lag {p.lag:,} changes of the source not replayed yet" if p.lag is not None else ""
        line += f"  {p.waits}" if p.waits else ""
        click.echo(line + (f"  {p.error}" if p.error else ""))
    if not any(p.state not in ("applied", "waiting") for p in plans):
        click.echo("nothing pending" + (" (the scaling tiers above wait for the target to grow)"
                                        if any(p.state == "waiting" for p in plans) else ""))


@main.group()
def scale() -> None:
    """The scaling tiers: where a target is, and where it is going."""


@scale.command("status")
@click.option("--target", required=True, help="A target name from the project spec, or a URL.")
@command
def scale_status(project: Path, fmt: str, target: str) -> None:
    """Sample the scaling metric on a target and show its tier, its growth and the next tier.

    Each run stores a sample in the target's dbbasic_metrics table (run it from cron for a growth rate);
    the tier plans apply with `dbbasic apply` once the metric reaches them.

    \b
    Example:
      dbbasic scale status --target prod
    """
    found = api.scale_status(project, target)
    if fmt == "json":
        click.echo(canonical({**asdict(found), "reaches": found.reaches.isoformat() if found.reaches else None}),
                   nl=False)
        return
    click.echo(f"target {found.target}: {found.metric} {found.value:,g}, tier {found.tier} ({found.range})")
    if found.per_day is None:
        click.echo(f"  growth: one sample so far ({found.samples}); run again later for a rate")
    else:
        click.echo(f"  growth: {found.per_day:+,.1f} {found.metric}/day over {found.samples} samples")
    if found.next_tier is not None:
        when = (f"around {found.reaches:%Y-%m-%d}" if found.reaches else "not at this rate")
        click.echo(f"  next: tier {found.next_tier} at {found.threshold:,g}: {when}")
    for plan_id, state in found.plans:
        click.echo(f"  {state:<8} {plan_id}")


@main.command()
@click.option("--target", required=True, help="A target name from the project spec, or a URL.")
@click.option("--drop", is_flag=True, help="Drop partitions past retention instead of only detaching them.")
@command
def maintain(project: Path, fmt: str, target: str, drop: bool) -> None:
    """Partition upkeep, meant for cron: make future partitions, archive rows, detach old partitions.

    For each `partitioning:` table with an `archive:` set: the archive's partitions from this period to
    `premake` ahead, the rows matching `move:` moved into it (one statement: a row is in exactly one of the
    two), and partitions past `retention` detached (their rows kept, for a person to dump) or, with --drop,
    dropped.

    \b
    Example:
      dbbasic maintain --target prod
    """
    done = api.maintain(project, target, drop=drop)
    if fmt == "json":
        click.echo(canonical({"target": target, "done": [asdict(d) for d in done]}), nl=False)
        return
    for item in done:
        rows = f" ({item.rows:,} rows)" if item.task == "move" else ""
        click.echo(f"{item.task}: {item.table}: {item.statement if item.task != 'move' else 'rows archived'}{rows}")
    if not done:
        click.echo("nothing to do")


@main.group()
def schema() -> None:
    """The JSON Schemas of the spec language."""


@schema.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def schema_export(directory: Path) -> None:
    """Write the JSON Schemas for editor completion.

    \b
    Example:
      dbbasic schema export schemas/
    then start a spec with:
      # yaml-language-server: $schema=../schemas/spec.json
    """
    from dbbasic.specs.schema import export_schemas

    for path in export_schemas(directory):
        click.echo(f"written: {path}")


if __name__ == "__main__":
    main()
