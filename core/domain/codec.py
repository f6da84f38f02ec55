"""Plans to and from JSON-safe dicts, exactly (Decimals as strings), and a content hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.domain.models import (
    AssetLine,
    DataSource,
    LineStatus,
    Plan,
    PlannedOrder,
    Side,
    SkippedOrder,
)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    result: dict[str, Any] = _plain(plan)
    return result


def content_hash(plan: Plan) -> str:
    """SHA-256 of the plan's canonical JSON: binds a confirmation to one exact plan."""
    text = json.dumps(plan_to_dict(plan), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _line(d: dict[str, Any]) -> AssetLine:
    return AssetLine(
        asset=d["asset"],
        status=LineStatus(d["status"]),
        amount=Decimal(d["amount"]),
        price=_dec(d["price"]),
        value=Decimal(d["value"]),
        weight_pct=_dec(d["weight_pct"]),
        target_pct=_dec(d["target_pct"]),
        drift_pct=_dec(d["drift_pct"]),
        after_pct=_dec(d["after_pct"]),
        account_pct=Decimal(d.get("account_pct", d["weight_pct"])),
        band_pct=_dec(d.get("band_pct")),
        note=d["note"],
    )


def _order(d: dict[str, Any]) -> PlannedOrder:
    return PlannedOrder(
        asset=d["asset"],
        symbol=d["symbol"],
        side=Side(d["side"]),
        amount=Decimal(d["amount"]),
        price=Decimal(d["price"]),
        cost=Decimal(d["cost"]),
        fee=Decimal(d["fee"]),
    )


def _skip(d: dict[str, Any]) -> SkippedOrder:
    return SkippedOrder(
        d["asset"], Side(d["side"]), Decimal(d["amount"]), Decimal(d["value"]), d["reason"]
    )


def plan_from_dict(d: dict[str, Any]) -> Plan:
    """The plan `plan_to_dict` wrote. A plan stored before the pool fields existed still
    decodes (its hash no longer matches, so execution refuses it cleanly: take a fresh one)."""
    src = d["source"]
    return Plan(
        quote_currency=d["quote_currency"],
        created_at=datetime.fromisoformat(d["created_at"]),
        source=DataSource(src["name"], datetime.fromisoformat(src["as_of"]), src["note"]),
        total_value=Decimal(d["total_value"]),
        pool_value=Decimal(d.get("pool_value", d["total_value"])),
        lines=tuple(_line(x) for x in d["lines"]),
        orders=tuple(_order(x) for x in d["orders"]),
        skipped=tuple(_skip(x) for x in d["skipped"]),
        rebalance_due=bool(d["rebalance_due"]),
        max_drift_pct=Decimal(d["max_drift_pct"]),
        residual_drift_pct=Decimal(d["residual_drift_pct"]),
        drift_band_pct=Decimal(d["drift_band_pct"]),
        rebalance_to=d.get("rebalance_to", "target"),
        fraction=Decimal(d.get("fraction", "1")),
        untradable=tuple((k, Decimal(v)) for k, v in d.get("untradable", [])),
    )
