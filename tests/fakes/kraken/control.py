"""A minimal HTTP control plane for a fake running as a subprocess: ``/_control/<action>``.

Every action takes a JSON object body (POST; reads also accept GET with no body) and answers
JSON; amounts travel as strings. Bad input answers HTTP 400 ``{"error": "..."}``. Control
requests are not logged in ``requests`` and never see latency or faults.

=====================  ===================================================================
action                 body -> answer
=====================  ===================================================================
``balances``           ``{"balances": {"XXBT": "0.5"}, "replace": false}`` -> all balances
``price``              ``{"pair": "BTC/EUR", "price"|"bid"|"ask"|"last": "…"}`` -> quote
``fail_next``          ``{"endpoint": "AddOrder", "kind": "drop_after", "times": 1,
                       "when": {"pair": "SOLEUR"}}`` -> ``{"pending": n}``
``clear_faults``       ``{}`` -> ``{"pending": 0}``
``latency``            ``{"seconds": 0.05}`` -> ``{"latency": 0.05}``
``rate_limit_tier``    ``{"tier": "starter" | null}`` -> ``{"tier": …}``
``fees``               ``{"taker_fee_pct": "0.26" | null, "maker_fee_pct": …}``
``market``             ``{"base": "AAA", "quote": "EUR", "price": "1.5", "lot_decimals": 8,
                       "pair_decimals": 4, "ordermin": "1", "costmin": "0.45",
                       "status": "online", "balance": "10"}`` -> ``{"pair": "AAAEUR"}``
``pair_status``        ``{"pair": "SOLEUR", "status": "cancel_only"}``
``fill_order``         ``{"txid": "O…", "price": "…", "volume": "…"}`` -> the order
``liquidity``          ``{"level_value": "2000" | null, "levels": 10, "gap_bps": "5"}``
``post_only_cross``    ``{"mode": "reject" | "cancel"}``
``tape``               ``{"seed": 1, "spread_bps": "10", "step_bps": "5", "flow_value": "500",
                       "pairs": ["BTC/EUR"] | null}`` -> the tape's parameters
``advance``            ``{"steps": 1}`` -> ``{"steps": n, "fills": [{"txid", "price", …}]}``
``trade``              ``{"pair": "BTC/EUR", "side": "sell", "volume": "0.01"}`` -> fills
``counts``             -> ``{"counts": {"Ticker": 3}, "total": n, "rate_limit_errors": n}``
``orders``             -> ``{"orders": [{"txid": …, "pair": "XXBTZEUR", …Kraken fields}]}``
``requests``           -> ``{"requests": [{"method", "api", "endpoint", "params", …}]}``
``clear_requests``     ``{}`` -> ``{"total": 0}``
``state``              -> ``{"balances", "counts", "orders", "rate_limit_errors", …}``
=====================  ===================================================================
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .orders import Fill, Order
from .util import KrakenError

if TYPE_CHECKING:
    from .server import FakeKraken

Action = Callable[["FakeKraken", dict[str, Any]], dict[str, Any]]


def _balances(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    server.set_balances(body.get("balances", {}), replace=bool(body.get("replace", False)))
    return {"balances": {k: str(v) for k, v in server.balances.items()}}


def _price(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    keys = ("bid", "ask", "last")
    quote = server.set_price(body["pair"], body.get("price"), **{k: body.get(k) for k in keys})
    return {"pair": server.pair(body["pair"]).id} | {k: str(getattr(quote, k)) for k in keys}


def _fail_next(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    server.fail_next(body["endpoint"], body["kind"], int(body.get("times", 1)), body.get("when"))
    return {"pending": len(server.runtime.faults.pending)}


def _clear_faults(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    server.clear_faults()
    return {"pending": 0}


def _latency(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    server.latency = float(body["seconds"])
    return {"latency": server.latency}


def _tier(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    server.rate_limit_tier = body.get("tier")
    return {"tier": server.rate_limit_tier}


def _fees(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    server.taker_fee_pct = body.get("taker_fee_pct")
    server.maker_fee_pct = body.get("maker_fee_pct")
    return {
        "taker_fee_pct": _str(server.taker_fee_pct),
        "maker_fee_pct": _str(server.maker_fee_pct),
    }


def _market(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    options = {k: v for k, v in body.items() if k not in {"base", "quote", "price"}}
    pair = server.add_synthetic_market(
        body["base"], body.get("quote", "EUR"), body.get("price", "1"), **options
    )
    return {"pair": pair.id, "info": pair.info}


def _pair_status(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    server.set_pair_status(body["pair"], body["status"])
    return {"pair": server.pair(body["pair"]).id, "status": body["status"]}


def _fill_order(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    return _order_json(server.fill_order(body["txid"], body.get("price"), body.get("volume")))


def _liquidity(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    shape = server.set_liquidity(
        body.get("level_value"), levels=body.get("levels"), gap_bps=body.get("gap_bps")
    )
    value = _str(shape.level_value)
    return {"level_value": value, "levels": shape.levels, "gap_bps": str(shape.gap_bps)}


def _post_only_cross(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    server.post_only_cross = body["mode"]
    return {"mode": server.post_only_cross}


def _tape(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    options = {k: body[k] for k in ("spread_bps", "step_bps", "flow_value") if k in body}
    tape = server.start_tape(seed=int(body.get("seed", 0)), pairs=body.get("pairs"), **options)
    return {
        "seed": tape.seed,
        "spread_bps": str(tape.spread_bps),
        "step_bps": str(tape.step_bps),
        "flow_value": str(tape.flow_value),
    }


def _advance(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    steps = int(body.get("steps", 1))
    fills = server.advance(steps)
    return {"steps": server.tape.steps if server.tape else 0, "fills": _fills_json(server, fills)}


def _trade(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    fills = server.trade(body["pair"], body["side"], body["volume"])
    return {"fills": _fills_json(server, fills)}


def _fills_json(server: FakeKraken, fills: list[Fill]) -> list[dict[str, Any]]:
    owners = {f.trade_id: o.txid for o in server.orders for f in o.fills}
    return [
        {"txid": owners.get(f.trade_id), "trade_id": f.trade_id, "price": str(f.price)}
        | {"volume": str(f.volume), "maker": f.maker, "fee": str(f.fee)}
        for f in fills
    ]


def _counts(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    total = len(server.requests)
    return {
        "counts": server.counts(),
        "total": total,
        "rate_limit_errors": server.rate_limit_errors,
    }


def _orders(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    return {"orders": [_order_json(order) for order in server.orders]}


def _requests(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    return {"requests": [dataclasses.asdict(record) for record in server.requests]}


def _clear_requests(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    server.clear_requests()
    return {"total": 0}


def _state(server: FakeKraken, body: dict[str, Any]) -> dict[str, Any]:
    return (
        _balances(server, {})
        | _counts(server, {})
        | _orders(server, {})
        | {"latency": server.latency, "tier": server.rate_limit_tier, "url": server.url}
    )


def _order_json(order: Order) -> dict[str, Any]:
    return {"txid": order.txid, "pair": order.pair.id} | order.to_kraken(trades=True)


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


ACTIONS: dict[str, Action] = {
    "balances": _balances,
    "price": _price,
    "fail_next": _fail_next,
    "clear_faults": _clear_faults,
    "latency": _latency,
    "rate_limit_tier": _tier,
    "fees": _fees,
    "market": _market,
    "pair_status": _pair_status,
    "fill_order": _fill_order,
    "liquidity": _liquidity,
    "post_only_cross": _post_only_cross,
    "tape": _tape,
    "advance": _advance,
    "trade": _trade,
    "counts": _counts,
    "orders": _orders,
    "requests": _requests,
    "clear_requests": _clear_requests,
    "state": _state,
}


def control_handler(server: FakeKraken) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        action = ACTIONS.get(request.match_info["action"])
        if action is None:
            return web.json_response({"error": "unknown control action"}, status=404)
        try:
            raw = await request.text()
            body = json.loads(raw) if raw.strip() else {}
            return web.json_response(action(server, body))
        except (
            KeyError,
            TypeError,
            ValueError,
            ArithmeticError,
            RuntimeError,
            KrakenError,
        ) as error:
            return web.json_response({"error": f"{type(error).__name__}: {error}"}, status=400)

    return handle
