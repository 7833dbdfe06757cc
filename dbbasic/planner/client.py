"""The planner's HTTP client: one chat completion from OpenAI or any OpenAI-compatible server.

    config = resolve_config(specs.project.llm)     # None when no model is configured
    completion = Client(config).complete(messages, answer_schema(), "dbbasic_plan_steps")
    completion.text                                # one JSON object, for the guard to check

What it sends, through the official `openai` package (the only module of dbbasic that imports it): one
`POST {base_url}/chat/completions` with the model, the caller's messages and a `response_format`: the JSON
Schema (`json_schema`) when the profile has structured output, else JSON mode (`json_object`), in which the
schema is not sent and the prompt must carry it (OpenAI also wants the word "JSON" in the messages). Per
profile (`PROFILES`) it adds `temperature` and `seed` where the server accepts them. The API key goes in the
Authorization header only; a local server that needs none gets a placeholder. The `openai` package adds its
own headers (its version, the platform) and reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment.

What it never sends: streaming, tools, token limits, user ids. It never logs, and no error or repr holds,
the API key or a password in the base URL.

Failures: the openai package's own retries are off (it would retry 429 and 5xx silently). A transport error
(connection refused or reset, no answer within the timeout) is tried again after each of `RETRY_DELAYS`,
then is a PlannerError. An HTTP error status is a PlannerError at once that says what to do, as is an answer
with no content. One exception: when a server answers 400 to a `json_schema` response format (servers
without structured output), the request is sent again in JSON mode and the client stays in JSON mode;
`Completion.structured` says which was used, and profile `compatible` skips the refused request.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dbbasic.errors import PlannerError
from dbbasic.runner.connect import redact
from dbbasic.specs.model import LlmSettings

if TYPE_CHECKING:  # imported for real only when a client is built: `import dbbasic` works without [llm]
    import openai
    from openai.types.chat import ChatCompletion

MODEL_ENV = "DBBASIC_LLM_MODEL"
BASE_URL_ENV = "OPENAI_BASE_URL"
PROFILE_ENV = "DBBASIC_LLM_PROFILE"
TIMEOUT_ENV = "DBBASIC_LLM_TIMEOUT"
OPENAI_URL = "https://api.openai.com/v1"
NO_KEY = "not-needed"
"""Sent to a local server when no key is set: the openai package insists on one, such servers ignore it."""
DEFAULT_TIMEOUT = 300.0
"""Seconds to wait for the answer: a local model on a CPU writes a plan of several steps in minutes."""
CONNECT_TIMEOUT = 10.0
RETRY_DELAYS = (1.0, 4.0)
"""Seconds before each new attempt after a transport error: two retries, then a PlannerError."""


@dataclass(frozen=True)
class Profile:
    """What one kind of server accepts in a chat completion request."""

    name: str
    structured: bool
    """Send the JSON Schema as `response_format: json_schema`; else JSON mode (`json_object`)."""
    temperature: float | None = 0.0
    """None: not sent (reasoning models accept only their default)."""
    seed: int | None = 0
    """None: not sent. Where honoured, it makes answers repeatable (OpenAI: best effort)."""


PROFILES: dict[str, Profile] = {p.name: p for p in (
    # OpenAI: structured outputs on current models; temperature 0 and a seed for answers as repeatable as
    # the API allows (a change of the backend, `system_fingerprint`, can still change them).
    Profile("openai", structured=True, temperature=0.0, seed=0),
    # OpenAI reasoning models (o1, o3, o4-mini, gpt-5): structured outputs, but a temperature other than
    # the default is refused with a 400, so neither temperature nor seed is sent.
    Profile("openai-reasoning", structured=True, temperature=None, seed=None),
    # Ollama's /v1 endpoint documents response_format (json_schema enforced by a grammar since 0.5), seed
    # and temperature; it ignores `options` in the body (ollama/ollama#6544), so nothing else is sent.
    Profile("ollama", structured=True, temperature=0.0, seed=0),
    # vLLM's OpenAI server: json_schema through its structured-output backend, temperature and seed per
    # request. It fills unsent fields from the model's generation_config.json, so temperature is always sent.
    Profile("vllm", structured=True, temperature=0.0, seed=0),
    # llama.cpp's llama-server: json_schema turned into a grammar, temperature and seed per request (some
    # builds refused json_schema with a 400, ggml-org/llama.cpp#11847: the JSON-mode fallback covers them).
    Profile("llama-cpp", structured=True, temperature=0.0, seed=0),
    # An unknown server: JSON mode is the response format most of them implement, temperature and seed are
    # plain OpenAI fields; the schema travels in the prompt and the guard checks the answer.
    Profile("compatible", structured=False, temperature=0.0, seed=0),
)}


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise PlannerError(f"unknown LLM profile '{name}' (profiles: {', '.join(PROFILES)})",
                           hint=f"set {PROFILE_ENV} or `project: llm: profile` to one of them") from None


@dataclass(frozen=True, repr=False)
class LlmConfig:
    """The model to ask, resolved from the project spec and the environment (`resolve_config`)."""

    model: str
    base_url: str | None
    """None: OpenAI's API."""
    api_key: str | None = field(default=None, repr=False)
    api_key_env: str = "OPENAI_API_KEY"
    """The variable the key came from, for messages: the key itself is never printed."""
    profile: Profile = PROFILES["openai"]
    timeout: float = DEFAULT_TIMEOUT

    @property
    def server(self) -> str:
        """The base URL as messages show it: without a password."""
        return redact(self.base_url or OPENAI_URL)

    def __repr__(self) -> str:
        return (f"LlmConfig(model={self.model!r}, base_url={self.server!r}, api_key_env={self.api_key_env!r}, "
                f"profile={self.profile.name!r}, timeout={self.timeout!r})")


def resolve_config(settings: LlmSettings, environ: Mapping[str, str] = os.environ) -> LlmConfig | None:
    """The model settings of `project: llm:`, each overridden by its environment variable (DBBASIC_LLM_MODEL,
    OPENAI_BASE_URL, DBBASIC_LLM_PROFILE, DBBASIC_LLM_TIMEOUT); the key is read from the variable the settings
    name. None when no model is configured. The profile defaults to `openai` without a base URL, else to
    `compatible`."""
    model = environ.get(MODEL_ENV) or settings.model
    if not model:
        return None
    base_url = environ.get(BASE_URL_ENV) or settings.base_url or None
    name = environ.get(PROFILE_ENV) or settings.profile or ("compatible" if base_url else "openai")
    return LlmConfig(model=model, base_url=base_url, api_key=environ.get(settings.api_key_env) or None,
                     api_key_env=settings.api_key_env, profile=profile_named(name), timeout=_timeout(environ))


def _timeout(environ: Mapping[str, str]) -> float:
    written = environ.get(TIMEOUT_ENV)
    if not written:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(written)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise PlannerError(f"{TIMEOUT_ENV}={written!r} is not a number of seconds above 0")
    return seconds


@dataclass(frozen=True)
class Completion:
    text: str
    """The message content: the model's answer."""
    model: str
    """The model as the server names it (OpenAI: the dated snapshot)."""
    finish_reason: str | None
    """"stop" for a whole answer; "length" when it was cut off."""
    structured: bool
    """Whether the JSON Schema was sent (False: JSON mode, by profile or after the server refused it)."""


class Client:
    """Chat completions from one model. `retry_delays` and `sleep` are for tests (no real waiting)."""

    def __init__(self, config: LlmConfig, *, retry_delays: Sequence[float] = RETRY_DELAYS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._retry_delays = tuple(retry_delays)
        self._sleep = sleep
        self._structured = config.profile.structured
        self._openai = _openai_client(config)

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any], schema_name: str) -> Completion:
        """The model's answer to `messages`, asked to be one JSON object of `schema` (named `schema_name`,
        letters, digits, `_` and `-`). The caller validates the answer: neither mode guarantees it."""
        import openai

        failures = 0
        while True:
            try:
                response = self._openai.chat.completions.create(**self._request(messages, schema, schema_name))
            except openai.APIConnectionError as exc:  # APITimeoutError included
                if failures == len(self._retry_delays):
                    raise self._unreachable(exc, failures + 1) from None
                self._sleep(self._retry_delays[failures])
                failures += 1
            except openai.BadRequestError as exc:
                if not (self._structured and _about_response_format(exc)):
                    raise self._refused(exc) from None
                self._structured = False
            except openai.APIStatusError as exc:
                raise self._refused(exc) from None
            else:
                return self._completion(response)

    def _request(self, messages: list[dict[str, str]], schema: dict[str, Any], schema_name: str) -> dict[str, Any]:
        profile = self.config.profile
        # strict False: OpenAI's strict mode takes only schemas whose objects are all closed with every
        # property required, and the step schema has optional keys (`down`, `description`).
        response_format = ({"type": "json_schema", "json_schema": {"name": schema_name, "schema": schema,
                                                                   "strict": False}}
                           if self._structured else {"type": "json_object"})
        request: dict[str, Any] = {"model": self.config.model, "messages": messages,
                                   "response_format": response_format}
        if profile.temperature is not None:
            request["temperature"] = profile.temperature
        if profile.seed is not None:
            request["seed"] = profile.seed
        return request

    def _completion(self, response: ChatCompletion) -> Completion:
        try:
            choice = response.choices[0] if response.choices else None
            text = choice.message.content if choice is not None else None
        except (AttributeError, TypeError, IndexError, KeyError):  # a 200 whose body is not a chat completion
            raise PlannerError(f"{self.config.server} did not answer with a chat completion",
                               hint="check the base URL: it must be an OpenAI-compatible API, ending in /v1 for "
                                    "most servers") from None
        if choice is None or text is None or not text.strip():
            refusal = choice.message.refusal if choice is not None else None
            said = f"; it refused: {self._clean(refusal)}" if refusal else ""
            raise PlannerError(
                f"{self.config.model} at {self.config.server} answered with no content "
                f"(finish_reason: {choice.finish_reason if choice is not None else 'no choice'}){said}",
                hint="run `dbbasic plan` again; if it persists, reword the specification or try another model")
        return Completion(text=text, model=response.model or self.config.model, finish_reason=choice.finish_reason,
                          structured=self._structured)

    def _unreachable(self, exc: openai.APIConnectionError, attempts: int) -> PlannerError:
        import openai

        where = self.config.server
        if isinstance(exc, openai.APITimeoutError):
            return PlannerError(f"no answer from {where} within {self.config.timeout:g} s ({attempts} attempts)",
                                hint=f"a local model on a CPU can take minutes: raise {TIMEOUT_ENV} (seconds) "
                                     "or use a smaller model")
        cause = self._clean(str(exc.__cause__ or exc))
        return PlannerError(f"cannot reach {where} ({attempts} attempts): {cause}",
                            hint=f"is the server running? Check the base URL ({BASE_URL_ENV} or "
                                 "`project: llm: base_url`)")

    def _refused(self, exc: openai.APIStatusError) -> PlannerError:
        status, config = exc.status_code, self.config
        said = self._clean(_server_message(exc))
        message = f"{config.server} answered {status} to a request for {config.model}: {said}"
        key = f"${config.api_key_env}"
        if status == 401:
            hint = (f"the server wants an API key: put it in {key}" if config.api_key is None
                    else f"check the API key in {key}")
        elif status == 403:
            hint = f"the key in {key} may not use {config.model}: check its project and the model's access"
        elif status == 404:
            hint = (f"check the model name ({MODEL_ENV} or `project: llm: model`; Ollama: `ollama pull` it) and "
                    f"the base URL ({BASE_URL_ENV} or `project: llm: base_url`; most servers' base URLs end in /v1)")
        elif status == 429:
            hint = "rate limit or quota: wait and run `dbbasic plan` again, or check the account's quota and billing"
        elif status >= 500:
            hint = "the server failed: try again later"
        elif status == 400 and _about_response_format(exc):
            hint = ("the server refused both json_schema and JSON mode: the planner needs one of them"
                    if config.profile.structured else
                    "the server refused JSON mode: try a profile with structured output ("
                    + ", ".join(p.name for p in PROFILES.values() if p.structured) + ")")
        elif status == 400 and any(word in said for word in ("temperature", "seed")):
            hint = f"this model takes no temperature or seed: set {PROFILE_ENV}=openai-reasoning"
        else:
            hint = f"check the model name and the profile ({PROFILE_ENV} or `project: llm: profile`)"
        return PlannerError(message, hint=hint)

    def _clean(self, text: str) -> str:
        """A server's or library's text, fit for a message: the key and URL passwords masked, one short line."""
        if self.config.api_key:
            text = text.replace(self.config.api_key, "***")
        text = " ".join(redact(text).split())
        return text if len(text) <= 300 else text[:299] + "…"


def _openai_client(config: LlmConfig) -> openai.OpenAI:
    try:
        import openai
    except ImportError:
        raise PlannerError("the LLM planner needs the openai package",
                           hint="pip install 'dbbasic[llm]'") from None
    key = config.api_key
    if key is None:
        if config.base_url is None:
            raise PlannerError(f"no API key for OpenAI: ${config.api_key_env} is not set",
                               hint=f"put the key in ${config.api_key_env}, or set {BASE_URL_ENV} for a local server")
        key = NO_KEY
    # The base URL is always passed: left out, the openai package would read OPENAI_BASE_URL itself, from
    # os.environ rather than the environment resolve_config was given.
    return openai.OpenAI(api_key=key, base_url=config.base_url or OPENAI_URL, max_retries=0,
                         timeout=openai.Timeout(config.timeout, connect=min(CONNECT_TIMEOUT, config.timeout)))


def _server_message(exc: openai.APIStatusError) -> str:
    """The server's own words: `error.message` of an OpenAI-style body, else the body as text."""
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return str(body) if body else exc.message


def _about_response_format(exc: openai.APIStatusError) -> bool:
    """Whether a 400 is about the response format (a server without structured output or JSON mode)."""
    text = _server_message(exc)
    return exc.param == "response_format" or "response_format" in text or "json_schema" in text
