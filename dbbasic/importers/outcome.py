"""What an import rule makes of one row: changed, rejected with a reason, or noted for a reviewer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class RuleOutcome:
    """The result of one rule on one row; the rule changed the row in place (field -> value)."""

    changed: bool = False
    """The rule changed a value of the row (for the per-rule table of a dry run)."""
    reject: str = ""
    """Non-empty: the row is rejected, with this reason (it goes to the rejects file)."""
    note: str = ""
    """Non-empty: something a reviewer counts, such as an ambiguous date; the row is kept."""


UNCHANGED = RuleOutcome()


class RowRule(Protocol):
    """A prepared rule: called on each row (a dict field -> value), which it may change in place."""

    def __call__(self, row: dict[str, Any]) -> RuleOutcome: ...
