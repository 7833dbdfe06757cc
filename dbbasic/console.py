"""How the runner's events look: progress bars on a terminal, plain lines in a log, JSON lines for CI.

The runner emits events (runner/events.py); the CLI picks one of these listeners. Batch events come
after every batch, so the listeners for logs throttle them.
"""

from __future__ import annotations

import json
import sys
import time
from types import TracebackType
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from dbbasic.runner.events import Event

BATCH_EVERY_S = 2.0


class JsonLines:
    """One JSON object per event on stdout; batch events at most every BATCH_EVERY_S per step."""

    def __init__(self, every: float = BATCH_EVERY_S):
        self.every = every
        self.last: dict[tuple[str, str | None], float] = {}

    def __call__(self, event: Event) -> None:
        if event.event == "batch":
            key, now = (event.plan_id, event.step_id), time.monotonic()
            if now - self.last.get(key, 0.0) < self.every:
                return
            self.last[key] = now
        click.echo(json.dumps(event.to_json(), sort_keys=True, default=str))


class Lines:
    """A line per step for logs and pipes; batch progress at most every 10 s."""

    def __init__(self, every: float = 10.0):
        self.every = every
        self.last: dict[tuple[str, str | None], float] = {}

    def __call__(self, event: Event) -> None:
        if event.event == "batch":
            key, now = (event.plan_id, event.step_id), time.monotonic()
            if now - self.last.get(key, 0.0) >= self.every:
                self.last[key] = now
                click.echo(f"  {event.plan_id} {event.step_id}: {_rows(event)}")
        elif event.event in ("step_finished", "step_skipped") and event.status:
            click.echo(f"{event.status}: {event.plan_id} {event.step_id}{_summary(event)}")
            for statement in event.statements:
                click.echo(f"    {statement};")
        elif event.event == "step_waiting" and event.message:
            click.echo(f"waiting: {event.plan_id} {event.step_id}: {event.message}")
        elif event.event == "warning":
            click.echo(f"warning: {event.plan_id}: {event.message}", err=True)


class Bars:
    """On a terminal: a progress bar per batched or copy step, with rows, rows/s and time left."""

    def __init__(self) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rows]}"),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                                 console=Console(stderr=False), transient=True)
        self.tasks: dict[tuple[str, str | None], TaskID] = {}

    def __enter__(self) -> Bars:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.progress.stop()

    def __call__(self, event: Event) -> None:
        key = (event.plan_id, event.step_id)
        if event.event == "batch":
            if key not in self.tasks:
                self.tasks[key] = self.progress.add_task(f"{event.plan_id} {event.step_id}", total=None,
                                                         rows="", rate="")
            rate = f"{event.rate:,.0f} rows/s" if event.rate else ""
            self.progress.update(self.tasks[key], completed=event.rows, total=event.expected or None,
                                 rows=f"{event.rows:,}/{event.expected:,}" if event.expected else f"{event.rows:,}",
                                 rate=rate)
        elif event.event in ("step_finished", "step_skipped") and event.status:
            if key in self.tasks:
                self.progress.remove_task(self.tasks.pop(key))
            self.progress.console.print(f"{event.status}: {event.plan_id} {event.step_id}{_summary(event)}",
                                        markup=False, highlight=False)
            for statement in event.statements:
                self.progress.console.print(f"    {statement};", markup=False, highlight=False)
        elif event.event == "step_waiting" and event.message:
            self.progress.console.print(f"waiting: {event.plan_id} {event.step_id}: {event.message}", markup=False,
                                        highlight=False)
        elif event.event == "warning":
            self.progress.console.print(f"warning: {event.plan_id}: {event.message}", markup=False,
                                        highlight=False, style="yellow")


def _rows(event: Event) -> str:
    done = f"{event.rows:,} rows" + (f" of {event.expected:,}" if event.expected else "")
    return done + (f", {event.rate:,.0f} rows/s" if event.rate else "")


def _summary(event: Event) -> str:
    counted = ("batched", "copy", "transform", "import", "ddl")
    if event.event != "step_finished" or event.status != "applied" or event.kind not in counted:
        return ""
    if event.kind == "ddl":
        return f" ({event.rows} rows)" if event.rows else ""
    verb = "read" if event.kind in ("copy", "import") else "walked"
    return f" ({event.rows:,} rows, {event.expected or 0:,} {verb}, {event.elapsed:.1f}s)"


def listener(fmt: str) -> Any:
    """The listener for an output format: JSON lines, bars on a terminal, or plain lines."""
    if fmt == "json":
        return JsonLines()
    return Bars() if sys.stdout.isatty() else Lines()
