"""What a transform makes of one value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

REJECTED = "rejected"
"""The note of a value the transform will not change (unparseable, or ambiguous where the policy says so):
it stays as it was, and is listed with the reason."""


@dataclass(frozen=True)
class Outcome:
    """The value to store, and a note when the value is worth reporting: rejected (then `value` is the
    original), or changed in a way a reviewer should count, such as a time moved out of a DST gap."""

    value: Any
    note: str | None = None
    reason: str = ""

    @property
    def rejected(self) -> bool:
        return self.note == REJECTED


Transform = Callable[[Any], Outcome]


def reject(value: Any, reason: str) -> Outcome:
    return Outcome(value, REJECTED, reason)
