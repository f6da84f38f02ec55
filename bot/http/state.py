"""What every handler of the HTTP API shares, and the dependencies that hand it over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from bot.http import metrics
from bot.http.auth import Caller, Tokens, TradeLimiter, require_trade
from bot.http.errors import ApiError
from core.app.api import Api

HEARTBEAT_MAX_AGE_S = 300  # as `rebalance-bot healthcheck`


@dataclass
class HttpState:
    api: Callable[[], Api]  # the facade (opened by the bot's post_init, or by `serve`)
    tokens: Tokens
    clock: Callable[[], datetime]
    limiter: TradeLimiter = field(default_factory=TradeLimiter)
    last_check: metrics.LastCheck = field(default_factory=metrics.LastCheck)
    heartbeat_max_age_s: float = HEARTBEAT_MAX_AGE_S
    registry: CollectorRegistry | None = None

    def metrics_registry(self) -> CollectorRegistry:
        if self.registry is None:
            self.registry = metrics.registry(self.api, self.last_check)
        return self.registry


def http_state(request: Request) -> HttpState:
    found: HttpState = request.app.state.http
    return found


def _caller(request: Request) -> Caller:
    """Set by the authentication middleware (bot/http/app.py) before any handler runs."""
    found = getattr(request.state, "caller", None)
    if not isinstance(found, Caller):
        raise ApiError("unauthorized", "Send Authorization: Bearer <token>.")
    return found


def _api(state: Annotated[HttpState, Depends(http_state)]) -> Api:
    return state.api()


def _trader(
    caller: Annotated[Caller, Depends(_caller)], state: Annotated[HttpState, Depends(http_state)]
) -> Caller:
    return require_trade(caller, state.limiter)


State = Annotated[HttpState, Depends(http_state)]
Reader = Annotated[Caller, Depends(_caller)]
Trader = Annotated[Caller, Depends(_trader)]
ApiDep = Annotated[Api, Depends(_api)]
