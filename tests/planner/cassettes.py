"""The planner's HTTP replayed from cassettes (tests/planner/cassettes/*.fixture.yaml), so that tests need
neither a model nor the network. vcrpy patches httpx2's transports, which openai 3.x sends through.

    with replay("client-answers"):
        completion = Client(fixture_config(FIXTURE_BASE_URL)).complete(messages, schema, "steps")

A request is matched on everything but its headers, body included: every call is the same POST to
/chat/completions, so without the body a changed prompt would replay another prompt's answer. A request that
matches nothing raises vcrpy's CannotOverwriteExistingCassetteException; nothing is recorded on replay.

The cassettes are recorded from the fixture server (record_cassettes.py), not from a real model: we have no
model here. Their requests go to FIXTURE_BASE_URL, a host that cannot resolve (.invalid).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

import pytest
import vcr

from dbbasic.planner.client import PROFILES, LlmConfig

CASSETTES = Path(__file__).parent / "cassettes"
SUFFIX = ".fixture.yaml"
FIXTURE_BASE_URL = "http://openai-fixture.invalid/v1"
FIXTURE_MODEL = "fixture-model"
FIXTURE_KEY = "sk-fixture-0123456789abcdef"
"""Not a key: sent while recording so that the cassettes show the Authorization header is filtered."""
SECRET_HEADERS = ("authorization", "api-key", "openai-organization", "openai-project", "cookie", "set-cookie")
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")


def cassette_path(name: str) -> Path:
    return CASSETTES / f"{name}{SUFFIX}"


def configured_vcr(**options: Any) -> vcr.VCR:
    """The vcrpy configuration shared by replay and recording; `options` adds to it (record_mode, hooks)."""
    return vcr.VCR(match_on=list(MATCH_ON), decode_compressed_response=True,
                   filter_headers=list(SECRET_HEADERS), **options)


def replay(name: str) -> AbstractContextManager[Any]:
    """The cassette `name` played back; requests it does not hold fail instead of reaching any server."""
    path = cassette_path(name)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python tests/planner/record_cassettes.py {name}`")
    return cast(AbstractContextManager[Any], configured_vcr(record_mode="none").use_cassette(str(path)))


MODEL_ENV = ("DBBASIC_LLM_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "DBBASIC_LLM_PROFILE", "DBBASIC_LLM_TIMEOUT",
             "DBBASIC_SCRATCH_URL")
"""The environment that configures the planner: cleared by tests, so that the machine's own never leaks in."""


def clear_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in MODEL_ENV:
        monkeypatch.delenv(name, raising=False)


def use_fixture_model(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    """Configure the planner, through the environment as a user would, with the cassettes' model."""
    monkeypatch.setenv("DBBASIC_LLM_MODEL", FIXTURE_MODEL)
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("OPENAI_API_KEY", FIXTURE_KEY)
    monkeypatch.setenv("DBBASIC_LLM_PROFILE", "openai")


def fixture_config(base_url: str, profile: str = "openai") -> LlmConfig:
    """The model of the cassettes: the same when recording (base_url: the fixture server's) and on replay
    (FIXTURE_BASE_URL), so that the request bodies match."""
    return LlmConfig(model=FIXTURE_MODEL, base_url=base_url, api_key=FIXTURE_KEY, profile=PROFILES[profile])
