"""The planner's client over real HTTP on loopback (openai_server.py) and replayed from cassettes."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Any

import pytest
from cassettes import CASSETTES, FIXTURE_BASE_URL, FIXTURE_KEY, SUFFIX, cassette_path, fixture_config, replay
from openai_server import Answer, Delay, Drop, HttpError, OpenAIServer, openai_server_fixture  # noqa: F401
from record_cassettes import ANSWERS, HEADER, QUESTIONS, SCHEMA, messages
from vcr.errors import CannotOverwriteExistingCassetteException

from dbbasic.errors import PlannerError
from dbbasic.planner.client import NO_KEY, PROFILES, Client, LlmConfig, Profile, resolve_config
from dbbasic.specs.model import LlmSettings

KEY = "sk-live-0123456789-secret"
STEPS = '{"steps": [{"sql": "ALTER TABLE users ADD COLUMN initials text"}]}'


def client(server: OpenAIServer, profile: str | Profile = "openai", *, key: str | None = KEY,
           base_url: str | None = None, sleeps: list[float] | None = None, timeout: float = 5.0) -> Client:
    """A client of the fixture server whose retries do not wait (the delays asked for go to `sleeps`)."""
    config = LlmConfig(model="gpt-test", base_url=base_url or server.base_url, api_key=key,
                       profile=PROFILES[profile] if isinstance(profile, str) else profile, timeout=timeout)
    return Client(config, sleep=(sleeps if sleeps is not None else []).append)


def ask(planner: Client) -> Any:
    return planner.complete(messages("Add initials to users."), SCHEMA, "dbbasic_plan_steps")


# --- what goes over the wire -------------------------------------------------------------------------------

JSON_SCHEMA = {"type": "json_schema", "json_schema": {"name": "dbbasic_plan_steps", "schema": SCHEMA, "strict": False}}
JSON_MODE = {"type": "json_object"}


@pytest.mark.parametrize(("profile", "response_format", "sampling"), [
    ("openai", JSON_SCHEMA, {"temperature": 0.0, "seed": 0}),
    ("openai-reasoning", JSON_SCHEMA, {}),
    ("ollama", JSON_SCHEMA, {"temperature": 0.0, "seed": 0}),
    ("vllm", JSON_SCHEMA, {"temperature": 0.0, "seed": 0}),
    ("llama-cpp", JSON_SCHEMA, {"temperature": 0.0, "seed": 0}),
    ("compatible", JSON_MODE, {"temperature": 0.0, "seed": 0}),
])
def test_each_profile_sends_its_response_format_temperature_and_seed(
        openai_server: OpenAIServer, profile: str, response_format: dict[str, Any], sampling: dict[str, Any]) -> None:
    openai_server.script(Answer(STEPS, model="gpt-test-2026-01-01"))

    completion = ask(client(openai_server, profile))

    assert (completion.text, completion.model, completion.finish_reason) == (STEPS, "gpt-test-2026-01-01", "stop")
    assert completion.structured is (response_format == JSON_SCHEMA)
    [request] = openai_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body == {"model": "gpt-test", "messages": messages("Add initials to users."),
                            "response_format": response_format, **sampling}


def test_a_local_server_without_a_key_gets_a_placeholder(openai_server: OpenAIServer) -> None:
    openai_server.script(Answer(STEPS))

    ask(client(openai_server, "ollama", key=None))

    assert openai_server.requests[0].headers["authorization"] == f"Bearer {NO_KEY}"


def test_openai_without_a_key_is_an_error_before_any_request() -> None:
    with pytest.raises(PlannerError, match=r"\$PLANNER_KEY is not set") as caught:
        Client(LlmConfig(model="gpt-4o", base_url=None, api_key=None, api_key_env="PLANNER_KEY"))
    assert "PLANNER_KEY" in caught.value.hint


def test_without_the_openai_package_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # `import openai` now raises ImportError
    with pytest.raises(PlannerError) as caught:
        Client(LlmConfig(model="gpt-4o", base_url=None, api_key=KEY))
    assert caught.value.hint == "pip install 'dbbasic[llm]'"


def test_importing_the_client_does_not_import_openai() -> None:
    code = "import sys, dbbasic.planner.client; assert 'openai' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- structured output refused: JSON mode -----------------------------------------------------------------

def test_a_server_refusing_json_schema_is_asked_again_in_json_mode_and_stays_there(
        openai_server: OpenAIServer) -> None:
    openai_server.refuse_json_schema = True
    openai_server.script(Answer(STEPS), Answer(STEPS))
    planner = client(openai_server, "llama-cpp")

    first, second = ask(planner), ask(planner)

    assert (first.structured, second.structured) == (False, False)
    assert [r.body["response_format"]["type"] for r in openai_server.requests] == \
        ["json_schema", "json_object", "json_object"]


def test_a_server_refusing_json_mode_too_is_an_error(openai_server: OpenAIServer) -> None:
    openai_server.refuse_json_schema = True
    openai_server.script(HttpError(400, "'response_format.type' must be 'text'", param="response_format"))

    with pytest.raises(PlannerError, match="400") as caught:
        ask(client(openai_server, "ollama"))
    assert "refused both json_schema and JSON mode" in caught.value.hint
    assert len(openai_server.requests) == 2


# --- transport errors: retried, bounded ---------------------------------------------------------------------

def test_timeouts_and_dropped_connections_are_retried(openai_server: OpenAIServer) -> None:
    openai_server.script(Delay(), Drop(), Answer(STEPS))
    sleeps: list[float] = []

    completion = ask(client(openai_server, sleeps=sleeps, timeout=0.15))

    assert completion.text == STEPS
    assert len(openai_server.requests) == 3
    assert sleeps == [1.0, 4.0]


@pytest.mark.parametrize(("replies", "expected"), [
    ((Drop(),) * 3, r"cannot reach http://127\.0\.0\.1:\d+/v1 \(3 attempts\)"),
    ((Delay(),) * 3, r"no answer from http://127\.0\.0\.1:\d+/v1 within 0\.15 s \(3 attempts\)"),
])
def test_transport_errors_end_in_a_planner_error_after_two_retries(
        openai_server: OpenAIServer, replies: tuple[Delay | Drop, ...], expected: str) -> None:
    openai_server.script(*replies, Answer(STEPS))
    sleeps: list[float] = []

    with pytest.raises(PlannerError, match=expected):
        ask(client(openai_server, sleeps=sleeps, timeout=0.15))
    assert len(openai_server.requests) == 3
    assert sleeps == [1.0, 4.0]


def test_a_server_that_is_not_there(openai_server: OpenAIServer) -> None:
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]

    with pytest.raises(PlannerError, match=rf"cannot reach http://127\.0\.0\.1:{port}/v1 \(3 attempts\)") as caught:
        ask(client(openai_server, base_url=f"http://127.0.0.1:{port}/v1"))
    assert "OPENAI_BASE_URL" in caught.value.hint


# --- HTTP errors: at once, explained -----------------------------------------------------------------------

@pytest.mark.parametrize(("reply", "hint"), [
    (HttpError(401, "Incorrect API key provided", type="invalid_request_error", code="invalid_api_key"),
     "check the API key in $OPENAI_API_KEY"),
    (HttpError(403, "Project does not have access to model gpt-test"), "may not use gpt-test"),
    (HttpError(404, "The model `gpt-test` does not exist or you do not have access to it.", code="model_not_found"),
     "check the model name (DBBASIC_LLM_MODEL"),
    (HttpError(429, "Rate limit reached for gpt-test", type="requests", code="rate_limit_exceeded"), "quota"),
    (HttpError(500, "The server had an error while processing your request.", type="server_error"),
     "try again later"),
    (HttpError(503, "The engine is currently overloaded", type="server_error"), "try again later"),
    (HttpError(400, "Unsupported value: 'temperature' does not support 0 with this model.", param="temperature"),
     "DBBASIC_LLM_PROFILE=openai-reasoning"),
    (HttpError(400, "Invalid value for 'messages'"), "check the model name and the profile"),
])
def test_http_errors_are_not_retried_and_say_what_to_do(openai_server: OpenAIServer, reply: HttpError,
                                                         hint: str) -> None:
    openai_server.script(reply, Answer(STEPS))
    sleeps: list[float] = []

    with pytest.raises(PlannerError) as caught:
        ask(client(openai_server, sleeps=sleeps))

    assert str(caught.value) == f"{openai_server.base_url} answered {reply.status} to a request for gpt-test: " \
                                f"{reply.message}"
    assert hint in caught.value.hint
    assert (len(openai_server.requests), sleeps) == (1, [])


def test_a_local_server_that_wants_a_key(openai_server: OpenAIServer) -> None:
    openai_server.script(HttpError(401, "Unauthorized"))
    with pytest.raises(PlannerError) as caught:
        ask(client(openai_server, "vllm", key=None))
    assert caught.value.hint == "the server wants an API key: put it in $OPENAI_API_KEY"


@pytest.mark.parametrize("answer", [Answer(None, refusal="I can't help with that."), Answer("  ")])
def test_an_answer_without_content_is_an_error(openai_server: OpenAIServer, answer: Answer) -> None:
    openai_server.script(answer)
    with pytest.raises(PlannerError, match=r"gpt-test at .* answered with no content \(finish_reason: stop\)") as e:
        ask(client(openai_server))
    assert ("I can't help with that." in str(e.value)) is (answer.refusal is not None)


# --- secrets -------------------------------------------------------------------------------------------------

def test_the_key_and_a_url_password_are_in_no_error_and_no_repr(openai_server: OpenAIServer) -> None:
    with_password = openai_server.base_url.replace("http://", "http://planner:pw-s3cret@")
    openai_server.script(HttpError(401, f"Incorrect API key provided: {KEY} for http://planner:pw-s3cret@host/v1"))
    planner = client(openai_server, base_url=with_password)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed = f"http://planner:pw-s3cret@127.0.0.1:{free.getsockname()[1]}/v1"

    with pytest.raises(PlannerError) as refused:
        ask(planner)
    with pytest.raises(PlannerError) as unreachable:
        ask(client(openai_server, base_url=closed))

    shown = [str(refused.value), refused.value.hint, repr(refused.value), str(unreachable.value),
             unreachable.value.hint, repr(planner.config), str(planner.config)]
    assert not [text for text in shown if KEY in text or "pw-s3cret" in text]
    assert "Incorrect API key provided: ***" in str(refused.value)
    assert "http://planner:***@127.0.0.1" in str(unreachable.value)
    assert refused.value.__cause__ is None  # the openai error, which holds the request and its headers, is dropped


# --- configuration ------------------------------------------------------------------------------------------

def test_the_environment_overrides_the_project_spec() -> None:
    settings = LlmSettings(model="gpt-4o", base_url="http://spec-host:11434/v1", api_key_env="PLANNER_KEY",
                           profile="ollama")
    environ = {"DBBASIC_LLM_MODEL": "qwen2.5-coder", "OPENAI_BASE_URL": "http://env-host:8000/v1",
               "DBBASIC_LLM_PROFILE": "vllm", "PLANNER_KEY": KEY, "OPENAI_API_KEY": "not this one",
               "DBBASIC_LLM_TIMEOUT": "600"}

    config = resolve_config(settings, environ)
    from_spec = resolve_config(settings, {})

    assert config == LlmConfig(model="qwen2.5-coder", base_url="http://env-host:8000/v1", api_key=KEY,
                               api_key_env="PLANNER_KEY", profile=PROFILES["vllm"], timeout=600.0)
    assert from_spec == LlmConfig(model="gpt-4o", base_url="http://spec-host:11434/v1", api_key=None,
                                  api_key_env="PLANNER_KEY", profile=PROFILES["ollama"])
    assert KEY not in repr(config)


def test_without_a_model_there_is_no_config() -> None:
    assert resolve_config(LlmSettings(), {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://localhost:11434/v1"}) \
        is None


@pytest.mark.parametrize(("environ", "profile"), [
    ({"OPENAI_API_KEY": KEY}, "openai"),
    ({"OPENAI_BASE_URL": "http://localhost:11434/v1"}, "compatible"),
    ({"OPENAI_BASE_URL": "http://localhost:11434/v1", "DBBASIC_LLM_PROFILE": "ollama"}, "ollama"),
])
def test_the_default_profile_follows_the_base_url(environ: dict[str, str], profile: str) -> None:
    config = resolve_config(LlmSettings(model="m"), environ)
    assert config is not None and config.profile.name == profile


@pytest.mark.parametrize(("environ", "error"), [
    ({"DBBASIC_LLM_PROFILE": "lmstudio"},
     "unknown LLM profile 'lmstudio' (profiles: openai, openai-reasoning, ollama, vllm, llama-cpp, compatible)"),
    ({"DBBASIC_LLM_TIMEOUT": "soon"}, "DBBASIC_LLM_TIMEOUT='soon' is not a number of seconds above 0"),
])
def test_bad_settings_are_errors(environ: dict[str, str], error: str) -> None:
    with pytest.raises(PlannerError) as caught:
        resolve_config(LlmSettings(model="m"), environ)
    assert str(caught.value) == error


# --- cassettes ----------------------------------------------------------------------------------------------

def test_a_cassette_replays_each_answer_for_its_own_request() -> None:
    planner = Client(fixture_config(FIXTURE_BASE_URL))
    with replay("client-answers"):
        answers = [planner.complete(messages(q), SCHEMA, "dbbasic_plan_steps") for q in reversed(QUESTIONS)]
    assert [a.text for a in answers] == list(reversed(ANSWERS))
    assert {a.model for a in answers} == {"fixture-model-2026-01-01"}


def test_a_request_the_cassette_does_not_hold_fails_instead_of_replaying_another_answer() -> None:
    planner = Client(fixture_config(FIXTURE_BASE_URL))
    with replay("client-answers"), pytest.raises(CannotOverwriteExistingCassetteException):
        planner.complete(messages(QUESTIONS[0] + " Reworded."), SCHEMA, "dbbasic_plan_steps")


def test_cassettes_are_marked_as_fixtures_and_hold_no_secret() -> None:
    files = sorted(CASSETTES.glob(f"*{SUFFIX}"))
    assert cassette_path("client-answers") in files
    for path in files:
        text = path.read_text()
        assert text.startswith(HEADER), path
        assert not [word for word in ("authorization", "bearer", FIXTURE_KEY, "api-key", "cookie")
                    if word in text.lower()], path


class NotAChatServer:
    """A server on loopback that answers 200 to everything with a body that is not a chat completion."""

    def __init__(self, body: bytes) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from threading import Thread

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        Thread(target=self.http.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.http.server_address[1]}/v1"


@pytest.mark.parametrize("body", [b'{"choices": "x"}', b"[]", b'{"choices": [{"message": 3}]}'])
def test_a_200_that_is_not_a_chat_completion_is_a_clear_error(body: bytes) -> None:
    server = NotAChatServer(body)
    try:
        config = LlmConfig(model="gpt-test", base_url=server.base_url, api_key=KEY, profile=PROFILES["compatible"])
        with pytest.raises(PlannerError, match="did not answer with a chat completion"):
            Client(config).complete(messages("Add initials to users."), SCHEMA, "dbbasic_plan_steps")
    finally:
        server.http.shutdown()
