"""Domain values: frozen dataclasses over Decimal. No I/O, no clock, no exchange types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class LineStatus(StrEnum):
    """How the planner treats one holding."""

    MANAGED = "managed"  # has a target and may be traded
    QUOTE = "quote"  # the quote currency: cash, traded against, never an order itself
    LOCKED = "locked"  # frozen by the owner
    BLOCKED = "blocked"  # no usable price or market: frozen with a stated reason
    UNMANAGED = "unmanaged"  # held but not in the targets: never traded


@dataclass(frozen=True)
class Market:
    """One spot market's trading rules, as the exchange states them."""

    symbol: str  # "BTC/EUR"
    base: str  # "BTC"
    quote: str  # "EUR"
    exchange_id: str  # "XXBTZEUR"
    amount_decimals: int  # Kraken lot_decimals
    price_decimals: int  # Kraken pair_decimals
    order_min: Decimal  # Kraken ordermin, in base units
    cost_min: Decimal  # Kraken costmin, in quote units
    taker_fee: Decimal  # a fraction: 0.004 is 0.40 %
    status: str = "online"  # Kraken pair status
    maker_fee: Decimal | None = None  # a fraction: 0.0025 is 0.25 %; None when not stated
    tick_size: Decimal | None = None  # Kraken tick_size; None: one unit of price_decimals

    @property
    def online(self) -> bool:
        return self.status == "online"

    @property
    def price_tick(self) -> Decimal:
        """The smallest price step a limit order may use."""
        return self.tick_size or Decimal(1).scaleb(-self.price_decimals)

    @property
    def maker_fee_or_taker(self) -> Decimal:
        """The maker fee, or the taker fee when the market states none (never cheaper)."""
        return self.taker_fee if self.maker_fee is None else self.maker_fee


@dataclass(frozen=True)
class Quote:
    """Best bid and ask of one market at one moment."""

    symbol: str
    bid: Decimal
    ask: Decimal

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True)
class DataSource:
    """Where market data came from, so every output can say so."""

    name: str  # "kraken", "kraken-public", "snapshot"
    as_of: datetime
    note: str = ""  # e.g. "bundled snapshot of 2026-01-12; prices illustrative"

    @property
    def is_snapshot(self) -> bool:
        return self.name == "snapshot"


@dataclass(frozen=True)
class Balances:
    """Holdings by asset. `tradable` counts X and X.F; `untradable` keeps staked/held ids."""

    tradable: Mapping[str, Decimal]
    untradable: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class MarketData:
    """Markets and quotes for the assets of interest, keyed by base asset (e.g. "BTC")."""

    quote_currency: str
    markets: Mapping[str, Market]
    quotes: Mapping[str, Quote]
    source: DataSource
    blocked: Mapping[str, str] = field(default_factory=dict)  # asset -> reason


@dataclass(frozen=True)
class Portfolio:
    """Everything the planner needs to know about the account right now."""

    balances: Balances
    market: MarketData


class Strategy(StrEnum):
    """How far a rebalance trades (REBALANCE_TO)."""

    TARGET = "target"  # all the way to target
    BAND_EDGE = "band-edge"  # until the asset furthest out is on its band edge
    HALFWAY = "halfway"  # until it is halfway between its band edge and its target
    PARTIAL = "partial"  # N % of the way to target


@dataclass(frozen=True)
class RebalanceTo:
    """REBALANCE_TO, parsed: a strategy, and for `partial` the percent of the way to go."""

    strategy: Strategy = Strategy.TARGET
    percent: Decimal = HUNDRED  # used by PARTIAL only: 0 < percent <= 100

    @property
    def label(self) -> str:
        """The setting as the owner writes it: 'target', 'band-edge', 'halfway', '50%'."""
        if self.strategy is Strategy.PARTIAL:
            return f"{self.percent.normalize():f}%"
        return self.strategy.value


@dataclass(frozen=True)
class PlanSettings:
    quote_currency: str
    min_trade_value: Decimal = Decimal(10)
    drift_band_pct: Decimal = Decimal(5)
    max_orders: int | None = None
    rebalance_to: RebalanceTo = RebalanceTo()
    drift_band_relative_pct: Decimal | None = None  # the "25" of a 5/25 rule; None: absolute


@dataclass(frozen=True)
class AssetLine:
    """One asset's place in the portfolio, now and after the plan.

    The pool is what a rebalance trades: the managed assets and the quote's cash. Weights,
    targets, drifts and bands of pool members are shares of the pool; a holding outside it
    (locked, unmanaged, blocked) has no weight, drift or band, only its share of the account.
    """

    asset: str
    status: LineStatus
    amount: Decimal
    price: Decimal | None  # valuation price (mid); None when unknown
    value: Decimal
    weight_pct: Decimal | None  # share of the pool; None outside it
    target_pct: Decimal | None  # pool: target share of the pool; outside: the owner's target
    drift_pct: Decimal | None  # weight - target, percentage points; None outside the pool
    after_pct: Decimal | None  # estimated share of the pool after the plan's orders
    account_pct: Decimal  # share of the whole account's value
    band_pct: Decimal | None = None  # drift allowed before a rebalance is due; None outside
    note: str = ""

    @property
    def in_pool(self) -> bool:
        return self.drift_pct is not None

    @property
    def after_drift_pct(self) -> Decimal | None:
        if self.after_pct is None or self.target_pct is None or not self.in_pool:
            return None
        return self.after_pct - self.target_pct

    @property
    def out_of_band(self) -> bool:
        band = self.band_pct if self.band_pct is not None else ZERO
        return self.drift_pct is not None and abs(self.drift_pct) > band


@dataclass(frozen=True)
class PlannedOrder:
    asset: str
    symbol: str
    side: Side
    amount: Decimal  # base units, truncated to the market's precision
    price: Decimal  # estimated fill price: ask for buys, bid for sells
    cost: Decimal  # amount * price, quote units
    fee: Decimal  # estimated taker fee, quote units


@dataclass(frozen=True)
class SkippedOrder:
    asset: str
    side: Side
    amount: Decimal
    value: Decimal
    reason: str


@dataclass(frozen=True)
class Plan:
    """A rebalance plan: what to trade, what not and why, and what it leaves behind.

    Drifts are measured within the pool (see `AssetLine`). When a rebalance is due, the
    orders go `fraction` of the way to target, as REBALANCE_TO says; when none is due, no
    fraction applies and the orders (offered only when forced) go all the way to target.
    """

    quote_currency: str
    created_at: datetime
    source: DataSource
    total_value: Decimal  # the whole account, holdings outside the pool included
    pool_value: Decimal  # what a rebalance trades: managed assets and the quote's cash
    lines: tuple[AssetLine, ...]
    orders: tuple[PlannedOrder, ...]  # sells first, then buys; largest difference first
    skipped: tuple[SkippedOrder, ...]
    rebalance_due: bool
    max_drift_pct: Decimal
    residual_drift_pct: Decimal  # the largest drift the plan leaves
    drift_band_pct: Decimal  # DRIFT_BAND_PCT; each line has its own band (relative bands)
    rebalance_to: str = "target"  # REBALANCE_TO as written: target, band-edge, halfway, N%
    fraction: Decimal = ONE  # how far of the way to target the orders go, in (0, 1]
    untradable: tuple[tuple[str, Decimal], ...] = ()  # staked, bonded, held: shown, never traded

    @property
    def fees(self) -> Decimal:
        return sum((o.fee for o in self.orders), ZERO)

    @property
    def sells(self) -> tuple[PlannedOrder, ...]:
        return tuple(o for o in self.orders if o.side is Side.SELL)

    @property
    def buys(self) -> tuple[PlannedOrder, ...]:
        return tuple(o for o in self.orders if o.side is Side.BUY)

    @property
    def traded_value(self) -> Decimal:
        return sum((o.cost for o in self.orders), ZERO)

    def line(self, asset: str) -> AssetLine | None:
        return next((x for x in self.lines if x.asset == asset), None)

    @property
    def pool_lines(self) -> tuple[AssetLine, ...]:
        return tuple(x for x in self.lines if x.in_pool)

    @property
    def outside_lines(self) -> tuple[AssetLine, ...]:
        """Holdings a rebalance leaves alone: locked, unmanaged, blocked."""
        return tuple(x for x in self.lines if not x.in_pool)

    def furthest(self) -> AssetLine | None:
        """The pool member furthest out relative to its band (the one band-edge aims at)."""
        return max(self.pool_lines, key=_band_multiple, default=None)


def _band_multiple(line: AssetLine) -> tuple[bool, Decimal]:
    """How many bands off target: a drift with a zero band ranks above every other."""
    drift, band = abs(line.drift_pct or ZERO), line.band_pct or ZERO
    return (drift > 0, drift) if band <= 0 else (False, drift / band)
