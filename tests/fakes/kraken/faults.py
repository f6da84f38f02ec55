"""Fault injection (``fail_next``) and Kraken's REST call-rate counter.

Fault kinds:

* a Kraken error string (``"EService:Unavailable"``, ``"EAPI:Rate limit exceeded"``, …):
  answered as ``{"error": [kind]}`` with HTTP 200, without processing the request;
* ``"html"``: HTTP 200 with a Cloudflare-style HTML page (``Content-Type: text/html``);
* ``"http500"``, ``"http502"``, ``"http503"`` (any ``httpNNN``): that status, HTML body;
* ``"drop"``: the connection is closed before the request is processed;
* ``"drop_after"``: the request IS processed (an ``AddOrder`` books/fills its order), then
  the connection is closed without an answer: the lost-response case;
* ``"delay:N"``: wait N seconds, then process and answer (the order is booked only after the
  wait, even if the client has given up by then, as a slow exchange would do);
* ``"delay_after:N"``: process at once, then wait N seconds before answering (the order
  exists while the client is still waiting and times out).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .util import KrakenError

RATE_LIMIT_EXCEEDED = "EAPI:Rate limit exceeded"

_ERROR_KIND = re.compile(r"^[EW][A-Za-z]+:.+")
_HTTP_KIND = re.compile(r"^http([1-5]\d\d)$")
_DELAY_KIND = re.compile(r"^(delay|delay_after):(\d+(?:\.\d+)?)$")

HTML_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en-US">
<head><title>api.kraken.com | {status}: {reason}</title></head>
<body>
<div id="cf-error-details">
<h1>{reason}</h1>
<p>Error code {status}</p>
<p>Visit <a href="https://www.cloudflare.com/">cloudflare.com</a> for more information.</p>
<p>Cloudflare Ray ID: 7d2e9b1c5f3a0000 &bull; Performance &amp; security by Cloudflare</p>
</div>
</body>
</html>
"""


@dataclass(frozen=True)
class FaultAction:
    kind: str  # "error" | "html" | "http" | "drop" | "drop_after" | "delay" | "delay_after"
    label: str  # the kind string as given to fail_next
    error: str = ""
    status: int = 200
    seconds: float = 0.0


def parse_kind(kind: str) -> FaultAction:
    """Turn a ``fail_next`` kind string into an action; ValueError if it is not one."""
    if kind in {"html", "drop", "drop_after"}:
        return FaultAction(kind, kind)
    if match := _HTTP_KIND.match(kind):
        return FaultAction("http", kind, status=int(match.group(1)))
    if match := _DELAY_KIND.match(kind):
        return FaultAction(match.group(1), kind, seconds=float(match.group(2)))
    if _ERROR_KIND.match(kind):
        return FaultAction("error", kind, error=kind)
    raise ValueError(f"unknown fault kind {kind!r}")


@dataclass
class Fault:
    endpoint: str  # Kraken method name, e.g. "AddOrder", or "*" for any
    action: FaultAction
    remaining: int
    when: dict[str, str] | None = None

    def matches(self, endpoint: str, params: Mapping[str, str]) -> bool:
        if self.endpoint not in {"*", endpoint}:
            return False
        return all(params.get(key) == value for key, value in (self.when or {}).items())


class FaultQueue:
    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(
        self, endpoint: str, kind: str, times: int = 1, when: Mapping[str, object] | None = None
    ) -> None:
        if times < 1:
            raise ValueError("times must be >= 1")
        condition = {key: str(value) for key, value in when.items()} if when else None
        self.pending.append(Fault(endpoint, parse_kind(kind), times, condition))

    def take(self, endpoint: str, params: Mapping[str, str]) -> FaultAction | None:
        """The first pending fault for this request (consumed once), if any."""
        for fault in self.pending:
            if fault.matches(endpoint, params):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.pending.remove(fault)
                return fault.action
        return None


TIERS: dict[str, tuple[float, float]] = {
    # tier: (maximum counter, decay per second)
    "starter": (15, 0.33),
    "intermediate": (20, 0.5),
    "pro": (20, 1.0),
}
CALL_COSTS: dict[str, int] = {
    "Ledgers": 2,
    "TradesHistory": 2,
    "QueryLedgers": 2,
    # trading calls count on the per-pair trading counter instead (trading_limits.py)
    "AddOrder": 0,
    "CancelOrder": 0,
    "AddOrderBatch": 0,
    "CancelOrderBatch": 0,
    "EditOrder": 0,
    "AmendOrder": 0,
}


class RateCounter:
    """Kraken's per-key REST counter: +cost per private call, decaying linearly over time."""

    def __init__(self, clock: Callable[[], float], tier: str | None = None) -> None:
        self.clock = clock
        self.tier = tier
        self._levels: dict[str, tuple[float, float]] = {}

    @property
    def tier(self) -> str | None:
        return self._tier

    @tier.setter
    def tier(self, value: str | None) -> None:
        if value is not None and value not in TIERS:
            raise ValueError(f"unknown rate-limit tier {value!r}; use one of {sorted(TIERS)}")
        self._tier = value
        self._levels = {}

    def level(self, api_key: str) -> float:
        """The key's counter now (after decay)."""
        if self._tier is None:
            return 0.0
        value, at = self._levels.get(api_key, (0.0, self.clock()))
        now = self.clock()
        return max(0.0, value - (now - at) * TIERS[self._tier][1])

    def charge(self, api_key: str, endpoint: str) -> None:
        """Count one call, or raise ``EAPI:Rate limit exceeded`` (which is not counted)."""
        if self._tier is None:
            return
        cost = CALL_COSTS.get(endpoint, 1)
        level = self.level(api_key)
        if level + cost > TIERS[self._tier][0]:
            raise KrakenError(RATE_LIMIT_EXCEEDED)
        self._levels[api_key] = (level + cost, self.clock())
