"""A `scaling:` spec as ordered tiers: which config runs for which range of the metric.

    tiers = read_tiers(specs.scaling.options)
    tiers.tier_for(4_210).name   # "growing"

The short form (`{type: single_server, users: < 1000}`) is one tier named after its type, with the config
its type means; the full form's `automatic_tiers:` are ordered by their ranges (the validator has checked
that they cover every value once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dbbasic.specs.ranges import Range, parse_range

SHORT_FORM: dict[str, dict[str, Any]] = {
    "single_server": {"servers": 1},
    "auto_scale": {"servers": "auto_scale(2-5)"},
    "distributed": {"deployment": "multi_region", "database": "sharded"},
}
"""What each short-form `type:` means as a tier's config."""

ADDS = {"read_replicas": "read_replicas(2)"}
"""Short-form `add:` values and the `database:` layout each means."""


@dataclass(frozen=True)
class Tier:
    name: str
    range: Range
    config: dict[str, Any]

    @property
    def servers(self) -> int | str:
        return self.config.get("servers", 1)  # type: ignore[no-any-return]

    @property
    def database(self) -> str:
        return str(self.config.get("database", "single"))


@dataclass(frozen=True)
class Tiers:
    metric: str
    """The metric's name (`users`): a table's row count unless `metric_sql` says otherwise."""
    metric_sql: str | None
    tiers: tuple[Tier, ...]
    """From the lowest range to the highest."""
    machine: dict[str, Any]

    def tier_for(self, value: float) -> Tier:
        """The tier whose range holds `value` (boundaries belong to the upper tier)."""
        return next((t for t in self.tiers if value in t.range), self.tiers[-1] if value >= 0 else self.tiers[0])

    def named(self, name: str) -> Tier:
        found = next((t for t in self.tiers if t.name == name), None)
        if found is None:
            raise KeyError(f"no tier named '{name}' (tiers: {', '.join(t.name for t in self.tiers)})")
        return found

    def before(self, tier: Tier) -> Tier | None:
        """The tier below `tier`, if any."""
        index = self.tiers.index(tier)
        return self.tiers[index - 1] if index else None


def read_tiers(options: dict[str, Any]) -> Tiers:
    """The tiers of a validated `scaling:` spec."""
    metric = options.get("metric", {})
    if "automatic_tiers" in options:
        tiers = []
        for name, tier in options["automatic_tiers"].items():
            key = next(k for k in tier if k != "config")
            tiers.append((key, Tier(name, _range(tier[key]), dict(tier["config"]))))
        name = metric.get("name") or tiers[0][0]
        ordered = tuple(sorted((t for _, t in tiers), key=lambda t: t.range.low))
    else:
        config = dict(SHORT_FORM.get(options.get("type", "single_server"), {}))
        adds = options.get("add", [])
        for added in [adds] if isinstance(adds, str) else adds:
            if added in ADDS:
                config["database"] = ADDS[added]
            else:
                config[added] = True  # not a database action: the tier's checklist says it
        if options.get("regions"):
            config["regions"] = list(options["regions"])
        name = metric.get("name") or "users"
        ordered = (Tier(options.get("type", "single_server"), _range(options.get("users", ">= 0")), config),)
    return Tiers(name, metric.get("sql"), ordered, dict(options.get("machine", {})))


def _range(text: Any) -> Range:
    found = parse_range(text)
    return found if found is not None else Range(0.0, math.inf, str(text))
