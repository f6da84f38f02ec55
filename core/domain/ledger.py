"""The FIFO lot ledger: fills and adjustments replayed into open lots, matches and flags. Pure.

One ledger per trading mode and quote currency: `build_ledger` keeps only the inputs of its
mode (paper lots never mix with live ones) and lists this mode's fills in another quote
instead of mixing their units. Events are replayed in time order; at the same instant
openings come first, then deposits, then fills in the order given, then withdrawals.

Lots never go negative: a sell beyond the open lots closes what is there and records the
rest as a `Shortfall` (amount and share of proceeds, out of realized P&L), flagged, never
absorbed. `reconcile` turns a difference from the exchange's tradable balance into explicit
adjustments; replaying with them makes the open lots of every asset equal that balance.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from core.domain.lots import (
    Adjustment,
    AdjustmentKind,
    Fill,
    Ledger,
    Lot,
    Match,
    Shortfall,
    Withdrawn,
    prorate,
)
from core.domain.models import ZERO, Side
from core.errors import InputError

_RANK = {AdjustmentKind.OPENING: 0, AdjustmentKind.DEPOSIT: 1, AdjustmentKind.WITHDRAWAL: 3}


def _order(event: Fill | Adjustment) -> tuple[datetime, int]:
    return event.time, 2 if isinstance(event, Fill) else _RANK[event.kind]


def take_fifo(
    lots: Sequence[Lot], amount: Decimal
) -> tuple[tuple[Lot, ...], tuple[Lot, ...], Decimal]:
    """Take `amount` from the oldest lots: (parts taken, lots left, amount not covered)."""
    left = deque(lots)
    taken, short = _take(left, amount)
    return taken, tuple(left), short


def _take(queue: deque[Lot], amount: Decimal) -> tuple[tuple[Lot, ...], Decimal]:
    """Take `amount` off the front of `queue` (changed in place); a lot split keeps its rest."""
    taken: list[Lot] = []
    while amount > 0 and queue:
        lot = queue.popleft()
        if lot.amount <= amount:
            taken.append(lot)
            amount -= lot.amount
            continue
        cost = prorate(lot.cost, amount, lot.amount)
        taken.append(replace(lot, amount=amount, cost=cost))
        queue.appendleft(replace(lot, amount=lot.amount - amount, cost=lot.cost - cost))
        amount = ZERO
    return tuple(taken), amount


def split(total: Decimal, parts: Sequence[Decimal], whole: Decimal) -> list[Decimal]:
    """`total` shared in proportion to `parts` of `whole`; the last share takes the remainder."""
    shares = [prorate(total, part, whole) for part in parts[:-1]]
    return [*shares, total - sum(shares, ZERO)] if parts else []


def _match(part: Lot, sell: Fill, proceeds: Decimal) -> Match:
    return Match(
        asset=part.asset,
        opened_at=part.opened_at,
        closed_at=sell.time,
        amount=part.amount,
        cost=part.cost,
        proceeds=proceeds,
        estimated=part.estimated,
        origin=part.origin,
        order_id=sell.order_id,
    )


class _Book:
    """The replay's working state: private to one `build_ledger` call."""

    def __init__(self) -> None:
        self.open: defaultdict[str, deque[Lot]] = defaultdict(deque)
        self.matches: list[Match] = []
        self.withdrawn: list[Withdrawn] = []
        self.shortfalls: list[Shortfall] = []

    def take(self, asset: str, amount: Decimal) -> tuple[tuple[Lot, ...], Decimal]:
        return _take(self.open[asset], amount)

    def add(self, lot: Lot) -> None:
        self.open[lot.asset].append(lot)

    def fill(self, f: Fill) -> None:
        if f.side is Side.BUY:
            self.add(Lot(f.asset, f.time, f.moved, f.quote_moved, False, f.order_id))
            return
        taken, short = self.take(f.asset, f.moved)
        amounts = [t.amount for t in taken] + ([short] if short else [])
        shares = split(f.quote_moved, amounts, f.moved)
        self.matches += [_match(t, f, p) for t, p in zip(taken, shares, strict=False)]
        if short:
            self.shortfalls.append(Shortfall(f.asset, f.time, short, shares[-1], f.order_id))

    def adjust(self, a: Adjustment) -> None:
        if a.kind is not AdjustmentKind.WITHDRAWAL:
            self.add(Lot(a.asset, a.time, a.amount, a.amount * a.price, a.estimated, a.kind.value))
            return
        taken, short = self.take(a.asset, a.amount)
        self.withdrawn += [
            Withdrawn(t.asset, t.opened_at, a.time, t.amount, t.cost, t.estimated, t.origin)
            for t in taken
        ]
        if short:
            self.shortfalls.append(Shortfall(a.asset, a.time, short, ZERO, "withdrawal"))

    def lots(self) -> tuple[Lot, ...]:
        return tuple(lot for asset in sorted(self.open) for lot in self.open[asset])


def build_ledger(
    mode: str, quote: str, fills: Iterable[Fill] = (), adjustments: Iterable[Adjustment] = ()
) -> Ledger:
    """Replay this mode's fills in `quote` and its adjustments, FIFO per asset."""
    mine = [f for f in fills if f.mode == mode]
    entered = [f for f in mine if f.quote == quote]
    given: list[Fill | Adjustment] = [*(a for a in adjustments if a.mode == mode), *entered]
    events = sorted(given, key=_order)
    book = _Book()
    for event in events:
        if isinstance(event, Fill):
            book.fill(event)
        else:
            book.adjust(event)
    return Ledger(
        mode=mode,
        quote=quote,
        lots=book.lots(),
        matches=tuple(book.matches),
        withdrawn=tuple(book.withdrawn),
        shortfalls=tuple(book.shortfalls),
        fills=tuple(e for e in events if isinstance(e, Fill)),
        adjustments=tuple(e for e in events if isinstance(e, Adjustment)),
        other_quote=tuple(f for f in mine if f.quote != quote),
        uncounted_fees=tuple(f for f in entered if f.fee_value is None),
    )


def reconcile(
    ledger: Ledger,
    tradable: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    at: datetime,
    first_seen: datetime | None = None,
) -> tuple[Adjustment, ...]:
    """The adjustments that make every asset's open lots equal its tradable balance.

    `tradable` is the exchange's tradable balance per asset (the quote currency is ignored:
    cash has no lots). At the first sync (the ledger has no adjustments yet) a surplus is an
    OPENING lot: holdings that predate the bot, dated `first_seen` (when the bot first saw
    the account; `at` if not given) or at the first shortfall if earlier, and grown by the
    ledger's shortfalls so that sells of those holdings already in the fills are covered.
    Later surpluses are DEPOSITs; a deficit is a WITHDRAWAL. Deposits and withdrawals are
    dated `at`, never before the ledger's last event. Lots enter at `prices` (0 when an
    asset has no price), estimated; the owner can state the real price (`state_basis`).
    """
    first = not ledger.adjustments
    held = {asset for asset, amount in tradable.items() if amount}
    short = {s.asset for s in ledger.shortfalls} if first else set()
    assets = sorted((held | short | {lot.asset for lot in ledger.lots}) - {ledger.quote})
    times = [f.time for f in ledger.fills] + [a.time for a in ledger.adjustments]
    when = max([at, *times])
    return tuple(
        adjustment
        for asset in assets
        for adjustment in _settle(
            ledger,
            asset,
            tradable.get(asset, ZERO) - ledger.open_amount(asset),
            price=prices.get(asset, ZERO),
            first=first,
            opened=first_seen or at,
            when=when,
        )
    )


def _settle(
    ledger: Ledger,
    asset: str,
    diff: Decimal,
    *,
    price: Decimal,
    first: bool,
    opened: datetime,
    when: datetime,
) -> list[Adjustment]:
    """One asset's adjustments for a difference `diff` = balance - open lots."""
    shorts = [s for s in ledger.shortfalls if s.asset == asset] if first else []
    surplus = max(diff, ZERO) + sum((s.amount for s in shorts), ZERO)
    out = []
    if surplus > 0:
        kind = AdjustmentKind.OPENING if first else AdjustmentKind.DEPOSIT
        dated = min([opened, *(s.time for s in shorts)]) if first else when
        out.append(Adjustment(ledger.mode, asset, kind, surplus, dated, price))
    if diff < 0:
        out.append(Adjustment(ledger.mode, asset, AdjustmentKind.WITHDRAWAL, -diff, when))
    return out


def state_basis(
    adjustments: Iterable[Adjustment], mode: str, asset: str, price: Decimal
) -> tuple[Adjustment, ...]:
    """The adjustments with `asset`'s opening lots at the owner's `price`, no longer estimated.

    Raises InputError when the price is not positive or the asset has no opening lot in
    `mode` (its cost then comes from real fills, or from a deposit).
    """
    if not price.is_finite() or price <= 0:
        raise InputError(f"The price must be a positive number, like 2000 (got {price}).")
    given = tuple(adjustments)
    if not any(_is_opening(a, mode, asset) for a in given):
        raise InputError(f"{asset} has no opening lot in {mode} mode: its cost comes from fills.")
    return tuple(
        replace(a, price=price, estimated=False) if _is_opening(a, mode, asset) else a
        for a in given
    )


def _is_opening(a: Adjustment, mode: str, asset: str) -> bool:
    return a.kind is AdjustmentKind.OPENING and a.mode == mode and a.asset == asset
