"""The side of an import that runs in worker processes: a pipeline per process, records in, results out.

Their functions live here, apart from the runner, so that what a worker runs needs nothing of it.
"""

from __future__ import annotations

from typing import Any

from dbbasic.importers.pipeline import Loaded, Pipeline
from dbbasic.importers.source import SourceRow

_PIPELINE: Pipeline | None = None


def start(columns: dict[str, str], types: dict[str, dict[str, Any]], rules: list[dict[str, Any]]) -> None:
    """The initializer of a worker process: its pipeline."""
    global _PIPELINE
    _PIPELINE = Pipeline(columns, types, rules)


def ready() -> bool:
    return _PIPELINE is not None


def run_chunk(rows: list[SourceRow]) -> list[Loaded]:
    assert _PIPELINE is not None, "start() runs first in every worker"
    return [_PIPELINE.run(row) for row in rows]
