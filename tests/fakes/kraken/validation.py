"""``AddOrder`` argument parsing and the pair's trading rules, with Kraken's error texts.

Error texts and where they come from:

* ``EGeneral:Invalid arguments:volume`` (too many volume decimals, bad volume) and
  ``EGeneral:Invalid arguments:cl_ord_id`` (bad cl_ord_id format): seen in public client code
  quoting live Kraken answers.
* ``EGeneral:Invalid arguments:cl_ord_id not unique`` (cl_ord_id of a still-OPEN order): the one
  text found quoted from a live refusal; not in Kraken's docs, so it is a module constant.
* ``EOrder:Invalid price:<BASE/QUOTE> price can only be specified up to N decimals.``: quoted
  from live answers in several public repositories (older ones name the pair id or altname).
* ``EOrder:Tick size check failed``, ``EOrder:Order minimum not met``,
  ``EOrder:Cost minimum not met``, ``EOrder:Insufficient funds``, ``EService:Market in
  cancel_only mode`` / ``post_only`` / ``limit_only``: Kraken's spot error list.
* ``EService:Market in reduce_only mode``: by analogy with the documented modes (unverified).
* ``EOrder:Post only order``: a post-only order (or a post-only amend) that would take
  liquidity; the text client libraries match on (the order-record ``reason`` is
  ``Post only order``).

``timeinforce`` is ``GTC`` (default) or ``IOC``; ``GTD`` is not modelled (refused like an
unknown value). AmendOrder's fields are Kraken's REST ones: ``txid`` or ``cl_ord_id``,
``order_qty``, ``limit_price``, ``post_only``, ``deadline`` (accepted, ignored);
``display_qty`` and ``trigger_price`` (iceberg and trigger orders) and relative prices
(``+5``, ``-1%``) are not modelled and are refused as invalid arguments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .markets import Catalog, Pair
from .util import KrakenError, decimal_places, is_true, parse_decimal

INVALID_ARGUMENTS = "EGeneral:Invalid arguments"
DUPLICATE_CL_ORD_ID = "EGeneral:Invalid arguments:cl_ord_id not unique"
ORDER_MINIMUM = "EOrder:Order minimum not met"
COST_MINIMUM = "EOrder:Cost minimum not met"
INSUFFICIENT_FUNDS = "EOrder:Insufficient funds"
TICK_SIZE = "EOrder:Tick size check failed"
SERVICE_UNAVAILABLE = "EService:Unavailable"
MODE_STATUSES = frozenset({"cancel_only", "post_only", "limit_only", "reduce_only"})
KNOWN_OFLAGS = frozenset({"post", "fcib", "fciq", "nompp"})
TIME_IN_FORCE = frozenset({"GTC", "IOC"})
POST_ONLY_ORDER = "EOrder:Post only order"

_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_FREE_TEXT = re.compile(r"^[\x21-\x7e]{1,18}$")
_INT32 = 2**31


@dataclass
class OrderRequest:
    pair: Pair
    side: str
    ordertype: str
    volume: Decimal
    price: Decimal | None
    oflags: str
    cl_ord_id: str | None
    userref: int | None
    validate: bool
    timeinforce: str = "GTC"

    @property
    def post_only(self) -> bool:
        return "post" in self.oflags.split(",")


@dataclass
class AmendRequest:
    txid: str | None
    cl_ord_id: str | None
    order_qty: Decimal | None
    limit_price: Decimal | None
    post_only: bool


def invalid(argument: str) -> KrakenError:
    return KrakenError(f"{INVALID_ARGUMENTS}:{argument}")


def parse_add_order(params: Mapping[str, str], catalog: Catalog) -> OrderRequest:
    """Parse and syntax-check ``AddOrder`` form fields (no market rules yet)."""
    if not params.get("pair"):
        raise KrakenError(INVALID_ARGUMENTS)
    pair = catalog.require(params["pair"])
    side = params.get("type", "")
    if side not in {"buy", "sell"}:
        raise invalid("type")
    ordertype = params.get("ordertype", "")
    if ordertype not in {"market", "limit"}:
        raise invalid("ordertype")
    volume = parse_decimal(params.get("volume"))
    if volume is None or volume <= 0:
        raise invalid("volume")
    price = _parse_price(params, ordertype)
    timeinforce = params.get("timeinforce", "GTC").upper()
    if timeinforce not in TIME_IN_FORCE:
        raise invalid("timeinforce")
    return OrderRequest(
        pair=pair,
        side=side,
        ordertype=ordertype,
        volume=volume,
        price=price,
        oflags=_parse_oflags(params.get("oflags", "")),
        cl_ord_id=_parse_cl_ord_id(params),
        userref=_parse_userref(params.get("userref")),
        validate=is_true(params.get("validate", "false")),
        timeinforce=timeinforce,
    )


def parse_amend_order(params: Mapping[str, str]) -> AmendRequest:
    """Parse and syntax-check ``AmendOrder`` form fields."""
    txid, cl_ord_id = params.get("txid"), params.get("cl_ord_id")
    if not txid and not cl_ord_id:
        raise KrakenError(INVALID_ARGUMENTS)
    for unmodelled in ("display_qty", "trigger_price"):
        if unmodelled in params:
            raise invalid(unmodelled)
    qty = _amended("order_qty", params)
    price = _amended("limit_price", params)
    if qty is None and price is None:
        raise KrakenError(INVALID_ARGUMENTS)
    post_only = is_true(params.get("post_only", "false"))
    return AmendRequest(txid or None, cl_ord_id or None, qty, price, post_only)


def _amended(name: str, params: Mapping[str, str]) -> Decimal | None:
    if name not in params:
        return None
    raw = params[name].strip()
    value = parse_decimal(raw)
    if value is None or value <= 0 or raw[:1] in {"+", "-"} or raw.endswith("%"):
        raise invalid(name)
    return value


def _parse_price(params: Mapping[str, str], ordertype: str) -> Decimal | None:
    if ordertype == "market":
        return None
    price = parse_decimal(params.get("price"))
    if price is None or price <= 0:
        raise invalid("price")
    return price


def _parse_oflags(raw: str) -> str:
    flags = [flag.strip() for flag in raw.split(",") if flag.strip()]
    if "viqc" in flags:
        raise invalid("viqc")  # volume in quote currency is not modelled by the fake
    if any(flag not in KNOWN_OFLAGS for flag in flags) or {"fcib", "fciq"} <= set(flags):
        raise invalid("oflags")
    if "fcib" not in flags and "fciq" not in flags:
        flags.append("fciq")
    return ",".join(flags)


def _parse_cl_ord_id(params: Mapping[str, str]) -> str | None:
    value = params.get("cl_ord_id")
    if value is None:
        return None
    if "userref" in params:
        raise invalid("cl_ord_id")  # Kraken: cl_ord_id and userref are mutually exclusive
    if _UUID.match(value) or _HEX32.match(value) or _FREE_TEXT.match(value):
        return value
    raise invalid("cl_ord_id")


def _parse_userref(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise invalid("userref") from None
    if not -_INT32 <= value < _INT32:
        raise invalid("userref")
    return value


def check_pair_status(request: OrderRequest) -> None:
    status = request.pair.status
    if status == "online":
        return
    if status == "limit_only" and request.ordertype == "limit":
        return
    is_post = "post" in request.oflags.split(",")
    if status == "post_only" and request.ordertype == "limit" and is_post:
        return
    if status in MODE_STATUSES:
        raise KrakenError(f"EService:Market in {status} mode")
    raise KrakenError(SERVICE_UNAVAILABLE)


def check_precision(request: OrderRequest) -> None:
    check_volume(request.pair, request.volume, "volume")
    if request.price is not None:
        check_price(request.pair, request.price)


def check_volume(pair: Pair, volume: Decimal, argument: str) -> None:
    if decimal_places(volume) > pair.lot_decimals:
        raise invalid(argument)


def check_price(pair: Pair, price: Decimal) -> None:
    if decimal_places(price) > pair.pair_decimals:
        raise KrakenError(
            f"EOrder:Invalid price:{pair.wsname} price can only be specified up to "
            f"{pair.pair_decimals} decimals."
        )
    if price % pair.tick_size != 0:
        raise KrakenError(TICK_SIZE)


def check_minimums(request: OrderRequest, price: Decimal) -> None:
    """``ordermin`` on volume, ``costmin`` on volume × (limit or execution) price."""
    if request.volume < request.pair.ordermin:
        raise KrakenError(ORDER_MINIMUM)
    if request.volume * price < request.pair.costmin:
        raise KrakenError(COST_MINIMUM)
