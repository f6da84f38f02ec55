"""The aiohttp application: Kraken's URL layout, the request pipeline and the request log.

Routes: ``/0/public/<Method>`` (GET or POST; query string and/or form body) and
``/0/private/<Method>`` (POST, form-encoded or JSON body, signed). Pipeline for every request:
log it, sleep ``latency``, apply a pending fault (see :mod:`.faults`), authenticate (private),
charge the rate counter (private), run the method, answer ``{"error": [...], "result": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from .auth import Authenticator
from .endpoints import PRIVATE, PUBLIC, Venue
from .faults import HTML_ERROR_PAGE, FaultAction, FaultQueue, RateCounter
from .util import JsonDict, KrakenError

UNKNOWN_METHOD = "EGeneral:Unknown method"
_REASONS = {
    200: "Web server is returning an unknown error",
    500: "Internal Server Error",
    502: "Bad gateway",
    503: "Service Temporarily Unavailable",
}


@dataclass
class RequestRecord:
    """One request as the fake saw it. ``params`` excludes the nonce and all headers."""

    method: str  # HTTP method
    api: str  # "public" | "private"
    endpoint: str  # Kraken method name, e.g. "Ticker"
    params: dict[str, str]
    nonce: str | None = None
    fault: str | None = None  # fail_next kind applied to this request
    errors: list[str] = field(default_factory=list)  # Kraken errors answered
    status: int = 200  # HTTP status; 0 when the connection was dropped
    at: float = field(default_factory=time.time)


@dataclass
class Runtime:
    """Mutable server state the pipeline needs."""

    venue: Venue
    auth: Authenticator
    faults: FaultQueue
    rate: RateCounter
    requests: list[RequestRecord] = field(default_factory=list)
    latency: float = 0.0
    closing: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Call:
    request: web.Request
    body: str
    params: dict[str, str]
    record: RequestRecord


def read_params(request: web.Request, body: str) -> dict[str, str]:
    params = dict(request.query)
    if request.content_type == "application/json" and body:
        loaded: Any = json.loads(body)
        params.update(
            {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in loaded.items()}
        )
    elif body:
        params.update(parse_qsl(body, keep_blank_values=True))
    return params


class KrakenHttp:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def handle(self, request: web.Request) -> web.StreamResponse:
        call = await self._read(request)
        if not await self.wait(self.rt.latency):
            return self._drop(call)
        action = self.rt.faults.take(call.record.endpoint, call.params)
        if action is not None:
            call.record.fault = action.label
            early = await self._before(action, call)
            if early is not None:
                return early
        envelope = self._process(call)
        return await self._after(action, call, envelope)

    async def _read(self, request: web.Request) -> Call:
        body = await request.text()
        params = read_params(request, body)
        nonce = params.pop("nonce", None)
        record = RequestRecord(
            method=request.method,
            api=request.match_info["api"],
            endpoint=request.match_info["method"],
            params=dict(params),
            nonce=nonce,
        )
        self.rt.requests.append(record)
        return Call(request, body, params, record)

    async def wait(self, seconds: float) -> bool:
        """Sleep; False if the server started closing meanwhile."""
        if seconds <= 0:
            return True
        try:
            await asyncio.wait_for(self.rt.closing.wait(), seconds)
        except TimeoutError:
            return True
        return False

    async def _before(self, action: FaultAction, call: Call) -> web.StreamResponse | None:
        if action.kind == "error":
            return self._answer(call, {"error": [action.error]})
        if action.kind in {"html", "http"}:
            return self._html(call, action.status)
        if action.kind == "drop":
            return self._drop(call)
        if action.kind == "delay" and not await self.wait(action.seconds):
            return self._drop(call)
        return None

    async def _after(
        self, action: FaultAction | None, call: Call, envelope: JsonDict
    ) -> web.StreamResponse:
        call.record.errors = list(envelope.get("error", []))  # kept even if never delivered
        kind, seconds = (action.kind, action.seconds) if action is not None else ("", 0.0)
        if kind == "drop_after" or (kind == "delay_after" and not await self.wait(seconds)):
            return self._drop(call)
        return self._answer(call, envelope)

    def _process(self, call: Call) -> JsonDict:
        record = call.record
        handlers = PUBLIC if record.api == "public" else PRIVATE
        handler = handlers.get(record.endpoint)
        try:
            if handler is None:
                raise KrakenError(UNKNOWN_METHOD)
            if record.api == "private":
                self._authenticate(call)
            return {"error": [], "result": handler(self.rt.venue, call.params)}
        except KrakenError as error:
            return {"error": [error.message]}

    def _authenticate(self, call: Call) -> None:
        headers = call.request.headers
        key = self.rt.auth.check(
            call.request.path,
            headers.get("API-Key"),
            headers.get("API-Sign"),
            call.body,
            call.record.nonce or "",
        )
        self.rt.rate.charge(key, call.record.endpoint)

    def _answer(self, call: Call, envelope: JsonDict) -> web.Response:
        call.record.errors = list(envelope.get("error", []))
        status = 404 if call.record.errors == [UNKNOWN_METHOD] else 200
        call.record.status = status
        text = json.dumps(envelope, separators=(",", ":"))
        return web.Response(text=text, status=status, content_type="application/json")

    def _html(self, call: Call, status: int) -> web.Response:
        call.record.status = status
        reason = _REASONS.get(status, "Error")
        page = HTML_ERROR_PAGE.format(status=520 if status == 200 else status, reason=reason)
        return web.Response(text=page, status=status, content_type="text/html")

    def _drop(self, call: Call) -> web.Response:
        """Close the TCP connection without writing an HTTP response."""
        call.record.status = 0
        transport = call.request.transport
        if transport is not None:
            transport.abort()
        return web.Response()


ControlHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(runtime: Runtime, control: ControlHandler) -> web.Application:
    http = KrakenHttp(runtime)
    app = web.Application()
    app.router.add_route("*", "/0/{api:public|private}/{method}", http.handle)
    app.router.add_route("*", "/_control/{action}", control)
    return app
