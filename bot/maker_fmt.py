"""What both front ends say of maker-first execution (ORDER_TYPE=maker-first): per order,
the maker share of the filled amount, the fee against the taker fee, the slippage against
the plan's mid and the time it took; per run and in the statistics, the fee saved."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from bot import fmt
from core.app.api import OrderOutcome, Stats
from core.domain.models import HUNDRED, ZERO


def order_detail(o: OrderOutcome, quote: str) -> str | None:
    """'62.5% maker, fee 1.25 EUR (taker 2.00), slippage -3.1 bps, 42 s'; None: a market order."""
    if o.taker_fee_equivalent is None:
        return None
    parts = [
        "nothing filled" if o.maker_share is None else f"{fmt.pct(o.maker_share * HUNDRED)} maker",
        f"fee {fmt.money(o.fee)} {quote} (taker {fmt.money(o.taker_fee_equivalent)})",
    ]
    if o.slippage_bps is not None:  # rounded here: the formatting context is not ours to trust
        bps = o.slippage_bps.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
        parts.append(f"slippage {bps:+f} bps")
    if o.seconds is not None:
        parts.append(f"{o.seconds:.0f} s")
    return ", ".join(parts)


def run_saving(orders: Sequence[OrderOutcome], quote: str) -> str | None:
    """'Maker-first: 80.0% of the filled value as maker; fees 2.50 EUR, 4.00 at the taker fee
    (saved 1.50 EUR).'; None when no order was worked maker-first or nothing filled."""
    worked = [o for o in orders if o.taker_fee_equivalent is not None and o.cost > 0]
    if not worked:
        return None
    value = sum((o.cost for o in worked), ZERO)
    maker = sum((o.cost * (o.maker_share or ZERO) for o in worked), ZERO)
    fees = sum((o.fee for o in worked), ZERO)
    taker = sum((o.taker_fee_equivalent or ZERO for o in worked), ZERO)
    return (
        f"Maker-first: {fmt.pct(maker / value * HUNDRED)} of the filled value as maker; "
        f"fees {fmt.money(fees)} {quote}, {fmt.money(taker)} at the taker fee "
        f"(saved {fmt.money(taker - fees)} {quote})."
    )


def stats_saving(s: Stats) -> str | None:
    """'Maker-first: 91.0% made as maker; fee saved against the taker fee: 12.34 EUR'."""
    if s.fee_saved is None:
        return None
    share = "—" if s.maker_share is None else fmt.pct(s.maker_share * HUNDRED)
    return (
        f"Maker-first: {share} made as maker; fee saved against the taker fee: "
        f"{fmt.money(s.fee_saved)} {s.quote_currency}"
    )
