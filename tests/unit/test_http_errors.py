"""The one table from an error code to its HTTP status, as issue 14's contract states it."""

from __future__ import annotations

import pytest

from bot.http.errors import STATUS_BY_CODE, core_error
from core.errors import (
    AuthenticationError,
    ExchangeUnavailable,
    ExecutionRefused,
    InputError,
    RateLimited,
    StorageError,
)

CONTRACT = {
    "unauthorized": 401,
    "forbidden": 403,
    "unknown_plan": 404,
    "unknown_run": 404,
    "already_used": 409,
    "cancelled": 409,
    "busy": 409,
    "cooldown": 409,
    "prices_moved": 409,
    "stale": 409,
    "expired": 410,
    "bad_body": 422,
    "wrong_plan_hash": 422,
    "bad_weights": 422,
    "targets_not_tradable": 422,
    "bad_symbol": 422,
    "not_tradable": 422,
    "rate_limited": 429,
    "use_plans": 400,
    "exchange_error": 502,
    "exchange_unavailable": 503,
}


def test_every_status_of_the_contract_is_in_the_one_table() -> None:
    assert {code: STATUS_BY_CODE[code] for code in CONTRACT} == CONTRACT


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ExecutionRefused("x", code="expired"), ("expired", 410)),
        (ExecutionRefused("x", code="a_new_refusal"), ("a_new_refusal", 409)),
        (InputError("x", code="bad_symbol"), ("bad_symbol", 422)),
        (ExchangeUnavailable("x"), ("exchange_unavailable", 503)),
        (RateLimited("x"), ("exchange_unavailable", 503)),
        (AuthenticationError("x"), ("exchange_error", 502)),
        (StorageError("x"), ("storage_error", 503)),
    ],
)
def test_a_core_error_keeps_its_code_and_gets_the_tables_status(
    error: Exception, expected: tuple[str, int]
) -> None:
    assert core_error(error) == expected  # type: ignore[arg-type]
