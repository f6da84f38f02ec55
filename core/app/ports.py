"""Ports: what the core needs from the outside world, as Protocols.

Adapters live in `core.exchange` (Kraken via ccxt, paper) and `core.store` (SQLModel).
Every adapter method raises only errors from `core.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.domain.models import Balances, MarketData, Quote
from core.domain.orders import AmendResult, OrderAmend, OrderRequest, OrderResult


class Exchange(Protocol):
    """A spot exchange account. Implementations: `KrakenExchange`, `PaperExchange`."""

    name: str  # "kraken" or "paper"

    async def market_data(self, assets: Sequence[str], quote: str) -> MarketData:
        """Markets (cached, refreshed at most daily) and fresh quotes, in ONE ticker request.

        Assets without a usable market or price are listed in `MarketData.blocked` with
        the reason; a price is never defaulted to zero.
        """
        ...

    async def balances(self) -> Balances:
        """Current holdings (one request)."""
        ...

    async def tradable_assets(self, quote: str) -> frozenset[str]:
        """Assets that have an online market against `quote` (from the cached markets)."""
        ...

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Send one order (market unless the request says limit), exactly once. Never retried.

        Raises OrderRejected (and subclasses) when it was certainly not placed, and
        OrderOutcomeUnknown when the answer was lost: then call `find_orders`.
        """
        ...

    async def find_orders(self, client_ids: Sequence[str]) -> dict[str, OrderResult]:
        """Look orders up by client order id among open and closed orders.

        Ids the exchange does not know are absent from the result.
        """
        ...

    async def fetch_orders(self, exchange_ids: Sequence[str]) -> dict[str, OrderResult]:
        """Current state of several orders by exchange id, in one request."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MakerExchange(Exchange, Protocol):
    """An exchange whose limit orders rest and can be moved (maker-first execution).
    Implementations: `KrakenExchange`, `PaperExchange` (which simulates resting orders)."""

    async def amend_order(self, amend: OrderAmend) -> AmendResult:
        """Move a resting limit order's price and/or quantity in place, exactly once.

        The order keeps its exchange id, client id and fills. Raises PostOnlyRejected when a
        post-only amend would cross, UnknownOrder when the order is no longer open, and
        AmendOutcomeUnknown when the answer was lost: then read the order.
        """
        ...

    async def cancel_order(
        self, *, exchange_id: str | None = None, client_id: str | None = None
    ) -> OrderResult:
        """Cancel one order, exactly once, and return its confirmed state (fills included).

        An order already closed is returned as it is; UnknownOrder when none has this id;
        CancelOutcomeUnknown when the answer was lost: then read the order.
        """
        ...

    async def touch(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Best bid and ask of each known symbol, in ONE ticker request."""
        ...


class PaperBook(Protocol):
    """Where the paper exchange keeps its account. Implementation: `core.store.repo.Store`."""

    def paper_balances(self) -> dict[str, Decimal] | None:
        """Holdings by asset; None until the book has been seeded."""
        ...

    def seed_paper_balances(self, balances: Mapping[str, Decimal]) -> None:
        """Start the book with exactly these holdings."""
        ...

    def record_paper_order(
        self, balances: Mapping[str, Decimal], order: OrderResult, now: datetime
    ) -> None:
        """Write the whole book after `order`, and the order, in ONE transaction."""
        ...

    def paper_orders(self) -> list[OrderResult]:
        """Every paper order, oldest first."""
        ...
