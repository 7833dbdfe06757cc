"""How runner events look: JSON lines for CI (batches throttled), plain lines for logs, bars on a terminal."""

from __future__ import annotations

import json

import pytest

from dbbasic.console import Bars, JsonLines, Lines
from dbbasic.runner.events import Event

STEP = [Event("step_started", "m", "2-batched", "batched")] + [
    Event("batch", "m", "2-batched", "batched", rows=100 * i, expected=1000, elapsed=0.1 * i, checkpoint=100 * i)
    for i in range(1, 11)] + [
    Event("step_finished", "m", "2-batched", "batched", rows=1000, expected=1000, elapsed=1.0, status="applied")]


def test_json_lines_print_every_event_but_throttle_batches(capsys: pytest.CaptureFixture[str]) -> None:
    listener = JsonLines(every=60)
    for event in STEP:
        listener(event)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["step_started", "batch", "step_finished"]
    assert lines[1] == {"event": "batch", "plan_id": "m", "step_id": "2-batched", "kind": "batched", "rows": 100,
                        "expected": 1000, "elapsed": 0.1, "checkpoint": 100, "rows_per_s": 1000.0}
    assert lines[2]["rows_per_s"] == 1000.0 and lines[2]["status"] == "applied"


def test_lines_say_what_each_step_did(capsys: pytest.CaptureFixture[str]) -> None:
    listener = Lines(every=60)
    for event in STEP:
        listener(event)
    assert capsys.readouterr().out.splitlines() == [
        "  m 2-batched: 100 rows of 1,000, 1,000 rows/s",
        "applied: m 2-batched (1,000 rows, 1,000 walked, 1.0s)"]


def test_bars_run_without_a_terminal_and_leave_the_step_lines() -> None:
    with Bars() as bars:
        for event in STEP:
            bars(event)
        assert not bars.tasks  # the finished step's bar is gone
