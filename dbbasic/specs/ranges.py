"""Metric ranges of scaling tiers: `< 1000`, `1000-10000`, `> 100000`.

A range is a half-open interval [low, high); a boundary value belongs to the upper tier, so
`< 1000` and `1000-10000` meet exactly. Tiers must cover 0..infinity with no overlap and no gap.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

_COMPARISON = re.compile(r"^\s*(<=?|>=?)\s*(\d[\d_,]*)\s*$")
_BETWEEN = re.compile(r"^\s*(\d[\d_,]*)\s*-\s*(\d[\d_,]*)\s*$")


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    text: str

    def __contains__(self, value: float) -> bool:
        return self.low <= value < self.high


def _number(text: str) -> int:
    return int(text.replace("_", "").replace(",", ""))


def parse_range(text: str | int) -> Range | None:
    """The interval a range means, or None when the text is not a range."""
    text = str(text)
    if match := _COMPARISON.match(text):
        op, value = match.group(1), _number(match.group(2))
        bounds = {"<": (0, value), "<=": (0, value + 1), ">": (value, math.inf), ">=": (value, math.inf)}[op]
        return Range(float(bounds[0]), float(bounds[1]), text.strip())
    if match := _BETWEEN.match(text):
        low, high = _number(match.group(1)), _number(match.group(2))
        return Range(float(low), float(high), text.strip()) if low < high else None
    return None


def coverage_problems(tiers: list[tuple[str, Range]]) -> list[tuple[str, str]]:
    """(tier name, message) for each overlap or gap between tiers, and for a missing start or end."""
    ordered = sorted(tiers, key=lambda item: (item[1].low, item[1].high))
    problems = []
    if ordered and ordered[0][1].low > 0:
        problems.append((ordered[0][0], f"no tier covers values below {ordered[0][1].low:g}"))
    for (prev_name, prev), (name, cur) in itertools.pairwise(ordered):
        if cur.low < prev.high:
            problems.append((name, f"tier '{name}' ({cur.text}) overlaps tier '{prev_name}' ({prev.text})"))
        elif cur.low > prev.high:
            problems.append((name, f"gap between tier '{prev_name}' ({prev.text}) and tier '{name}' ({cur.text}): "
                                   f"values {prev.high:g} to {cur.low:g} belong to no tier"))
    if ordered and ordered[-1][1].high != math.inf:
        name, last = ordered[-1]
        problems.append((name, f"no tier covers values from {last.high:g} up"))
    return problems
