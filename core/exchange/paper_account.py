"""The paper account over its `PaperBook`: balances, funds held by resting orders, writing
orders and fills, and filling the resting orders that live prices trade through."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from core.app.ports import PaperBook
from core.domain.models import ZERO, Market, MarketData
from core.domain.orders import OrderResult
from core.domain.sizing import fmt
from core.domain.statuses import OrderStatus
from core.errors import InsufficientFunds, UnknownOrder
from core.exchange import paper_rules as rules
from core.exchange.snapshot import Snapshot

ONE = Decimal(1)


class PaperAccount:
    """The book's holdings and orders, with the rules of `paper_rules` applied."""

    def __init__(
        self,
        book: PaperBook,
        seed: Mapping[str, Decimal],
        snapshot: Snapshot,
        now: Callable[[], datetime],
        new_id: Callable[[], str],
    ) -> None:
        self._book = book
        self._seed = dict(seed)
        self._snapshot = snapshot
        self._now = now
        self._new_id = new_id

    def orders(self) -> list[OrderResult]:
        return self._book.paper_orders()

    def balances(self) -> dict[str, Decimal]:
        """The book's balances, seeded from PAPER_BALANCES the first time."""
        current = self._book.paper_balances()
        if current is None:
            self._book.seed_paper_balances(self._seed)
            current = dict(self._seed)
        return current

    def holds(self, excluding: OrderResult | None = None) -> dict[str, Decimal]:
        """Funds reserved by resting orders (but `excluding`), per asset."""
        gone = None if excluding is None else excluding.exchange_id
        orders = [o for o in self.orders() if o.exchange_id != gone]
        fees = {o.symbol: self._taker_fee(o.symbol) for o in orders}
        return rules.holds(orders, fees)

    def _taker_fee(self, symbol: str) -> Decimal:
        base, _, quote = symbol.partition("/")
        market = self._snapshot.market(base, quote)
        return rules.FALLBACK_TAKER_FEE if market is None else market.taker_fee

    def check_free(
        self, order: OrderResult, market: Market, replacing: OrderResult | None = None
    ) -> None:
        """InsufficientFunds unless what `order` would hold is free (`replacing`'s hold is)."""
        asset, need = rules.held(order, market.taker_fee)
        free = self.balances().get(asset, ZERO) - self.holds(excluding=replacing).get(asset, ZERO)
        if need > free:
            raise InsufficientFunds(
                f"not enough {asset} for a {order.side} of {fmt(order.amount)} {order.symbol} "
                f"at {order.limit_price}: need {fmt(need)}, free {fmt(free)}",
                reason=rules.INSUFFICIENT_FUNDS,
            )

    def record(self, order: OrderResult, market: Market | None = None) -> OrderResult:
        """Write `order` (and, with `market`, its fill settled into the balances) at once.

        A new order (no exchange id yet) gets its id here, once it is accepted: a refused
        one never had one. An order written closed is stamped with its close time.
        """
        balances = self.balances()
        if market is not None:
            balances = rules.settle(balances, market, order, self.holds(excluding=order))
        now = self._now()
        if not order.exchange_id:
            order = replace(order, exchange_id=self._new_id())
        if order.done and order.closed_at is None:
            order = replace(order, closed_at=now)
        self._book.record_paper_order(balances, order, now)
        return order

    def fill_traded_through(self, data: MarketData) -> None:
        """Fill, as maker at their limit, the resting orders these prices moved through."""
        for order in self.orders():
            base, _, quote_currency = order.symbol.partition("/")
            quote, market = data.quotes.get(base), data.markets.get(base)
            if quote_currency != data.quote_currency or quote is None or market is None:
                continue
            if rules.traded_through(order, quote) and order.limit_price is not None:
                fee = market.maker_fee_or_taker
                self.record(rules.filled_at(order, order.limit_price, fee, ONE), market)

    def order(self, exchange_id: str | None, client_id: str | None) -> OrderResult | None:
        """An order by exchange id, or the latest one with this client id."""
        orders = self.orders()
        if exchange_id is not None:
            return next((o for o in orders if o.exchange_id == exchange_id), None)
        return next((o for o in reversed(orders) if o.client_id == client_id), None)

    def open_order(self, exchange_id: str | None, client_id: str | None) -> OrderResult:
        order = self.order(exchange_id, client_id)
        if order is None or order.state is not OrderStatus.OPEN:
            which = exchange_id or client_id
            raise UnknownOrder(f"no open paper order {which}", reason=rules.UNKNOWN_ORDER)
        return order
