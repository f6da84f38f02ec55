"""Who is calling: `Authorization: Bearer <token>`, compared in constant time, never logged.

The trade token may do everything the read token may. A caller's identity (`api:<digest>`,
a digest of its token, never the token) is the owner of the plans it makes, as a Telegram
user id is of the plans made in Telegram: only the same token can execute them.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr

from bot.http.errors import ApiError

READ, TRADE = "read", "trade"
TRADE_CALLS_PER_MINUTE = 10
WINDOW_S = 60.0
NO_TOKEN = "Send Authorization: Bearer <API_TOKEN_READ or API_TOKEN_TRADE>."
UNKNOWN_TOKEN = "This token is not valid for this API."
NEEDS_TRADE = "This endpoint needs the trade token (API_TOKEN_TRADE); the read token may only read."
CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Caller:
    identity: str  # owner of the plans it makes; a digest, never the token itself
    scope: str  # READ or TRADE

    @property
    def can_trade(self) -> bool:
        return self.scope == TRADE


def identity_of(token: str) -> str:
    return "api:" + hashlib.sha256(token.encode()).hexdigest()[:16]


class Tokens:
    """The configured tokens; `caller(header)` is the one place a token is compared."""

    def __init__(self, read: SecretStr | None, trade: SecretStr | None) -> None:
        self._known = [
            (secret.get_secret_value().encode(), scope)
            for secret, scope in ((trade, TRADE), (read, READ))
            if secret is not None
        ]

    def caller(self, authorization: str | None) -> Caller:
        """The caller the header names; ApiError 401 when there is no token or it is unknown."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError("unauthorized", NO_TOKEN, headers=CHALLENGE)
        found: Caller | None = None
        for known, scope in self._known:  # every token is compared, each in constant time
            if hmac.compare_digest(known, token.encode()) and found is None:
                found = Caller(identity_of(token), scope)
        if found is None:
            raise ApiError("unauthorized", UNKNOWN_TOKEN, headers=CHALLENGE)
        return found


class TradeLimiter:
    """At most TRADE_CALLS_PER_MINUTE trade calls per caller in any 60 s (a sliding window)."""

    def __init__(
        self,
        per_minute: int = TRADE_CALLS_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()  # FastAPI runs plain dependencies on its thread pool

    def admit(self, caller: Caller) -> None:
        """Count one trade call; ApiError 429 (with Retry-After) when over the limit."""
        with self._lock:
            self._admit(caller)

    def _admit(self, caller: Caller) -> None:
        now = self.clock()
        calls = self._calls.setdefault(caller.identity, deque())
        while calls and calls[0] <= now - WINDOW_S:
            calls.popleft()
        if len(calls) >= self.per_minute:
            wait = max(1, round(calls[0] + WINDOW_S - now))
            raise ApiError(
                "rate_limited",
                f"More than {self.per_minute} trade calls in a minute: try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        calls.append(now)


def require_trade(caller: Caller, limiter: TradeLimiter) -> Caller:
    """403 for the read token (nothing else happens), else the call counts for the limit."""
    if not caller.can_trade:
        raise ApiError("forbidden", NEEDS_TRADE)
    limiter.admit(caller)
    return caller
