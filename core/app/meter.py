"""How many requests this process sent the exchange, and how many failed, by kind: plain
counters the exchange adapter ticks and the front ends read (the HTTP API's /metrics)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class ExchangeCalls:
    """A snapshot: requests by method (Kraken's endpoint name) and errors by kind (the
    `core.errors` class name)."""

    requests: Mapping[str, int] = field(default_factory=dict)
    errors: Mapping[str, int] = field(default_factory=dict)


class CallMeter:
    """Counters of one process; the adapter calls `request` and `error`, readers `snapshot`."""

    def __init__(self) -> None:
        self._requests: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()

    def request(self, method: str) -> None:
        self._requests[method] += 1

    def error(self, kind: str) -> None:
        self._errors[kind] += 1

    def snapshot(self) -> ExchangeCalls:
        return ExchangeCalls(
            MappingProxyType(dict(self._requests)), MappingProxyType(dict(self._errors))
        )
