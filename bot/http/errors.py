"""Errors as `{"error": {"code": "...", "message": "..."}}`, with ONE table from a code to its
HTTP status. Core errors keep their stable `code`; the words are the API's own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    ExchangeError,
    ExchangeUnavailable,
    ExecutionRefused,
    InputError,
    PortfolioError,
    RebalanceError,
    StorageError,
    TemporaryError,
)

STATUS_BY_CODE: Final[Mapping[str, int]] = {
    # authentication and permission (bot/http/auth.py)
    "unauthorized": 401,
    "forbidden": 403,
    "rate_limited": 429,
    # unknown things
    "unknown_plan": 404,
    "other_user": 404,  # a plan another token made: unknown to this one
    "unknown_run": 404,
    "not_found": 404,
    "not_available": 404,
    "method_not_allowed": 405,
    # a plan that may not run (core ExecutionRefused codes)
    "already_used": 409,
    "cancelled": 409,
    "busy": 409,
    "cooldown": 409,
    "prices_moved": 409,
    "stale": 409,
    "changed": 409,
    "other_mode": 409,
    "tampered": 409,
    "not_due": 409,
    "portfolio": 409,
    "expired": 410,
    # bad input
    "bad_request": 422,
    "bad_body": 422,
    "wrong_plan_hash": 422,
    "bad_symbol": 422,
    "not_tradable": 422,
    "quote_is_cash": 422,
    "bad_weights": 422,
    "targets_not_tradable": 422,
    "bad_input": 422,
    "use_plans": 400,
    # the exchange or the database failed: nothing was placed
    "exchange_error": 502,
    "exchange_unavailable": 503,
    "storage_error": 503,
    "internal": 500,
}
DEFAULT_REFUSAL = 409  # an ExecutionRefused code this table does not know yet
DEFAULT_INPUT = 422  # an InputError code this table does not know yet


class ApiError(Exception):
    """Raised by handlers and the auth layer; rendered by `on_api_error`."""

    def __init__(
        self, code: str, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def status_of(code: str, default: int = 500) -> int:
    return STATUS_BY_CODE.get(code, default)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def error_response(
    code: str, message: str, *, status: int | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message),
        status_code=status or status_of(code),
        headers=dict(headers or {}),
    )


def core_error(error: RebalanceError) -> tuple[str, int]:
    """The code and status of a core error."""
    if isinstance(error, ExecutionRefused):
        return error.code, status_of(error.code, DEFAULT_REFUSAL)
    if isinstance(error, InputError):
        return error.code, status_of(error.code, DEFAULT_INPUT)
    if isinstance(error, ExchangeUnavailable | TemporaryError):
        return "exchange_unavailable", status_of("exchange_unavailable")
    if isinstance(error, ExchangeError):
        return "exchange_error", status_of("exchange_error")
    if isinstance(error, StorageError):
        return "storage_error", status_of("storage_error")
    if isinstance(error, PortfolioError):
        return "portfolio", status_of("portfolio")
    return "error", 500


async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.code, exc.message, headers=exc.headers)


async def on_core_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RebalanceError)
    code, status = core_error(exc)
    return error_response(code, str(exc), status=status)


async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with its traceback by the server; the caller gets the shape, no details."""
    return error_response(
        "internal", f"unexpected error ({type(exc).__name__}); see the log", status=500
    )


async def on_bad_request(_: Request, exc: Exception) -> JSONResponse:
    """A body or query that does not fit: say which field and what is wrong with it."""
    assert isinstance(exc, RequestValidationError)
    places = {str(p.get("loc", ("body",))[0]) for p in exc.errors()}
    code = "bad_body" if places <= {"body"} else "bad_request"  # a path or query parameter
    return error_response(code, validation_message(exc))


async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    return error_response(code, str(exc.detail), status=exc.status_code)


def validation_message(exc: RequestValidationError) -> str:
    """'body.plan_hash: Field required' and the like, one problem after another."""
    parts = []
    for problem in exc.errors():
        if problem.get("type") == "json_invalid":
            at = problem.get("loc", ("body", "?"))[-1]
            parts.append(f"the body is not valid JSON (at character {at})")
            continue
        where = ".".join(str(x) for x in problem.get("loc", ()))
        parts.append(f"{where}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request does not fit this endpoint"
