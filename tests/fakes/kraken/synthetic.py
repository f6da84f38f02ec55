"""Synthetic markets for large made-up portfolios (benchmarks need 25 and 1,000 assets).

A synthetic pair is a clone of a real non-margin pair from the fixture (``0GEUR``) with the
asked-for base, quote, decimals, minimums and status.
"""

from __future__ import annotations

import copy
import functools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .markets import Catalog, Pair, asset_id, load_fixture
from .util import JsonDict, quantum


@functools.cache
def _template() -> JsonDict:
    """A real non-margin pair (``0GEUR``) to clone synthetic markets from."""
    template: dict[str, Any] = load_fixture("AssetPairs.json")["result"]["0GEUR"]
    return template


def add_synthetic_pair(
    catalog: Catalog,
    *,
    base: str,
    quote: str,
    price: Decimal,
    lot_decimals: int,
    pair_decimals: int | None,
    ordermin: Decimal | None,
    costmin: Decimal,
    status: str,
) -> Pair:
    """Register asset ``base`` (if new) and pair ``<base><quote>`` in ``catalog``."""
    base_id, quote_id = asset_id(base), asset_id(quote)
    catalog.add_asset(base_id, decimals=max(10, lot_decimals))
    catalog.add_asset(quote_id)
    base_alt = str(catalog.assets[base_id]["altname"])
    quote_alt = str(catalog.assets[quote_id]["altname"])
    info = synthetic_pair_info(
        _template(),
        base_id=base_id,
        quote_id=quote_id,
        altname=base_alt + quote_alt,
        wsname=f"{base_alt}/{quote_alt}",
        lot_decimals=lot_decimals,
        pair_decimals=pair_decimals if pair_decimals is not None else price_places(price),
        ordermin=ordermin if ordermin is not None else about(5 / price, lot_decimals),
        costmin=costmin,
        status=status,
    )
    return catalog.add_pair(base_alt + quote_alt, info)


def synthetic_pair_info(
    template: JsonDict,
    *,
    base_id: str,
    quote_id: str,
    altname: str,
    wsname: str,
    lot_decimals: int,
    pair_decimals: int,
    ordermin: Decimal,
    costmin: Decimal,
    status: str,
) -> JsonDict:
    """An ``AssetPairs`` entry for a made-up market, cloned from a real non-margin pair."""
    info = copy.deepcopy(template)
    info.update(
        altname=altname,
        wsname=wsname,
        base=base_id,
        quote=quote_id,
        lot="unit5" if lot_decimals == 5 else "unit",
        cost_decimals=max(pair_decimals, 5),
        pair_decimals=pair_decimals,
        lot_decimals=lot_decimals,
        leverage_buy=[],
        leverage_sell=[],
        ordermin=f"{ordermin.normalize():f}",
        costmin=f"{costmin.normalize():f}",
        tick_size=f"{quantum(pair_decimals):f}",
        status=status,
    )
    info.pop("long_position_limit", None)
    info.pop("short_position_limit", None)
    return info


def price_places(price: Decimal) -> int:
    """Price decimals in Kraken's style: about five significant digits."""
    return max(0, min(10, 5 - price.adjusted()))


def about(value: Decimal, lot_decimals: int) -> Decimal:
    """``value`` rounded to one significant digit, at least one lot."""
    exponent = value.adjusted()
    rounded = value.scaleb(-exponent).quantize(Decimal(1), ROUND_HALF_UP).scaleb(exponent)
    return max(rounded, quantum(lot_decimals))
