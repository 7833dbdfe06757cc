"""The avatars task of DESIGN.md (docs/examples/avatars.yaml) in a project of its own, with the answers a model
gives to it: shared by the end-to-end tests and the recording of their cassette (avatars_recordings.py).

The project is fixed here rather than copied from the example project, so that the prompt, and so the
cassette's request bodies, change only when the planner's templates do.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

ANSWERS = Path(__file__).parent / "answers"
AVATARS = (ANSWERS / "avatars.json").read_text(encoding="utf-8")
"""What a good model answers: two columns, a batched fill, a check that no user was missed, a manual step."""
DROPS_NAMES = json.dumps({"steps": [
    {"sql": "ALTER TABLE users ADD COLUMN avatar text", "down": "ALTER TABLE users DROP COLUMN avatar"},
    {"sql": "ALTER TABLE users DROP COLUMN full_name"},
]})
"""A first answer the guard refuses: it drops a column the spec does not allow it to."""
PLAN_ID = "migrations/avatars"
MANUAL_STEP = f"{PLAN_ID}:new-users"

PROJECT = """\
project:
  name: avatars
  dialects: [postgres, sqlite]
  targets:
    dev: sqlite:///var/dev.db
"""
DATA = """\
data:
  users:
    fields:
      id: id
      email: {type: email, unique: true, required: true}
      full_name: text
      created_at: {type: timestamp, default: now, required: true}
"""


def avatars_project(root: Path) -> Path:
    """A project whose one migration is the avatars task; target `dev` is a SQLite file."""
    (root / "specs/migrations").mkdir(parents=True, exist_ok=True)
    (root / "specs/dbbasic.yaml").write_text(PROJECT, encoding="utf-8")
    (root / "specs/data.yaml").write_text(DATA, encoding="utf-8")
    shutil.copy(REPO / "docs/examples/avatars.yaml", root / "specs/migrations/avatars.yaml")
    return root
