"""One exception tree for dbbasic, and the located problem record every stage reports.

The CLI maps these classes to exit codes (1 user error, 3 database/runtime failure) and nothing else does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """A located finding about a spec: where, how bad, what is wrong and what to do."""

    file: str
    line: int
    col: int
    level: Level
    code: str
    message: str
    hint: str = ""

    def render(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: {self.level}[{self.code}]: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class DbbasicError(Exception):
    """Base of every error dbbasic raises on purpose."""


class SpecError(DbbasicError):
    """One or more problems in the specs; nothing was compiled or written."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class PlanError(DbbasicError):
    """A plan cannot be used as it is: stale, edited by hand, unapproved, missing."""

    def __init__(self, message: str, plan_id: str | None = None, hint: str = ""):
        self.plan_id = plan_id
        self.hint = hint
        super().__init__(message)


class StalePlan(PlanError):
    """generated/ is not what the specs compile to."""


class UnapprovedPlan(PlanError):
    """The plan's hash is not the approved one."""


class TargetError(DbbasicError):
    """A target cannot be resolved or reached (unknown name, missing variable, bad URL)."""


class ConnectionFailed(DbbasicError):
    """The database could not be reached; the message never holds the password."""


class LockTimeout(DbbasicError):
    """Another runner holds the database lock for longer than we were told to wait."""


class ApplyError(DbbasicError):
    """A step failed while running; its transaction was rolled back."""

    def __init__(self, message: str, plan_id: str, step_id: str, sqlstate: str | None = None):
        self.plan_id = plan_id
        self.step_id = step_id
        self.sqlstate = sqlstate
        super().__init__(message)


class PlannerError(DbbasicError):
    """The LLM planner got no usable answer: the model server refused or failed, or the guard refused every
    answer. The message never holds the API key or a password of the base URL; `hint` says what to do."""

    def __init__(self, message: str, hint: str = ""):
        self.hint = hint
        super().__init__(message)
