"""Value transforms that SQL cannot express (phone numbers, time zones): plain Python functions of one
value, run by the runner over a table (a `transform` step) and by the importers over rows.

A transform module exposes `NAME`, `VERSION` (bumped whenever it would give another result for some
value: a plan records the version it was compiled with, and the runner refuses to run another),
`PARAMETERS` (name -> what it is, for messages) and `prepare(parameters) -> Transform`, which raises
`ValueError` with a message a person can act on when a parameter is wrong. `TRANSFORMS` is the only
registry. Transforms import nothing from the rest of dbbasic, so every stage may use them.

    normalize = get("phone_e164").prepare({"default_region": "US"})
    normalize("(202) 555-0143")   # Outcome(value='+12025550143')
"""

from __future__ import annotations

from types import ModuleType

from dbbasic.transforms import phone_e164, utc_timestamp
from dbbasic.transforms.outcome import REJECTED, Outcome, Transform, reject

TRANSFORMS: dict[str, ModuleType] = {m.NAME: m for m in (phone_e164, utc_timestamp)}


def get(name: str) -> ModuleType:
    """The transform module named `name`; KeyError names the ones there are."""
    try:
        return TRANSFORMS[name]
    except KeyError:
        raise KeyError(f"no transform named {name!r} (there are: {', '.join(sorted(TRANSFORMS))})") from None


__all__ = ["REJECTED", "TRANSFORMS", "Outcome", "Transform", "get", "reject"]
