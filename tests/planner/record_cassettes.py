"""Records the cassettes of tests/planner/cassettes/ from the fixture server (openai_server.py).

    python tests/planner/record_cassettes.py                    # every registered recording
    python tests/planner/record_cassettes.py client-answers     # some of them

A recording is a function of the running fixture server: it scripts the server's replies and makes the
calls, with a client whose base URL is `server.base_url` (see `fixture_config`). Register one with
`@recording("name")`, here or in any tests/planner/*_recordings.py module (main imports them all). The
loopback address is rewritten to FIXTURE_BASE_URL in the cassette, so that a test replays it with
`fixture_config(FIXTURE_BASE_URL)` whatever port the server had; only the content-type headers are kept
(the Authorization header and the platform headers of the openai package are left out), and the file begins
with a comment saying it is a fixture.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from cassettes import FIXTURE_BASE_URL, cassette_path, configured_vcr, fixture_config
from openai_server import Answer, OpenAIServer

from dbbasic.planner.client import Client

Recording = Callable[[OpenAIServer], None]
RECORDINGS: dict[str, Recording] = {}
HEADER = ("# A fixture, not a real model: the OpenAI wire format recorded from tests/planner/openai_server.py\n"
          "# by `python tests/planner/record_cassettes.py`, the loopback address rewritten to "
          f"{FIXTURE_BASE_URL}.\n")
KEPT_HEADERS = ("content-type",)


def recording(name: str) -> Callable[[Recording], Recording]:
    """Registers the decorated function as the recording of cassette `name`."""
    def register(perform: Recording) -> Recording:
        RECORDINGS[name] = perform
        return perform
    return register


def record(name: str, perform: Recording) -> Path:
    """Cassette `name` recorded anew (a stale one is deleted first: vcrpy would add to it)."""
    path = cassette_path(name)
    path.unlink(missing_ok=True)
    with OpenAIServer() as server:
        loopback = server.base_url.removesuffix("/v1")
        recorder = configured_vcr(record_mode="all", before_record_request=partial(_rewrite, loopback),
                                  before_record_response=_keep_headers)
        with recorder.use_cassette(str(path)):
            perform(server)
    path.write_text(HEADER + path.read_text())
    return path


def _rewrite(loopback: str, request: Any) -> Any:
    request.uri = request.uri.replace(loopback, FIXTURE_BASE_URL.removesuffix("/v1"), 1)
    request.headers = {k: v for k, v in request.headers.items() if k.lower() in KEPT_HEADERS}
    return request


def _keep_headers(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() in KEPT_HEADERS}
    return response


# The client's own cassette: two questions, two answers; the replay asks them in the other order.
QUESTIONS = ("Add a column initials to users.", "Fill initials from the names of existing users.")
ANSWERS = ('{"steps": [{"sql": "ALTER TABLE users ADD COLUMN initials text"}]}',
           '{"steps": [{"sql": "UPDATE users SET initials = upper(substr(name, 1, 1)) WHERE initials IS NULL"}]}')
SCHEMA = {"type": "object", "required": ["steps"], "properties": {"steps": {"type": "array"}}}


def messages(question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "Answer with one JSON object of plan steps."},
            {"role": "user", "content": question}]


@recording("client-answers")
def _client_answers(server: OpenAIServer) -> None:
    server.script(*(Answer(answer, model="fixture-model-2026-01-01") for answer in ANSWERS))
    client = Client(fixture_config(server.base_url))
    for question in QUESTIONS:
        client.complete(messages(question), SCHEMA, "dbbasic_plan_steps")


def main(names: list[str]) -> None:
    sys.modules.setdefault("record_cassettes", sys.modules[__name__])  # run as a script, this module is __main__
    for module in sorted(Path(__file__).parent.glob("*_recordings.py")):
        importlib.import_module(module.stem)
    unknown = sorted(set(names) - set(RECORDINGS))
    if unknown:
        sys.exit(f"no recording named {', '.join(unknown)} (recordings: {', '.join(RECORDINGS)})")
    for name in names or list(RECORDINGS):
        print(f"recorded {record(name, RECORDINGS[name])}")


if __name__ == "__main__":
    main(sys.argv[1:])
