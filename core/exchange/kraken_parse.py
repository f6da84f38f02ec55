"""Pure parsing of Kraken's raw answers (the `info` ccxt keeps) into domain values.

Numbers are read from Kraken's own strings with `Decimal(str(x))`, never through floats.
A value that is missing or not a number never becomes zero: the caller decides, or the
answer is refused as malformed (`ExchangeUnavailable`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from core.domain.models import HUNDRED, ZERO, Balances, Market, Quote
from core.errors import ExchangeUnavailable

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
