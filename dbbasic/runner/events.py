"""What the runner says while it works: one event per thing that happened, for people and machines.

The runner only emits; the CLI decides how an event looks (a progress bar on a terminal, a JSON line in
CI). Batch events come after every batch; whoever listens throttles them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EventKind = Literal["plan_started", "step_started", "batch", "step_finished", "step_skipped", "step_waiting",
                    "plan_finished", "lock_wait", "warning"]


@dataclass(frozen=True)
class Event:
    event: EventKind
    plan_id: str
    step_id: str | None = None
    kind: str | None = None
    """The step's kind (ddl, batched, ...)."""
    rows: int = 0
    """Rows touched so far (batch) or in all (step_finished)."""
    expected: int | None = None
    """Rows the step walked or read, to compare with `rows`; for a batch event, the rows in all when known."""
    elapsed: float = 0.0
    checkpoint: Any = None
    status: str | None = None
    statements: tuple[str, ...] = field(default=())
    message: str = ""

    @property
    def rate(self) -> float | None:
        return self.rows / self.elapsed if self.elapsed > 0 else None

    def to_json(self) -> dict[str, Any]:
        body = {k: v for k, v in asdict(self).items() if v not in (None, (), "")}
        if self.rate is not None and self.event in ("batch", "step_finished"):
            body["rows_per_s"] = round(self.rate, 1)
        body["elapsed"] = round(self.elapsed, 3)
        return body


Emit = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The listener that listens to nothing."""
