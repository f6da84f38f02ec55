"""Translation of every ccxt exception into the project's error tree (`core.errors`).

Kraken's own error strings (`EOrder:Insufficient funds`) are matched first, whatever class
ccxt chose for them: ccxt raises a plain `ExchangeError` for `EAPI:Invalid signature`,
`EOrder:Cost minimum not met` and `EQuery:Unknown asset pair`, and `InvalidNonce` (a
*network* error) for `EAPI:Invalid nonce`. Only when the message holds no Kraken string
does the ccxt class decide.

Messages say what happened and never contain the API key or secret: callers pass them in
`secrets` and every detail copied from ccxt is scrubbed of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import aiohttp
import ccxt.async_support as ccxt

from core.errors import (
    AuthenticationError,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    MarketNotTradable,
    NonceRejected,
    OrderOutcomeUnknown,
    OrderRejected,
    PostOnlyRejected,
    RateLimited,
    UnknownOrder,
    UnknownPair,
)

AUTH_HINT = "check KRAKEN_API_KEY / KRAKEN_API_SECRET and the key's permissions"


class NotKrakenEnvelope(ccxt.BadResponse):  # type: ignore[misc]
    """The answer was not Kraken's `{"error": [...], "result": ...}` JSON (an HTML page...)."""


# (needles, error class, message); the first rule with a needle inside the Kraken string wins.
_RULES: tuple[tuple[tuple[str, ...], type[ExchangeError], str], ...] = (
    (
        (
            "Rate limit exceeded",
            "EGeneral:Too many requests",
            "EGeneral:Temporary lockout",
        ),
        RateLimited,
        "Kraken's rate limit was exceeded ({reason}); try again in a moment",
    ),
    (
        ("EAPI:Invalid nonce",),
        NonceRejected,
        "Kraken refused the request's nonce ({reason}); the request had no effect",
    ),
    (
        (
            "EAPI:Invalid key",
            "EAPI:Invalid signature",
            "EAPI:Feature disabled",
            "EGeneral:Permission denied",
            "ESession:Invalid session",
            "EAuth:",
            "ETrade:User Locked",
        ),
        AuthenticationError,
        "Kraken rejected the API key ({reason}): " + AUTH_HINT,
    ),
    (
        ("Insufficient funds",),
        InsufficientFunds,
        "Kraken refused the order: insufficient funds ({reason})",
    ),
    (
        ("cancel_only", "post_only", "limit_only", "reduce_only", "Trading halted"),
        MarketNotTradable,
        "Kraken refused the order: the market is not tradable now ({reason})",
    ),
    (
        ("EOrder:Post only order",),
        PostOnlyRejected,
        "Kraken refused the post-only order: it would have taken liquidity ({reason})",
    ),
    (
        ("EOrder:Unknown order",),
        UnknownOrder,
        "Kraken has no open order with this id ({reason})",
    ),
    (
        ("EQuery:Unknown asset pair", "EQuery:Invalid asset pair"),
        UnknownPair,
        "Kraken does not know this asset pair ({reason})",
    ),
    (
        ("EService:", "EGeneral:Internal error", "EDatabase:"),
        ExchangeUnavailable,
        "Kraken is unavailable ({reason}); try again later",
    ),
    (
        ("EOrder:", "EGeneral:Invalid arguments", "ETrade:"),
        OrderRejected,
        "Kraken refused the order: {reason}",
    ),
)

# Kraken's strings: a category (`EOrder`, `EAPI`...), a colon, then a capitalized message.
_QUOTED_CODE = re.compile(r'"(E[A-Z][A-Za-z]+:[A-Z][^"]*)"')
_BARE_CODE = re.compile(r"(?<![A-Za-z])(E[A-Z][A-Za-z]+:[A-Z][^\"\]\n]*)")
# (ccxt classes, error class, message) for exceptions without a Kraken string in them.
_CLASS_RULES: tuple[tuple[Any, type[ExchangeError], str], ...] = (
    (ccxt.RequestTimeout, ExchangeUnavailable, "Kraken did not answer in time"),
    (ccxt.InvalidNonce, NonceRejected, "Kraken refused the request's nonce"),
    (
        (ccxt.RateLimitExceeded, ccxt.DDoSProtection),
        RateLimited,
        "Kraken's rate limit was exceeded",
    ),
    (ccxt.InsufficientFunds, InsufficientFunds, "Kraken refused the order: insufficient funds"),
    (ccxt.BadSymbol, UnknownPair, "Kraken does not know this asset pair"),
    (ccxt.InvalidOrder, OrderRejected, "the order was refused"),
)
_DEFINITE = (
    OrderRejected,
    AuthenticationError,
    RateLimited,
    NonceRejected,
    UnknownPair,
    UnknownOrder,
)


def kraken_codes(text: str) -> list[str]:
    """Kraken error strings (`EOrder:Insufficient funds`) found in an error message."""
    quoted = _QUOTED_CODE.findall(text)
    found = quoted or _BARE_CODE.findall(text)
    return [code.strip() for code in found]


def translate(error: Exception, *, secrets: Iterable[str] = ()) -> ExchangeError:
    """The project error for one ccxt (or transport) exception. Raise it `from error`."""
    codes = kraken_codes(str(error))
    if codes:
        return from_kraken_code(codes[0])
    return _from_class(error, _detail(error, secrets))


def from_kraken_code(code: str) -> ExchangeError:
    """The project error for one Kraken error string; `reason` keeps Kraken's words."""
    for needles, cls, message in _RULES:
        if any(needle in code for needle in needles):
            return cls(message.format(reason=code), reason=code)
    return ExchangeError(f"Kraken refused the request: {code}", reason=code)


def for_order(error: ExchangeError, client_id: str) -> ExchangeError:
    """An AddOrder failure: definite refusals as they are, anything else outcome-unknown."""
    if isinstance(error, _DEFINITE):
        return error
    return OrderOutcomeUnknown(
        f"the answer to order {client_id} was lost ({error}); it may or may not have been "
        "placed: look it up by its client order id, never send it again",
        reason=error.reason,
    )


def for_change(
    error: ExchangeError, what: str, unknown: type[OrderOutcomeUnknown]
) -> ExchangeError:
    """An AmendOrder or CancelOrder failure: definite refusals as they are, anything else
    `unknown` (`AmendOutcomeUnknown`, `CancelOutcomeUnknown`)."""
    if isinstance(error, _DEFINITE):
        return error
    return unknown(
        f"the answer to the {what} was lost ({error}); it may or may not have been applied: "
        "read the order before doing anything else with it",
        reason=error.reason,
    )


def for_read(error: ExchangeError) -> ExchangeError:
    """A read failure: order refusals mean nothing for a read, so they become plain errors."""
    if isinstance(error, OrderRejected):
        return ExchangeError(f"Kraken refused the request: {error.reason}", reason=error.reason)
    return error


def _from_class(error: Exception, detail: str) -> ExchangeError:
    if isinstance(error, NotKrakenEnvelope):
        return ExchangeUnavailable(f"Kraken is unavailable: {detail.partition(': ')[2]}")
    if isinstance(error, ccxt.AuthenticationError):
        return _authentication(detail)
    for classes, cls, message in _CLASS_RULES:
        if isinstance(error, classes):
            return cls(f"{message}: {detail}")
    if _is_transport_failure(error):
        return ExchangeUnavailable(f"Kraken could not be reached or did not answer: {detail}")
    return ExchangeError(f"Kraken request failed: {detail}")


def _authentication(detail: str) -> AuthenticationError:
    if "credential" in detail:
        return AuthenticationError(
            "no Kraken API key is configured: set KRAKEN_API_KEY and KRAKEN_API_SECRET"
        )
    return AuthenticationError(f"Kraken rejected the API key: {AUTH_HINT} ({detail})")


def _is_transport_failure(error: Exception) -> bool:
    """Network errors, bodies that are not JSON, and connections dropped mid-answer."""
    if isinstance(error, ccxt.NetworkError | ccxt.BadResponse | aiohttp.ClientError | OSError):
        return True
    return isinstance(error.__cause__, aiohttp.ClientError | OSError)


def _detail(error: Exception, secrets: Iterable[str], limit: int = 240) -> str:
    """`ClassName: message`, one line, shortened, with every secret blanked out."""
    text = " ".join(str(error).split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
