"""Pure parsing of Kraken's raw answers (the `info` ccxt keeps) into domain values.

Numbers are read from Kraken's own strings with `Decimal(str(x))`, never through floats.
A value that is missing or not a number never becomes zero: the caller decides, or the
answer is refused as malformed (`ExchangeUnavailable`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from core.domain.models import HUNDRED, ZERO, Balances, Market, Quote, Side
from core.domain.orders import OrderResult, OrderType
from core.domain.statuses import OrderStatus
from core.errors import ExchangeUnavailable, OrderRejected

# The highest taker fee of Kraken's standard spot schedule, for a pair that states none.
FALLBACK_TAKER_FEE = Decimal("0.004")
AUTO_EARN_SUFFIX = "F"  # `XBT.F`: opted into rewards, still tradable as XBT
DONE_STATUSES = frozenset({"closed", "canceled", "expired"})


def to_decimal(raw: object) -> Decimal | None:
    """A finite Decimal from a wire value (string, int, float); None if it is not one."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def result_of(response: object, key: str | None = None) -> dict[str, Any]:
    """`response["result"]` (or `response["result"][key]`) as a dict, or ExchangeUnavailable."""
    result = response.get("result") if isinstance(response, dict) else None
    if key is not None and isinstance(result, dict):
        result = result.get(key, {})
    if not isinstance(result, dict):
        where = "result" if key is None else f"result.{key}"
        raise ExchangeUnavailable(f"Kraken's answer has no {where} object")
    return result


# -- markets -----------------------------------------------------------------------------------


def market_from_ccxt(market: Mapping[str, Any]) -> Market:
    """A `Market` from one ccxt market, its rules read from Kraken's raw pair (`info`)."""
    info: Mapping[str, Any] = market["info"]
    return Market(
        symbol=market["symbol"],
        base=market["base"],
        quote=market["quote"],
        exchange_id=market["id"],
        amount_decimals=_amount_decimals(market),
        price_decimals=int(info["pair_decimals"]),
        order_min=to_decimal(info.get("ordermin")) or ZERO,
        cost_min=to_decimal(info.get("costmin")) or ZERO,
        taker_fee=schedule_taker_fee(info),
        status=str(info.get("status") or "unknown"),
        maker_fee=schedule_fee(info, "fees_maker"),
        tick_size=_positive(info.get("tick_size")),
    )


def schedule_taker_fee(info: Mapping[str, Any]) -> Decimal:
    """The first tier of the pair's taker schedule (`fees[0][1]`, percent) as a fraction."""
    fee = schedule_fee(info, "fees")
    return FALLBACK_TAKER_FEE if fee is None else fee


def schedule_fee(info: Mapping[str, Any], key: str) -> Decimal | None:
    """The first tier of the pair's `fees` or `fees_maker` schedule as a fraction, if stated."""
    try:
        pct = to_decimal(info[key][0][1])
    except (KeyError, IndexError, TypeError):
        pct = None
    return None if pct is None else pct / HUNDRED


def _positive(raw: object) -> Decimal | None:
    value = to_decimal(raw)
    return value if value is not None and value > 0 else None


def _amount_decimals(market: Mapping[str, Any]) -> int:
    """Kraken's lot_decimals, or fewer if ccxt truncates amounts more coarsely."""
    lot = int(market["info"]["lot_decimals"])
    step = to_decimal((market.get("precision") or {}).get("amount"))
    if step is None or step <= 0:
        return lot
    exponent = step.normalize().as_tuple().exponent
    return min(lot, -exponent) if isinstance(exponent, int) else lot


def account_taker_fees(result: Mapping[str, Any]) -> dict[str, Decimal]:
    """Pair name -> taker fee fraction, from a TradeVolume result's `fees` (percent)."""
    return _account_fees(result, "fees")


def account_maker_fees(result: Mapping[str, Any]) -> dict[str, Decimal]:
    """Pair name -> maker fee fraction, from a TradeVolume result's `fees_maker` (percent)."""
    return _account_fees(result, "fees_maker")


def _account_fees(result: Mapping[str, Any], key: str) -> dict[str, Decimal]:
    fees = result.get(key)
    if not isinstance(fees, Mapping):
        return {}
    parsed = {
        pair: to_decimal(entry.get("fee"))
        for pair, entry in fees.items()
        if isinstance(entry, Mapping)
    }
    return {pair: pct / HUNDRED for pair, pct in parsed.items() if pct is not None}


@dataclass
class MarketCatalog:
    """Kraken's markets, loaded at `loaded_at`, with the account's own fees once known."""

    markets: tuple[Market, ...]
    altnames: Mapping[str, str]  # pair id -> altname ("XXBTZEUR" -> "XBTEUR")
    loaded_at: float
    fees: dict[str, Decimal] = field(default_factory=dict)  # pair id -> account taker fee
    maker_fees: dict[str, Decimal] = field(default_factory=dict)  # pair id -> account maker fee
    fees_asked: set[str] = field(default_factory=set)  # pair ids TradeVolume was asked for

    @classmethod
    def from_ccxt(cls, markets: Iterable[Mapping[str, Any]], loaded_at: float) -> MarketCatalog:
        spot = [m for m in markets if m.get("spot") and m.get("info", {}).get("lot_decimals")]
        altnames = {m["id"]: str(m["info"].get("altname") or m["id"]) for m in spot}
        return cls(tuple(market_from_ccxt(m) for m in spot), altnames, loaded_at)

    def _with_fee(self, market: Market) -> Market:
        taker = self.fees.get(market.exchange_id, market.taker_fee)
        maker = self.maker_fees.get(market.exchange_id, market.maker_fee)
        return replace(market, taker_fee=taker, maker_fee=maker)

    def market(self, base: str, quote: str) -> Market | None:
        found = next((m for m in self.markets if (m.base, m.quote) == (base, quote)), None)
        return None if found is None else self._with_fee(found)

    def by_symbol(self, symbol: str) -> Market | None:
        found = next((m for m in self.markets if m.symbol == symbol), None)
        return None if found is None else self._with_fee(found)

    def by_pair(self, name: str) -> Market | None:
        """A market by Kraken pair id (`XXBTZEUR`) or altname (`XBTEUR`)."""
        ids = {name} | {pid for pid, alt in self.altnames.items() if alt == name}
        return next((self._with_fee(m) for m in self.markets if m.exchange_id in ids), None)

    def pick(self, entries: Mapping[str, Any], market: Market) -> Any:
        """The entry of `entries` keyed by the market's pair id or its altname."""
        found = entries.get(market.exchange_id)
        return found if found is not None else entries.get(self.altnames[market.exchange_id])


# -- quotes and balances -----------------------------------------------------------------------


def quote_from_ticker(symbol: str, ticker: object) -> Quote | None:
    """Best bid and ask from one raw Ticker entry; None unless both are positive numbers."""
    if not isinstance(ticker, Mapping):
        return None
    bid, ask = _first(ticker.get("b")), _first(ticker.get("a"))
    if bid is None or ask is None or bid <= 0 or ask <= 0:
        return None
    return Quote(symbol=symbol, bid=bid, ask=ask)


def unusable_reason(market: Market, has_quote: bool) -> str:
    """Why an asset with this market cannot be traded now ("" if it can)."""
    if not market.online:
        return f"{market.symbol} is {market.status} on Kraken, not online"
    return "" if has_quote else f"no usable price for {market.symbol} from Kraken"


def _first(values: object) -> Decimal | None:
    return to_decimal(values[0]) if isinstance(values, list) and values else None


def balances_from_raw(result: Mapping[str, Any], code_of: Callable[[str], str]) -> Balances:
    """Balances from a BalanceEx (or Balance) result; `code_of` names Kraken's asset ids.

    `X.F` (auto-earn) adds to X. Any other suffixed id (`ETH2.S`, `DOT.P`, `XBT.M`,
    `EUR.HOLD`...) is untradable and kept under its own code, never merged: ETH2.S is
    not ETH, and neither is ETH2. Funds held by open orders (BalanceEx `hold_trade`) are
    not free to trade either: they are listed as `X (open orders)`.
    """
    tradable: dict[str, Decimal] = {}
    untradable: dict[str, Decimal] = {}
    for kraken_id, entry in result.items():
        total = _balance_total(kraken_id, entry)
        if total == 0:
            continue
        code = code_of(kraken_id)
        base, dot, suffix = code.partition(".")
        if dot and suffix != AUTO_EARN_SUFFIX:
            _add(untradable, code, total)
            continue
        held = min(_held(kraken_id, entry), total)
        _add(tradable, base, total - held)
        if held > 0:
            _add(untradable, f"{base} (open orders)", held)
    return Balances(tradable=tradable, untradable=untradable)


def _add(into: dict[str, Decimal], key: str, amount: Decimal) -> None:
    into[key] = into.get(key, ZERO) + amount


def _held(kraken_id: str, entry: object) -> Decimal:
    """BalanceEx's `hold_trade`: funds reserved by open orders (0 for the plain Balance)."""
    if not isinstance(entry, Mapping) or entry.get("hold_trade") in (None, ""):
        return ZERO
    held = to_decimal(entry.get("hold_trade"))
    if held is None:
        raise ExchangeUnavailable(f"Kraken's hold of {kraken_id} is not a number")
    return max(held, ZERO)


def _balance_total(kraken_id: str, entry: object) -> Decimal:
    raw = entry.get("balance") if isinstance(entry, Mapping) else entry
    total = to_decimal(raw)
    if total is None:
        raise ExchangeUnavailable(f"Kraken's balance of {kraken_id} is not a number: {raw!r}")
    return total


# -- orders ------------------------------------------------------------------------------------


def order_state(status: str, amount: Decimal, filled: Decimal) -> OrderStatus:
    """Kraken's order status and fill as the domain's state."""
    if status not in DONE_STATUSES:  # pending, open, or a status Kraken may add later
        return OrderStatus.OPEN
    if status == "closed" and amount > 0 and filled >= amount:
        return OrderStatus.FILLED
    return OrderStatus.PARTIAL if filled > 0 else OrderStatus.CANCELED


def order_from_raw(
    txid: str, info: Mapping[str, Any], market_of: Callable[[str], Market | None]
) -> OrderResult:
    """An `OrderResult` from one raw order of QueryOrders, OpenOrders or ClosedOrders."""
    descr = info.get("descr") or {}
    pair = str(descr.get("pair") or "")
    market = market_of(pair)
    amount = to_decimal(info.get("vol")) or ZERO
    filled = to_decimal(info.get("vol_exec")) or ZERO
    average = to_decimal(info.get("price"))
    order_type, limit = _type_and_limit(descr)
    post_only = "post" in str(info.get("oflags") or "").split(",")
    side = _side(txid, descr)
    return OrderResult(
        client_id=info.get("cl_ord_id") or None,
        exchange_id=txid,
        symbol=market.symbol if market is not None else pair,
        side=side,
        state=order_state(str(info.get("status")), amount, filled),
        amount=amount,
        filled=filled,
        average_price=average if average is not None and average > 0 else None,
        cost=to_decimal(info.get("cost")) or ZERO,
        fee=to_decimal(info.get("fee")) or ZERO,
        reason=str(info.get("reason") or ""),
        order_type=order_type,
        limit_price=limit,
        post_only=post_only,
        maker_share=maker_share(order_type, post_only=post_only),
        closed_at=epoch_time(info.get("closetm")),
    )


def _side(txid: str, descr: Mapping[str, Any]) -> Side:
    """buy or sell; a record without either is malformed: refused as an answer we cannot
    read (the order stays unresolved, asked about again), never a crash."""
    try:
        return Side(str(descr.get("type")))
    except ValueError:
        raise ExchangeUnavailable(f"Kraken's record of order {txid} has no side") from None


def _type_and_limit(descr: Mapping[str, Any]) -> tuple[OrderType, Decimal | None]:
    """Market, or limit with its price; other Kraken order types count as market."""
    if descr.get("ordertype") != "limit":
        return OrderType.MARKET, None
    price = to_decimal(descr.get("price"))
    return OrderType.LIMIT, price if price is not None and price > 0 else None


def maker_share(order_type: OrderType, *, post_only: bool) -> Decimal | None:
    """What Kraken's order record implies: post-only orders only make, market orders only
    take; of any other limit order it cannot say."""
    if post_only:
        return Decimal(1)
    return ZERO if order_type is OrderType.MARKET else None


def epoch_time(raw: object) -> datetime | None:
    """Kraken's "1705260547.4728658" (seconds since the epoch) as an aware UTC time."""
    seconds = to_decimal(raw)
    if seconds is None or seconds <= 0:
        return None
    return datetime.fromtimestamp(float(seconds), tz=UTC)


def orders_by_client_id(
    raw_orders: Mapping[str, Any],
    client_ids: Iterable[str],
    market_of: Callable[[str], Market | None],
) -> dict[str, OrderResult]:
    """The raw orders whose `cl_ord_id` is one of `client_ids`, keyed by that id."""
    wanted = set(client_ids)
    return {
        info["cl_ord_id"]: order_from_raw(txid, info, market_of)
        for txid, info in raw_orders.items()
        if isinstance(info, Mapping) and info.get("cl_ord_id") in wanted
    }


def order_volume(market: Market, amount: Decimal) -> str:
    """`amount` truncated (never rounded up) to the market's lot decimals, as sent to Kraken."""
    volume = amount.quantize(Decimal(1).scaleb(-market.amount_decimals), rounding=ROUND_DOWN)
    if volume <= 0:
        raise OrderRejected(
            f"{amount} {market.base} is zero at {market.amount_decimals} decimals; order not sent",
            reason="amount below the market's precision",
        )
    return f"{volume:f}"


def first_txid(info: object) -> str | None:
    """The order id of an AddOrder result (`{"txid": ["O..."], ...}`), if it has one."""
    txids = info.get("txid") if isinstance(info, Mapping) else None
    if isinstance(txids, list) and txids and isinstance(txids[0], str) and txids[0]:
        return txids[0]
    return None
