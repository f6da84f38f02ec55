"""Tokens compared in constant time, callers named by a digest, the trade-call window, and
the JSON bodies' decimals: pure parts of the HTTP API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import SecretStr

from bot import bodies
from bot.http.auth import READ, TRADE, Caller, Tokens, TradeLimiter, require_trade
from bot.http.errors import ApiError

READ_TOKEN, TRADE_TOKEN = "r" * 24, "t" * 24


def tokens() -> Tokens:
    return Tokens(SecretStr(READ_TOKEN), SecretStr(TRADE_TOKEN))


def test_each_token_is_its_own_caller_and_its_identity_is_not_the_token() -> None:
    read = tokens().caller(f"Bearer {READ_TOKEN}")
    trade = tokens().caller(f"bearer {TRADE_TOKEN}")

    assert (read.scope, trade.scope) == (READ, TRADE)
    assert read.identity != trade.identity
    assert READ_TOKEN not in read.identity and TRADE_TOKEN not in trade.identity


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer x", f"Basic {READ_TOKEN}"])
def test_a_missing_or_unknown_token_is_unauthorized(header: str | None) -> None:
    with pytest.raises(ApiError) as refused:
        tokens().caller(header)

    assert refused.value.code == "unauthorized"


def test_the_read_token_may_not_trade() -> None:
    with pytest.raises(ApiError) as refused:
        require_trade(Caller("api:r", READ), TradeLimiter())

    assert refused.value.code == "forbidden"


def test_the_trade_window_slides_per_caller() -> None:
    now = [0.0]
    limiter = TradeLimiter(per_minute=2, clock=lambda: now[0])
    alice, bob = Caller("api:a", TRADE), Caller("api:b", TRADE)
    limiter.admit(alice)
    now[0] = 30
    limiter.admit(alice)
    limiter.admit(bob)  # bob has a window of his own

    with pytest.raises(ApiError) as refused:
        limiter.admit(alice)
    now[0] = 60.5  # the first call left the window
    limiter.admit(alice)

    assert refused.value.code == "rate_limited"
    assert refused.value.headers["Retry-After"] == "30"


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("1E-8"), "0.00000001"), (Decimal("27500.000000"), "27500.000000"), (None, None)],
)
def test_decimals_are_plain_strings_never_floats_or_exponents(
    value: Decimal | None, text: str | None
) -> None:
    assert bodies.dec(value) == text
