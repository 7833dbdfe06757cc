"""A real OpenAI-compatible HTTP server on 127.0.0.1 that answers from a script, for the planner's client.

    server.script(Answer('{"steps": []}'), HttpError(429, "Rate limit reached"), Delay(), Drop())
    client = Client(LlmConfig(model="fixture-model", base_url=server.base_url, ...))
    ...
    server.requests[0].body["temperature"]      # what went over the wire

`POST /v1/chat/completions` takes the next reply of the script: an answer (the message content, in the
OpenAI wire format: id, object "chat.completion", created, model, choices[0].message / finish_reason, usage),
an HTTP error with an OpenAI-style error body, a delay longer than the client's timeout (then the answer it
no longer waits for), or a connection dropped without a response. With `refuse_json_schema`, a request with
`response_format.type == "json_schema"` gets a 400 as from a server without structured output, without
taking a reply. Every request is recorded. The answers are deterministic (fixed `created`, ids counted), so
cassettes recorded from it are the same every time.

Tests take it as the fixture `openai_server`, imported into their module (`from openai_server import
openai_server_fixture`): a conftest.py in tests/planner/ would replace tests/conftest.py as the module
`conftest` that other tests import from (pytest's default import mode).
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

CREATED = 1_700_000_000
"""The `created` of every answer: a fixed time keeps recorded cassettes stable."""


@dataclass(frozen=True)
class Answer:
    """A chat completion whose message content is `text` (None: no content, e.g. with a `refusal`)."""

    text: str | None
    finish_reason: str = "stop"
    model: str | None = None
    """The model the answer names; default: the model of the request."""
    refusal: str | None = None


@dataclass(frozen=True)
class HttpError:
    """An HTTP error status with an OpenAI-style body: {"error": {"message", "type", "param", "code"}}."""

    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class Delay:
    """No answer for `seconds` (longer than the client's timeout), then `then`, to a client long gone."""

    seconds: float = 2.0
    then: Answer = Answer('{"steps": []}')


@dataclass(frozen=True)
class Drop:
    """The connection closed after the request is read, with no response."""


Reply = Answer | HttpError | Delay | Drop


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: Any


@dataclass
class OpenAIServer:
    """Start with `with OpenAIServer() as server:` (or the `openai_server` fixture)."""

    refuse_json_schema: bool = False
    requests: list[Request] = field(default_factory=list)
    _replies: deque[Reply] = field(default_factory=deque)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "the server is not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        """Replies for the next requests, in order, after those already scripted."""
        with self._lock:
            self._replies.extend(replies)

    def __enter__(self) -> OpenAIServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True  # a handler still in a Delay does not hold up the end of a test
        # a short poll: shutdown() waits for the serving loop to look
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next(self, body: Any) -> Reply:
        with self._lock:
            if self.refuse_json_schema and _response_format_type(body) == "json_schema":
                return HttpError(400, "response_format type 'json_schema' is not supported by this server",
                                 param="response_format")
            if not self._replies:
                return HttpError(500, f"openai_server: no reply scripted for request {len(self.requests)}",
                                 type="server_error")
            return self._replies.popleft()

    def _completion(self, answer: Answer, body: Any) -> dict[str, Any]:
        prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
        completion_tokens = len((answer.text or "").split())
        return {
            "id": f"chatcmpl-fixture-{len(self.requests)}",
            "object": "chat.completion",
            "created": CREATED,
            "model": answer.model or body.get("model", "fixture-model"),
            "system_fingerprint": "fp_fixture",
            "choices": [{"index": 0, "logprobs": None, "finish_reason": answer.finish_reason,
                         "message": {"role": "assistant", "content": answer.text, "refusal": answer.refusal}}],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": completion_tokens,
                      "total_tokens": len(prompt.split()) + completion_tokens},
        }


def _response_format_type(body: Any) -> Any:
    response_format = body.get("response_format") if isinstance(body, dict) else None
    return response_format.get("type") if isinstance(response_format, dict) else None


def _handler(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error",
                                           "param": None, "code": None}})
                return
            reply = server._next(body)
            server.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if isinstance(reply, Drop):
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
            elif isinstance(reply, HttpError):
                self._send(reply.status, {"error": {"message": reply.message, "type": reply.type,
                                                    "param": reply.param, "code": reply.code}})
            elif isinstance(reply, Delay):
                if not server._stopping.wait(reply.seconds):
                    self._send(200, server._completion(reply.then, body))
            else:
                self._send(200, server._completion(reply, body))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (a Delay past its timeout)
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures, not traffic
            pass

    return Handler


@pytest.fixture(name="openai_server")
def openai_server_fixture() -> Iterator[OpenAIServer]:
    """A scripted OpenAI-compatible server on loopback, stopped after the test."""
    with OpenAIServer() as server:
        yield server
