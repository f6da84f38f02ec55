"""Pure rules of execution: price checks, buy re-sizing from real cash, run outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from core.domain.models import ZERO, Market, PlannedOrder, Quote, SkippedOrder
from core.domain.orders import OrderResult, OrderState
from core.domain.sizing import Wish, size_buys


def moved_prices(
    planned: Mapping[str, Decimal], fresh: Mapping[str, Quote], tolerance_pct: Decimal
) -> list[str]:
    """Assets whose mid price moved more than `tolerance_pct` since the plan (or vanished)."""
    moved = []
    for asset, then in sorted(planned.items()):
        quote = fresh.get(asset)
        if quote is None or quote.bid <= 0 or quote.ask <= 0:
            moved.append(f"{asset}: no price now")
            continue
        change = (quote.mid - then) / then * 100
        if abs(change) > tolerance_pct:
            moved.append(f"{asset} {change:+.2f}%")
    return moved


def resize_buys(
    buys: Sequence[PlannedOrder],
    cash: Decimal,
    markets: Mapping[str, Market],
    min_trade_value: Decimal,
    headroom_pct: Decimal,
) -> tuple[list[PlannedOrder], list[SkippedOrder]]:
    """The planned buys, scaled to the quote cash really available after the sells.

    Prices get `headroom_pct` of room on top of the planned ask, so a market buy whose
    price moved within the tolerance still fits the cash with its fee.
    """
    factor = 1 + headroom_pct / 100
    wishes = [
        Wish(
            b.asset,
            b.side,
            b.amount,
            markets[b.asset],
            Quote(b.symbol, b.price, b.price * factor),
        )
        for b in buys
    ]
    return size_buys(wishes, cash, min_trade_value)


def journal_status(result: OrderResult) -> str:
    """The journal status that records what the exchange said of an order."""
    return {
        OrderState.OPEN: "open",
        OrderState.FILLED: "filled",
        OrderState.PARTIAL: "partial",
        OrderState.CANCELED: "canceled",
        OrderState.REJECTED: "rejected",
    }[result.state]


def run_outcome(statuses: Sequence[str]) -> str:
    """full when every order filled, failed when none did, partial otherwise."""
    if not statuses:
        return "nothing"
    filled = sum(1 for s in statuses if s == "filled")
    if filled == len(statuses):
        return "full"
    some = filled or any(s == "partial" for s in statuses)
    return "partial" if some else "failed"


def total(values: Sequence[Decimal]) -> Decimal:
    return sum(values, ZERO)
