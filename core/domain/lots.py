"""The lot ledger's values: what goes in (fills, adjustments) and what comes out (lots, matches).

Inputs are plain values a store can hand over row by row. A `Fill` is one exchange order as it
filled; an `Adjustment` is a change of holdings the bot did not trade: the opening lot of a
holding that predates the bot, or a deposit or withdrawal that a sync with the exchange found.

Fees and cost basis, in the quote currency:
- fee in quote: a buy's lot costs `cost + fee`; a sell's proceeds are `cost - fee`.
- fee in the base asset: the exchange reports the gross amount and takes the fee from the
  asset's balance. A buy's lot holds `amount - fee` and costs `cost` (the whole quote spent, so
  the fee is in the basis); a sell gives up `amount + fee` from the lots and its proceeds are
  `cost`. Either way the fee lowers P&L: the units it took carry cost and bring nothing.
  (This is how the exchange reports it: `amount` is gross, the fee leaves the balance apart.)
- fee in a third currency (e.g. Kraken's KFEE credits): no price is known for it, so it is left
  out of cost and proceeds and the fill is listed in `Ledger.uncounted_fees`, never ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from core.domain.models import ZERO, Side

PLACES = 12  # decimals of prorated costs and proceeds (quote units), when they run longer
QUANTUM = Decimal(1).scaleb(-PLACES)


class AdjustmentKind(StrEnum):
    OPENING = "opening"  # a holding that predates the bot, found at the first sync
    DEPOSIT = "deposit"  # more on the exchange than the lots hold, found by a later sync
    WITHDRAWAL = "withdrawal"  # less on the exchange than the lots hold


def _aware(when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"time {when.isoformat()} has no time zone")


@dataclass(frozen=True)
class Fill:
    """One exchange order as it filled (amount, average price, cost and fee as reported)."""

    mode: str  # "paper" or "live"
    asset: str  # base, e.g. "ETH"
    quote: str  # e.g. "EUR"
    side: Side
    amount: Decimal  # base units filled, gross of any fee in the base asset
    price: Decimal  # average fill price
    cost: Decimal  # quote units traded
    fee: Decimal
    fee_currency: str
    time: datetime  # the exchange's close time of the order, time-zone aware
    order_id: str  # the exchange's order id
    client_order_id: str | None = None
    run_id: int | None = None
    trigger: str = ""  # what started the run: e.g. "telegram", "cli", "schedule"

    def __post_init__(self) -> None:
        _aware(self.time)
        if self.amount <= 0 or self.cost < 0 or self.fee < 0:
            raise ValueError(f"fill {self.order_id}: amount must be > 0, cost and fee >= 0")
        if self.fee_currency == self.asset and self.side is Side.BUY and self.fee >= self.amount:
            raise ValueError(f"fill {self.order_id}: a fee in {self.asset} eats the whole buy")

    @property
    def symbol(self) -> str:
        return f"{self.asset}/{self.quote}"

    @property
    def fee_value(self) -> Decimal | None:
        """The fee in quote units (a base-asset fee at the fill price); None when unpriceable."""
        if self.fee_currency == self.quote:
            return self.fee
        if self.fee_currency == self.asset:
            return self.fee * self.price
        return None if self.fee else ZERO

    @property
    def moved(self) -> Decimal:
        """Base units this fill added to (buy) or took from (sell) the holdings."""
        base_fee = self.fee if self.fee_currency == self.asset else ZERO
        return self.amount - base_fee if self.side is Side.BUY else self.amount + base_fee

    @property
    def quote_moved(self) -> Decimal:
        """A buy's lot cost, or a sell's proceeds, in quote units."""
        quote_fee = self.fee if self.fee_currency == self.quote else ZERO
        return self.cost + quote_fee if self.side is Side.BUY else self.cost - quote_fee


@dataclass(frozen=True)
class Adjustment:
    """A change of holdings outside the bot's orders; `price` (quote per unit) values lots in.

    Openings and deposits become lots at `price` and are estimated unless the owner stated
    the price; withdrawals take lots out FIFO, realizing nothing (the coins left, unsold).
    """

    mode: str
    asset: str
    kind: AdjustmentKind
    amount: Decimal  # base units, > 0
    time: datetime
    price: Decimal = ZERO  # openings and deposits only
    estimated: bool = True

    def __post_init__(self) -> None:
        _aware(self.time)
        if self.amount <= 0 or self.price < 0:
            raise ValueError(f"{self.kind} of {self.asset}: amount must be > 0, price >= 0")


@dataclass(frozen=True)
class Lot:
    """An open lot: base units still held from one buy or adjustment, and what they cost."""

    asset: str
    opened_at: datetime
    amount: Decimal
    cost: Decimal  # quote units, fees included
    estimated: bool  # the cost comes from an estimated price, not a real fill
    origin: str  # the buy's exchange order id, or "opening" / "deposit"

    @property
    def price(self) -> Decimal:
        return self.cost / self.amount


@dataclass(frozen=True)
class Match:
    """Part of a lot closed by a sell: a realized gain or loss."""

    asset: str
    opened_at: datetime
    closed_at: datetime
    amount: Decimal
    cost: Decimal
    proceeds: Decimal
    estimated: bool  # the lot's cost was estimated
    origin: str  # the lot's origin
    order_id: str  # the sell's exchange order id

    @property
    def pnl(self) -> Decimal:
        return self.proceeds - self.cost


@dataclass(frozen=True)
class Withdrawn:
    """Part of a lot taken out by a withdrawal: it leaves with its cost, realizing nothing."""

    asset: str
    opened_at: datetime
    closed_at: datetime
    amount: Decimal
    cost: Decimal
    estimated: bool
    origin: str


@dataclass(frozen=True)
class Shortfall:
    """A sell or withdrawal beyond the open lots: the uncovered amount has no known cost.

    Lots never go negative: the uncovered part is left out of realized P&L (its share of the
    proceeds is kept here) until an opening lot or a stated basis covers it.
    """

    asset: str
    time: datetime
    amount: Decimal
    proceeds: Decimal  # the uncovered part's share of the sell's proceeds; 0 for withdrawals
    order_id: str  # the sell's order id, or "withdrawal"


@dataclass(frozen=True)
class Ledger:
    """FIFO lots of one trading mode in one quote currency, replayed from its inputs."""

    mode: str
    quote: str
    lots: tuple[Lot, ...]  # open lots, by asset then oldest first
    matches: tuple[Match, ...]  # in the order the sells happened
    withdrawn: tuple[Withdrawn, ...] = ()
    shortfalls: tuple[Shortfall, ...] = ()
    fills: tuple[Fill, ...] = ()  # the fills entered, in ledger order
    adjustments: tuple[Adjustment, ...] = ()  # the adjustments entered, in ledger order
    other_quote: tuple[Fill, ...] = ()  # this mode's fills in another quote: not entered
    uncounted_fees: tuple[Fill, ...] = ()  # fees in a third currency: not in any figure

    def open_amount(self, asset: str) -> Decimal:
        return sum((lot.amount for lot in self.lots if lot.asset == asset), ZERO)

    def assets(self) -> tuple[str, ...]:
        """Every asset with an open lot or a realized match, sorted."""
        return tuple(sorted({x.asset for x in self.lots} | {m.asset for m in self.matches}))


def prorate(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """`total * part / whole`, rounded to `QUANTUM` only when longer, never beyond `total`.

    Keeping shares on a fixed grain keeps `total - share` exact, so cost is conserved:
    what the matches took plus what stays open is exactly what the lots cost.
    """
    share = total * part / whole
    exponent = share.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PLACES:
        share = share.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)
    return min(share, total) if total >= 0 else max(share, total)
