"""The side of an import that runs in worker processes: a pipeline per process, records in, results out.

Their functions live here, apart from the runner, so that what a worker runs needs nothing of it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from dbbasic.importers.pipeline import Loaded, Pipeline
from dbbasic.importers.source import SourceRow

_PIPELINE: Pipeline | None = None

PARENT_CHECK_S = 1.0


def start(columns: dict[str, str], types: dict[str, dict[str, Any]], rules: list[dict[str, Any]],
          runner: int) -> None:
    """The initializer of a worker process: its pipeline, and a watch on `runner`, the process that started
    it (its pid as the runner knew it: the runner may be gone before this worker has even started)."""
    global _PIPELINE
    _PIPELINE = Pipeline(columns, types, rules)
    threading.Thread(target=_exit_with, args=(runner,), name="dbbasic-runner-watch", daemon=True).start()


def _exit_with(runner: int) -> None:
    """Exit once the runner is gone (a kill -9 of `dbbasic apply`, or a runner that ended without shutting
    its pool down): a worker waiting on pipes that its orphaned siblings keep open would stay for ever."""
    while os.getppid() == runner:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def ready() -> bool:
    return _PIPELINE is not None


def run_chunk(rows: list[SourceRow]) -> list[Loaded]:
    assert _PIPELINE is not None, "start() runs first in every worker"
    return [_PIPELINE.run(row) for row in rows]
