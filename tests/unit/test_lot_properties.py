"""Invariants of the lot ledger over random fills and adjustments (hypothesis).

Each property is checked against sums computed here from the inputs alone: what the fills
and adjustments moved in and out, what they cost and what they brought in.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.domain.ledger import build_ledger, reconcile
from core.domain.lots import Adjustment, AdjustmentKind, Fill, Ledger
from core.domain.models import ZERO, Side
from tests.unit.builders import EUR
from tests.unit.lot_builders import T0

ASSETS = ("BTC", "ETH", "ADA")
MODES = ("live", "paper")
GRAIN = Decimal("1e-9")  # prorated costs are kept to 1e-12 a slice: far below this

amounts = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(50), places=8)
prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(60000), places=4)
rates = st.decimals(min_value=ZERO, max_value=Decimal("0.01"), places=4)


@st.composite
def fills(draw: st.DrawFn, base_fees: bool = True) -> Fill:
    asset, side = draw(st.sampled_from(ASSETS)), draw(st.sampled_from(Side))
    amount, price, rate = draw(amounts), draw(prices), draw(rates)
    in_base = base_fees and draw(st.booleans())
    fee = (amount * rate).quantize(Decimal("1e-10")) if in_base else (amount * price * rate)
    return Fill(
        mode=draw(st.sampled_from(MODES)),
        asset=asset,
        quote=EUR,
        side=side,
        amount=amount,
        price=price,
        cost=amount * price,
        fee=fee,
        fee_currency=asset if in_base else EUR,
        time=T0 + timedelta(minutes=draw(st.integers(0, 500))),
        order_id=f"O{draw(st.integers(0, 10**9))}",
    )


@st.composite
def adjustments(draw: st.DrawFn) -> Adjustment:
    return Adjustment(
        mode=draw(st.sampled_from(MODES)),
        asset=draw(st.sampled_from(ASSETS)),
        kind=draw(st.sampled_from(AdjustmentKind)),
        amount=draw(amounts),
        time=T0 + timedelta(minutes=draw(st.integers(0, 500))),
        price=draw(prices),
    )


fill_lists = st.lists(fills(), max_size=25)
adjustment_lists = st.lists(adjustments(), max_size=6)


def moved(
    fills: list[Fill], adjusts: list[Adjustment], mode: str, asset: str
) -> tuple[Decimal, Decimal]:
    """Base units put in and taken out by this mode's inputs for `asset`."""
    mine = [f for f in fills if f.mode == mode and f.asset == asset]
    adj = [a for a in adjusts if a.mode == mode and a.asset == asset]
    put = sum((f.moved for f in mine if f.side is Side.BUY), ZERO) + sum(
        (a.amount for a in adj if a.kind is not AdjustmentKind.WITHDRAWAL), ZERO
    )
    took = sum((f.moved for f in mine if f.side is Side.SELL), ZERO) + sum(
        (a.amount for a in adj if a.kind is AdjustmentKind.WITHDRAWAL), ZERO
    )
    return put, took


def per_asset(ledger: Ledger, asset: str) -> dict[str, Decimal]:
    return {
        "open": sum((x.amount for x in ledger.lots if x.asset == asset), ZERO),
        "matched": sum((m.amount for m in ledger.matches if m.asset == asset), ZERO),
        "withdrawn": sum((w.amount for w in ledger.withdrawn if w.asset == asset), ZERO),
        "short": sum((s.amount for s in ledger.shortfalls if s.asset == asset), ZERO),
    }


@settings(max_examples=150, deadline=None)
@given(fill_lists, adjustment_lists, st.sampled_from(MODES))
def test_every_unit_put_in_is_still_open_or_went_out_and_every_unit_out_is_accounted(
    fills: list[Fill], adjusts: list[Adjustment], mode: str
) -> None:
    ledger = build_ledger(mode, EUR, fills, adjusts)
    for asset in ASSETS:
        put, took = moved(fills, adjusts, mode, asset)
        n = per_asset(ledger, asset)
        assert put == n["open"] + n["matched"] + n["withdrawn"]
        assert took == n["matched"] + n["withdrawn"] + n["short"]


@settings(max_examples=150, deadline=None)
@given(fill_lists, adjustment_lists, st.sampled_from(MODES))
def test_what_lots_cost_is_exactly_what_matches_withdrawals_and_open_lots_carry(
    fills: list[Fill], adjusts: list[Adjustment], mode: str
) -> None:
    ledger = build_ledger(mode, EUR, fills, adjusts)
    mine = [f for f in fills if f.mode == mode]
    paid = sum((f.quote_moved for f in mine if f.side is Side.BUY), ZERO) + sum(
        (
            a.amount * a.price
            for a in adjusts
            if a.mode == mode and a.kind is not AdjustmentKind.WITHDRAWAL
        ),
        ZERO,
    )
    carried = (
        sum((x.cost for x in ledger.lots), ZERO)
        + sum((m.cost for m in ledger.matches), ZERO)
        + sum((w.cost for w in ledger.withdrawn), ZERO)
    )
    received = sum((f.quote_moved for f in mine if f.side is Side.SELL), ZERO)
    counted = sum((m.proceeds for m in ledger.matches), ZERO) + sum(
        (x.proceeds for x in ledger.shortfalls), ZERO
    )
    assert paid == carried
    assert received == counted


@settings(max_examples=150, deadline=None)
@given(fill_lists, adjustment_lists, st.sampled_from(MODES))
def test_lots_never_go_negative(fills: list[Fill], adjusts: list[Adjustment], mode: str) -> None:
    ledger = build_ledger(mode, EUR, fills, adjusts)

    assert all(x.amount > 0 and x.cost >= 0 for x in ledger.lots)
    assert all(m.amount > 0 and m.cost >= 0 for m in ledger.matches)
    assert all(s.amount > 0 for s in ledger.shortfalls)


@settings(max_examples=100, deadline=None)
@given(fill_lists, adjustment_lists, st.sampled_from(MODES))
def test_a_ledger_of_one_mode_is_the_same_whatever_the_other_mode_did(
    fills: list[Fill], adjusts: list[Adjustment], mode: str
) -> None:
    alone = build_ledger(
        mode, EUR, [f for f in fills if f.mode == mode], [a for a in adjusts if a.mode == mode]
    )

    assert build_ledger(mode, EUR, fills, adjusts) == alone
    assert all(f.mode == mode for f in alone.fills)
    assert all(a.mode == mode for a in alone.adjustments)


def total_pnl(ledger: Ledger, price: Decimal) -> Decimal:
    """Realized P&L plus the open lots at `price`."""
    return sum((m.pnl for m in ledger.matches), ZERO) + sum(
        (x.amount * price - x.cost for x in ledger.lots), ZERO
    )


def without_fees(fills: list[Fill]) -> list[Fill]:
    return [replace(f, fee=ZERO) for f in fills]


@settings(max_examples=150, deadline=None)
@given(st.lists(fills(base_fees=False), max_size=25), prices)
def test_fees_in_quote_always_reduce_realized_and_total_pnl(
    fills: list[Fill], price: Decimal
) -> None:
    paid = build_ledger("live", EUR, fills)
    free = build_ledger("live", EUR, without_fees(fills))

    realized = sum((m.pnl for m in paid.matches), ZERO)
    assert realized <= sum((m.pnl for m in free.matches), ZERO) + GRAIN
    assert total_pnl(paid, price) <= total_pnl(free, price) + GRAIN


def _eth(f: Fill, minute: int) -> Fill:
    fee_currency = EUR if f.fee_currency == EUR else "ETH"
    at = T0 + timedelta(minutes=minute)
    return replace(f, mode="live", asset="ETH", fee_currency=fee_currency, time=at)


def _within(sell: Fill, held: Decimal, rate: Decimal) -> Fill | None:
    """`sell` resized to half of what is held, its fee within what remains."""
    amount = (held / 2).quantize(Decimal("1e-8"), ROUND_DOWN)  # never the context's rounding
    if amount <= 0:
        return None
    fee = amount * rate / 2 if sell.fee_currency != EUR else sell.fee
    return replace(sell, amount=amount, cost=amount * sell.price, fee=fee)


@st.composite
def covered_fills(draw: st.DrawFn) -> list[Fill]:
    """Buys and sells of ETH, fees in ETH or in EUR, never selling beyond the lots."""
    out: list[Fill] = []
    held = ZERO
    for i, drawn in enumerate(draw(st.lists(fills(), min_size=1, max_size=20))):
        f: Fill | None = _eth(drawn, i)
        if f is not None and f.side is Side.SELL:
            f = _within(f, held, draw(rates))
        if f is not None:
            out.append(f)
            held += f.moved if f.side is Side.BUY else -f.moved
    return out


@settings(max_examples=150, deadline=None)
@given(covered_fills(), prices)
def test_fees_in_the_asset_always_reduce_realized_and_total_pnl(
    fills: list[Fill], price: Decimal
) -> None:
    paid = build_ledger("live", EUR, fills)
    free = build_ledger("live", EUR, without_fees(fills))

    assert paid.shortfalls == free.shortfalls == ()
    realized = sum((m.pnl for m in paid.matches), ZERO)
    assert realized <= sum((m.pnl for m in free.matches), ZERO) + GRAIN
    assert total_pnl(paid, price) <= total_pnl(free, price) + GRAIN


balances = st.dictionaries(
    st.sampled_from((*ASSETS, EUR)), st.decimals(min_value=ZERO, max_value=Decimal(100), places=8)
)


@settings(max_examples=150, deadline=None)
@given(fill_lists, adjustment_lists, balances, st.booleans())
def test_after_a_sync_the_open_lots_of_every_asset_equal_the_exchange_balance(
    fills: list[Fill], adjusts: list[Adjustment], tradable: dict[str, Decimal], first: bool
) -> None:
    earlier = [] if first else adjusts
    ledger = build_ledger("live", EUR, fills, earlier)
    now = T0 + timedelta(days=1)

    found = reconcile(ledger, tradable, {"ETH": Decimal(2000)}, now, first_seen=T0)

    synced = build_ledger("live", EUR, fills, (*earlier, *found))
    for asset in ASSETS:
        assert synced.open_amount(asset) == tradable.get(asset, ZERO)
    assert synced.open_amount(EUR) == ZERO
    assert reconcile(synced, tradable, {}, now) == ()
    if first:
        assert synced.shortfalls == ()
