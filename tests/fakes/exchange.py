"""`FakeExchange`: the `Exchange` port in memory, answering each order as the test scripts it.

Orders fill at once at the touch (sells at the bid, buys at the ask, the market's taker
fee) unless `answer(...)` scripted the next ones otherwise: rejected, rate limited, Kraken
unavailable (none of them placed), or the answer lost after the order was booked (found by
the first lookup, or only after `surface()`), or lost with nothing booked; or the process
dies as it sends (before or after the exchange booked the order). `fail(method, error)`
makes the next call fail. Every call is kept in `calls`, so a test can say what was sent and
asked, and in what order; `watchers` run at each call before it is answered (to look at
what the store held by then, or to change the world meanwhile).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from core.domain.models import Balances, MarketData, Quote, Side
from core.domain.orders import OrderRequest, OrderResult
from core.domain.statuses import OrderStatus
from core.errors import (
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    OrderOutcomeUnknown,
    RateLimited,
)
from tests.fakes.processes import ProcessDied


class Answer(StrEnum):
    """What the exchange does with one order."""

    FILL = "fill"  # booked and filled at once; the answer arrives
    REJECT = "reject"  # refused (insufficient funds): certainly not placed
    RATE_LIMITED = "rate_limited"  # EOrder:Rate limit exceeded: not placed
    UNAVAILABLE = "unavailable"  # Kraken unavailable before the order went out: not placed
    LOST_PLACED = "lost_placed"  # booked and filled, then the answer was lost
    LOST_NOT_PLACED = "lost_not_placed"  # the answer was lost and nothing was booked
    LOST_UNSEEN = "lost_unseen"  # booked, the answer lost, lookups miss it until surface()
    DIES_BEFORE_SENDING = "dies_before_sending"  # the process dies; nothing reached Kraken
    DIES_AFTER_SENDING = "dies_after_sending"  # booked and filled; the process dies unanswered


@dataclass(frozen=True)
class Call:
    method: str  # "place_order", "find_orders", "fetch_orders", "market_data", "balances"
    ids: tuple[str, ...] = ()  # the client ids sent or looked up, the exchange ids fetched


class FakeExchange:
    """One account: holdings, the market (markets and quotes), and the orders booked."""

    name = "kraken"

    def __init__(self, holdings: Mapping[str, Decimal], market: MarketData) -> None:
        self.holdings: defaultdict[str, Decimal] = defaultdict(Decimal, holdings)
        self.market = market
        self.calls: list[Call] = []
        self.booked: dict[str, OrderResult] = {}  # by client id: what the exchange holds
        self.watchers: list[Callable[[Call], None]] = []
        self.unseen: set[str] = set()  # booked, but lookups do not find them yet
        self._answers: deque[Answer] = deque()
        self._faults: defaultdict[str, deque[ExchangeError]] = defaultdict(deque)
        self.closed = False

    # -- scripting ------------------------------------------------------------------------

    def answer(self, *answers: Answer) -> None:
        """How the next orders are answered, in turn (then: filled)."""
        self._answers.extend(answers)

    def fail(self, method: str, error: ExchangeError, times: int = 1) -> None:
        """The next `times` calls of `method` (a read, or "place_order") raise `error`."""
        self._faults[method].extend([error] * times)

    def move_price(self, asset: str, factor: Decimal) -> None:
        """The asset's bid and ask multiplied by `factor` (prices move)."""
        old = self.market.quotes[asset]
        moved = Quote(old.symbol, bid=old.bid * factor, ask=old.ask * factor)
        self.market = replace(self.market, quotes={**self.market.quotes, asset: moved})

    def surface(self) -> None:
        """Lookups find every booked order from now on."""
        self.unseen.clear()

    def sent(self) -> list[str]:
        """The client ids of every order sent, in order (a resend would show twice)."""
        return [c.ids[0] for c in self.calls if c.method == "place_order"]

    def lookups(self) -> list[tuple[str, ...]]:
        """The client ids of each lookup by client id, in order."""
        return [c.ids for c in self.calls if c.method == "find_orders"]

    # -- the Exchange port ---------------------------------------------------------------

    async def market_data(self, assets: Sequence[str], quote: str) -> MarketData:
        self._called("market_data")
        known = [a for a in assets if a in self.market.quotes]
        return replace(
            self.market,
            markets={a: self.market.markets[a] for a in known},
            quotes={a: self.market.quotes[a] for a in known},
            blocked={a: "no market" for a in assets if a not in self.market.quotes},
        )

    async def balances(self) -> Balances:
        self._called("balances")
        return Balances({a: v for a, v in self.holdings.items() if v})

    async def tradable_assets(self, quote: str) -> frozenset[str]:
        return frozenset(m.base for m in self.market.markets.values() if m.quote == quote)

    async def place_order(self, request: OrderRequest) -> OrderResult:
        self._called("place_order", (request.client_id,))
        answer = self._answers.popleft() if self._answers else Answer.FILL
        if answer is Answer.DIES_BEFORE_SENDING:
            raise ProcessDied(f"died sending {request.client_id}")
        if answer is Answer.REJECT:
            raise InsufficientFunds("Kraken refused the order", reason="EOrder:Insufficient funds")
        if answer is Answer.RATE_LIMITED:
            raise RateLimited("rate limited", reason="EOrder:Rate limit exceeded")
        if answer is Answer.UNAVAILABLE:
            raise ExchangeUnavailable("Kraken is unavailable", reason="EService:Unavailable")
        if answer is Answer.LOST_NOT_PLACED:
            raise _lost(request)
        result = self._book(request)
        if answer is Answer.DIES_AFTER_SENDING:
            raise ProcessDied(f"died waiting for the answer to {request.client_id}")
        if answer is Answer.LOST_UNSEEN:
            self.unseen.add(request.client_id)
        if answer is not Answer.FILL:
            raise _lost(request)
        return result

    async def find_orders(self, client_ids: Sequence[str]) -> dict[str, OrderResult]:
        self._called("find_orders", tuple(client_ids))
        seen = set(self.booked) - self.unseen
        return {cid: self.booked[cid] for cid in client_ids if cid in seen}

    async def fetch_orders(self, exchange_ids: Sequence[str]) -> dict[str, OrderResult]:
        self._called("fetch_orders", tuple(exchange_ids))
        wanted = set(exchange_ids)
        return {r.exchange_id: r for r in self.booked.values() if r.exchange_id in wanted}

    async def close(self) -> None:
        self.closed = True

    # -- inside ---------------------------------------------------------------------------

    def _called(self, method: str, ids: tuple[str, ...] = ()) -> None:
        call = Call(method, ids)
        self.calls.append(call)
        for watch in self.watchers:
            watch(call)
        if self._faults[method]:
            raise self._faults[method].popleft()

    def _book(self, request: OrderRequest) -> OrderResult:
        """Fill the order whole at the touch, taker fee in the quote currency."""
        base, _, quote = request.symbol.partition("/")
        touch = self.market.quotes[base]
        price = touch.bid if request.side is Side.SELL else touch.ask
        cost = request.amount * price
        fee = cost * self.market.markets[base].taker_fee
        sign = 1 if request.side is Side.BUY else -1
        self.holdings[base] += sign * request.amount
        self.holdings[quote] -= sign * cost + fee
        result = OrderResult(
            client_id=request.client_id,
            exchange_id=f"TX{len(self.booked) + 1}",
            symbol=request.symbol,
            side=request.side,
            state=OrderStatus.FILLED,
            amount=request.amount,
            filled=request.amount,
            average_price=price,
            cost=cost,
            fee=fee,
            fee_currency=quote,
        )
        self.booked[request.client_id] = result
        return result


def _lost(request: OrderRequest) -> OrderOutcomeUnknown:
    return OrderOutcomeUnknown(
        f"the answer to order {request.client_id} was lost; it may or may not have been "
        "placed: look it up by its client order id, never send it again",
        reason="timeout",
    )


__all__ = ["Answer", "Call", "FakeExchange"]
