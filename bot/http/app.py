"""The FastAPI application: one authentication gate before every handler, the routers, and
errors in one shape. `create_app(state)` builds it; bot/http/server.py serves it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.http import compat, errors, health, routes
from bot.http.auth import NEEDS_TRADE
from bot.http.errors import ApiError, error_response
from bot.http.state import HttpState
from core.errors import RebalanceError

OPENAPI_URL = "/api/openapi.json"
DOCS_URL = "/api/docs"
PUBLIC_PATHS = frozenset({"/healthz", OPENAPI_URL, DOCS_URL})
TRADE_PREFIX = "/api/v1/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Next = Callable[[Request], Awaitable[Response]]


def needs_trade(method: str, path: str) -> bool:
    """Every change under /api/v1 (plans, executes, targets, locks) needs the trade token."""
    return path.startswith(TRADE_PREFIX) and method not in SAFE_METHODS


def create_app(
    state: HttpState,
    public_paths: frozenset[str] = frozenset(),
    routers: Iterable[APIRouter] = (),
) -> FastAPI:
    """The API over `state`; `routers` adds routes served beside it (the Telegram webhook)
    and `public_paths` the paths the token gate lets through (they authenticate themselves)."""
    app = FastAPI(
        title="rebalance-bot",
        summary="Check, preview and rebalance a Kraken portfolio; a plan executes once.",
        openapi_url=OPENAPI_URL,
        docs_url=DOCS_URL,
        redoc_url=None,
    )
    app.state.http = state
    open_paths = PUBLIC_PATHS | public_paths

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Next) -> Response:
        """No token, or an unknown one: 401 before anything else runs (no exchange call); the
        read token on a trade endpoint: 403, before its body is even read."""
        if request.url.path not in open_paths:
            try:
                caller = state.tokens.caller(request.headers.get("authorization"))
            except ApiError as e:
                return error_response(e.code, e.message, headers=e.headers)
            if needs_trade(request.method, request.url.path) and not caller.can_trade:
                return error_response("forbidden", NEEDS_TRADE)
            request.state.caller = caller
        return await call_next(request)

    app.add_exception_handler(ApiError, errors.on_api_error)
    app.add_exception_handler(RebalanceError, errors.on_core_error)
    app.add_exception_handler(RequestValidationError, errors.on_bad_request)
    app.add_exception_handler(StarletteHTTPException, errors.on_http_error)
    app.add_exception_handler(Exception, errors.on_unexpected)
    for router in (health.router, routes.router, compat.router, *routers):
        app.include_router(router)
    return app
