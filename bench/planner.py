"""Benchmark the LLM planner's own cost: `dbbasic plan` of the avatars project (tests/planner/avatars.py)
asking a loopback OpenAI-compatible server that answers at once, and `dbbasic plan --check` offline from the
cached answer, against the baseline of the same project without its free-text migration, in one run.

Why: the model's own latency is the model's; what dbbasic adds (prompt, guard on each dialect, dry run on a
scratch SQLite file with 200 rows per table, cache) runs on every `dbbasic plan`, and the guard again on every
`plan --check` in CI. Run: python bench/planner.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "tests" / "planner")]
from avatars import AVATARS, avatars_project  # noqa: E402
from openai_server import Answer, OpenAIServer  # noqa: E402

from dbbasic import api  # noqa: E402


def timed(root: Path, check: bool = False) -> float:
    started = time.perf_counter()
    api.plan(root, check=check)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    baseline, asking, offline = [], [], []
    for _ in range(runs):
        with OpenAIServer() as server, tempfile.TemporaryDirectory() as tmp:
            root = avatars_project(Path(tmp))
            without = Path(tmp) / "without"
            (root / "specs/migrations/avatars.yaml").rename(without)
            baseline.append(timed(root))
            without.rename(root / "specs/migrations/avatars.yaml")
            server.script(Answer(AVATARS))
            os.environ.update({"DBBASIC_LLM_MODEL": "bench", "OPENAI_BASE_URL": server.base_url,
                               "DBBASIC_LLM_PROFILE": "compatible"})
            asking.append(timed(root))
            for name in ("DBBASIC_LLM_MODEL", "OPENAI_BASE_URL", "DBBASIC_LLM_PROFILE"):
                os.environ.pop(name)
            offline.append(timed(root, check=True))
    base = statistics.median(baseline)
    for name, times in (("plan, no free-text migration (baseline)", baseline),
                        ("plan asking the model (guard x2 dialects, SQLite dry run)", asking),
                        ("plan --check from planner.json (guard re-run)", offline)):
        median = statistics.median(times)
        print(f"{name:<60} {median * 1000:8.0f} ms  {median / base:5.2f}x baseline")


if __name__ == "__main__":
    main()
