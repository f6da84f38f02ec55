"""The Bot API over HTTP: ``/bot{token}/{method}`` routes, request parsing, injected failures."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from .methods_bot import BOT_METHODS
from .methods_messages import MESSAGE_METHODS, ApiCall, Handler
from .state import ApiRequest, State, UploadedFile
from .validation import ApiError, coerce_params

METHODS: dict[str, Handler] = {**BOT_METHODS, **MESSAGE_METHODS}
MAX_REQUEST_BYTES = 50 * 1024 * 1024
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class Failure:
    """An injected failure: an error envelope, or ``"drop"`` to close the connection unanswered."""

    status: int | Literal["drop"]
    description: str | None = None
    retry_after: int | None = None

    def error(self) -> ApiError:
        assert self.status != "drop"
        if self.retry_after is not None:
            description = self.description or f"Too Many Requests: retry after {self.retry_after}"
            return ApiError(self.status, description, {"retry_after": self.retry_after})
        description = self.description or _DEFAULT_DESCRIPTIONS.get(self.status, "Error")
        return ApiError(self.status, description)


class FailurePlan:
    """Failures queued per method (case-insensitive), each used by one request."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[Failure]] = {}

    def add(self, method: str, failure: Failure, times: int = 1) -> None:
        self._queued.setdefault(method.lower(), deque()).extend([failure] * times)

    def take(self, method: str) -> Failure | None:
        queued = self._queued.get(method.lower())
        return queued.popleft() if queued else None


def envelope(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parameters from the query string and a JSON, urlencoded or multipart body, untyped."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON object") from None
        params.update(body if isinstance(body, dict) else {})
        return params, files
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            data = value.file.read()
            files[name] = UploadedFile(name, value.filename, value.content_type, data)
        else:
            params[name] = value
    return params, files


class BotApiEndpoint:
    """Serves the Bot API for one token and records every call in ``state.records.requests``."""

    def __init__(self, state: State, token: str, failures: FailurePlan) -> None:
        self.state = state
        self.token = token
        self.failures = failures

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return envelope(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        record = ApiRequest(method=request.match_info["method"], params={})
        try:
            status, body = await self._process(request, record)
        except ApiError as error:
            status, body = error.status, error.payload()
        except Exception as error:  # a bug in the fake: say so in a 500 instead of plain text
            description = f"Internal Server Error: fake Telegram failed: {error!r}"
            status, body = 500, {"ok": False, "error_code": 500, "description": description}
        if status == 0:
            return await _drop(request, record)
        record.status, record.error = status, body.get("description")
        record.client_gone = request.transport is None or request.transport.is_closing()
        self.state.records.signal.fire()
        return envelope(status, body)

    async def _process(
        self, request: web.Request, record: ApiRequest
    ) -> tuple[int, dict[str, Any]]:
        try:
            record.params, record.files = await read_params(request)
            record.params = coerce_params(record.params)
        finally:  # recorded once its parameters are known, even if they do not parse
            self.state.records.add("requests", record)
        failure = self.failures.take(record.method)
        if failure is not None:
            if failure.status == "drop":
                return 0, {}
            error = failure.error()
            return error.status, error.payload()
        handler = METHODS.get(record.method.lower())
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        result = await handler(self.state, ApiCall(record.method, record.params, record.files))
        return 200, {"ok": True, "result": result}


async def _drop(request: web.Request, record: ApiRequest) -> web.StreamResponse:
    """Close the connection without an answer, like a network failure mid-request."""
    record.status = 0
    if request.transport is not None:
        request.transport.abort()
    return web.StreamResponse()
