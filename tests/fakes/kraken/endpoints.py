"""Kraken REST methods: ``(venue, params) -> result``; failures raise :class:`KrakenError`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .book import MAX_DEPTH_COUNT, depth_entry
from .engine import Engine
from .markets import UNKNOWN_ASSET, Catalog, Pair
from .orders import ZERO, Order
from .state import Account
from .tickers import TickerBook
from .util import JsonDict, KrakenError, fmt, is_true, parse_decimal
from .validation import INVALID_ARGUMENTS, invalid, parse_add_order, parse_amend_order

CLOSED_PAGE_SIZE = 50
QUERY_ORDERS_MAX = 50
DEFAULT_DEPTH_COUNT = 100


@dataclass
class Venue:
    """Everything the endpoints read and change."""

    catalog: Catalog
    tickers: TickerBook
    account: Account
    engine: Engine
    system_status: str = "online"


Handler = Callable[[Venue, Mapping[str, str]], JsonDict]


# -- public -----------------------------------------------------------------------------------


def time_(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    now = datetime.fromtimestamp(venue.account.wall_clock(), UTC)
    rfc = f"{now:%a}, {now.day:2d} {now:%b} {now:%y} {now:%H:%M:%S} +0000"
    return {"unixtime": int(now.timestamp()), "rfc1123": rfc}


def system_status(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    now = datetime.fromtimestamp(venue.account.wall_clock(), UTC)
    return {"status": venue.system_status, "timestamp": f"{now:%Y-%m-%dT%H:%M:%SZ}"}


def assets(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    catalog = venue.catalog
    wanted = [name.strip() for name in params.get("asset", "").split(",") if name.strip()]
    if not wanted:
        return dict(catalog.assets)
    by_alt = {str(entry["altname"]): key for key, entry in catalog.assets.items()}
    result: JsonDict = {}
    for name in wanted:
        key = name if name in catalog.assets else by_alt.get(name)
        if key is None:
            raise KrakenError(UNKNOWN_ASSET)
        result[key] = catalog.assets[key]
    return result


def asset_pairs(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    return {pair.id: pair.info for pair in venue.catalog.require_many(params.get("pair"))}


def ticker(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    """Tickers of the named pairs (all if none): the touch includes the account's orders."""
    pairs = venue.catalog.require_many(params.get("pair"))
    result: JsonDict = {}
    for pair in pairs:
        touch = venue.engine.touch(pair)
        result[pair.id] = venue.tickers.entry(pair, touch.bid, touch.ask)
    return result


def depth(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    """One pair's book, ``count`` levels a side (default 100, at most 500), best first."""
    if not params.get("pair") or "," in params["pair"]:
        raise invalid("pair")
    pair = venue.catalog.require(params["pair"])
    raw = parse_decimal(params.get("count"))
    count = DEFAULT_DEPTH_COUNT if raw is None or raw <= 0 else min(int(raw), MAX_DEPTH_COUNT)
    quote = venue.tickers.ensure(pair)
    own = venue.account.open_for(pair)
    stamp = int(venue.account.wall_clock())
    entry = depth_entry(pair, quote, own, venue.engine.liquidity, count=count, stamp=stamp)
    return {pair.id: entry}


# -- private: account -------------------------------------------------------------------------


def balance(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    account, catalog = venue.account, venue.catalog
    return {
        asset: fmt(amount, catalog.asset_decimals(asset))
        for asset, amount in account.balances.items()
    }


def balance_ex(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    account, catalog = venue.account, venue.catalog
    holds = account.holds()
    result: JsonDict = {}
    for asset, amount in account.balances.items():
        places = catalog.asset_decimals(asset)
        result[asset] = {
            "balance": fmt(amount, places),
            "hold_trade": fmt(holds.get(asset, ZERO), places),
        }
    return result


def trade_balance(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    target = params.get("asset", "ZUSD")
    holdings = venue.account.balances.items()
    equity = fmt(sum((_value_in(venue, a, amount, target) for a, amount in holdings), ZERO), 4)
    zero = fmt(ZERO, 4)
    # Same keys as the recorded TradeBalance.json; no margin, so margin fields are zero.
    margin_fields = dict.fromkeys(("m", "n", "c", "v"), zero)
    return {"eb": equity, "tb": equity} | margin_fields | {"e": equity, "mf": equity}


def _value_in(venue: Venue, asset: str, amount: Decimal, target: str) -> Decimal:
    if asset == target:
        return amount
    if direct := venue.catalog.between(asset, target):
        return amount * venue.tickers.ensure(direct).last
    if inverse := venue.catalog.between(target, asset):
        return amount / venue.tickers.ensure(inverse).last
    return ZERO


def trade_volume(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    result: JsonDict = {"currency": "ZUSD", "volume": "0.0000"}
    if params.get("pair"):
        pairs = venue.catalog.require_many(params["pair"])
        result["fees"] = {p.id: _fee_info(venue, p, maker=False) for p in pairs}
        result["fees_maker"] = {p.id: _fee_info(venue, p, maker=True) for p in pairs}
    return result


def _fee_info(venue: Venue, pair: Pair, *, maker: bool) -> JsonDict:
    tiers = pair.info["fees_maker" if maker else "fees"]
    rates = [Decimal(str(rate)) for _, rate in tiers]
    nxt = tiers[1] if len(tiers) > 1 else tiers[0]
    return {
        "fee": fmt(venue.account.fee_pct(pair, maker=maker), 4),
        "minfee": fmt(min(rates), 4),
        "maxfee": fmt(max(rates), 4),
        "nextfee": fmt(Decimal(str(nxt[1])), 4),
        "tiervolume": "0.0000",
        "nextvolume": fmt(Decimal(str(nxt[0])), 4),
    }


# -- private: orders --------------------------------------------------------------------------


def add_order(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    return venue.engine.add_order(parse_add_order(params, venue.catalog))


def amend_order(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    """``{"amend_id": "T…"}``: the order keeps its txid, cl_ord_id and fills."""
    return venue.engine.amend(parse_amend_order(params))


def cancel_order(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    txid, cl_ord_id = params.get("txid"), params.get("cl_ord_id")
    if txid is None and cl_ord_id is None:
        raise KrakenError(INVALID_ARGUMENTS)
    return {"count": venue.engine.cancel(txid=txid, cl_ord_id=cl_ord_id)}


def open_orders(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    userref, cl_ord_id = _filters(params)
    orders = venue.account.select(is_open=True, userref=userref, cl_ord_id=cl_ord_id)
    return {"open": _order_map(orders, params)}


def closed_orders(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    userref, cl_ord_id = _filters(params)
    orders = venue.account.select(is_open=False, userref=userref, cl_ord_id=cl_ord_id)
    orders = [o for o in orders if _in_window(o, params)]
    offset = int(parse_decimal(params.get("ofs")) or 0)
    page = orders[offset : offset + CLOSED_PAGE_SIZE]
    return {"closed": _order_map(page, params), "count": len(orders)}


def query_orders(venue: Venue, params: Mapping[str, str]) -> JsonDict:
    txids = [txid.strip() for txid in params.get("txid", "").split(",") if txid.strip()]
    if not txids or len(txids) > QUERY_ORDERS_MAX:
        raise invalid("txid")
    orders = venue.account.query(txids)
    userref, _ = _filters(params)
    orders = [o for o in orders if userref is None or o.userref == userref]
    return _order_map(orders, params)


def _filters(params: Mapping[str, str]) -> tuple[int | None, str | None]:
    """The ``userref`` and ``cl_ord_id`` filters of an order listing."""
    raw = params.get("userref")
    if raw is not None and not raw.lstrip("-").isdigit():
        raise invalid("userref")
    return (int(raw) if raw is not None else None), params.get("cl_ord_id")


def _order_map(orders: list[Order], params: Mapping[str, str]) -> JsonDict:
    trades = is_true(params.get("trades", "false"))
    return {order.txid: order.to_kraken(trades=trades) for order in orders}


def _in_window(order: Order, params: Mapping[str, str]) -> bool:
    start, end = parse_decimal(params.get("start")), parse_decimal(params.get("end"))
    which = params.get("closetime", "both")
    stamps = {"open": [order.opentm], "close": [order.closetm or 0.0]}.get(
        which, [order.opentm, order.closetm or 0.0]
    )
    return any(
        (start is None or Decimal(str(t)) > start) and (end is None or Decimal(str(t)) <= end)
        for t in stamps
    )


PUBLIC: dict[str, Handler] = {
    "Time": time_,
    "SystemStatus": system_status,
    "Assets": assets,
    "AssetPairs": asset_pairs,
    "Ticker": ticker,
    "Depth": depth,
}
PRIVATE: dict[str, Handler] = {
    "Balance": balance,
    "BalanceEx": balance_ex,
    "TradeBalance": trade_balance,
    "TradeVolume": trade_volume,
    "AddOrder": add_order,
    "AmendOrder": amend_order,
    "CancelOrder": cancel_order,
    "OpenOrders": open_orders,
    "ClosedOrders": closed_orders,
    "QueryOrders": query_orders,
}
