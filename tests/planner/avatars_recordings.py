"""The avatars cassette: `dbbasic plan` of the avatars project against the fixture server, whose first answer
the guard refuses and whose second it accepts (record with `python tests/planner/record_cassettes.py avatars`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from avatars import AVATARS, DROPS_NAMES, avatars_project
from cassettes import FIXTURE_KEY, FIXTURE_MODEL
from openai_server import Answer, OpenAIServer
from record_cassettes import recording

from dbbasic import api


@recording("avatars")
def _avatars(server: OpenAIServer) -> None:
    server.script(Answer(DROPS_NAMES), Answer(AVATARS))
    os.environ.update({"DBBASIC_LLM_MODEL": FIXTURE_MODEL, "OPENAI_BASE_URL": server.base_url,
                       "OPENAI_API_KEY": FIXTURE_KEY, "DBBASIC_LLM_PROFILE": "openai"})
    os.environ.pop("DBBASIC_SCRATCH_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        api.plan(avatars_project(Path(tmp)))
