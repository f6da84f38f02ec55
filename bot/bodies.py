"""JSON bodies of core results: one schema for the HTTP API (bot/http) and the CLI's --json.

Plain dicts of str, bool, int, None, lists and dicts: every amount is a decimal string (never
a float), every time an ISO 8601 string in UTC. Pure functions.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.app.api import ExecutionReport, LockInfo, OrderOutcome, PreparedPlan, RunSummary, Stats
from core.domain.models import AssetLine, Plan, PlannedOrder, SkippedOrder

Body = dict[str, Any]


def dec(value: Decimal | None) -> str | None:
    """A decimal as a plain string ('0.1125', never '1.125E-1'); None stays None."""
    return None if value is None else f"{value:f}"


def when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _asset(x: AssetLine) -> Body:
    return {
        "asset": x.asset,
        "status": x.status.value,
        "amount": dec(x.amount),
        "price": dec(x.price),
        "value": dec(x.value),
        "weight_pct": dec(x.weight_pct),
        "target_pct": dec(x.target_pct),
        "drift_pct": dec(x.drift_pct),
        "band_pct": dec(x.band_pct),
        "after_pct": dec(x.after_pct),
        "account_pct": dec(x.account_pct),
        "out_of_band": x.out_of_band,
        "note": x.note,
    }


def check(plan: Plan, mode: str) -> Body:
    """The check: per asset value, weight, target, drift and band; whether a rebalance is due."""
    return {
        "mode": mode,
        "quote": plan.quote_currency,
        "total_value": dec(plan.total_value),
        "pool_value": dec(plan.pool_value),
        "rebalance_due": plan.rebalance_due,
        "max_drift_pct": dec(plan.max_drift_pct),
        "drift_band_pct": dec(plan.drift_band_pct),
        "source": {
            "name": plan.source.name,
            "as_of": when(plan.source.as_of),
            "note": plan.source.note,
        },
        "checked_at": when(plan.created_at),
        "assets": [_asset(x) for x in plan.lines],
        "untradable": {asset: dec(amount) for asset, amount in plan.untradable},
    }


def planned_order(o: PlannedOrder) -> Body:
    return {
        "side": o.side.value,
        "asset": o.asset,
        "symbol": o.symbol,
        "amount": dec(o.amount),
        "price": dec(o.price),
        "cost": dec(o.cost),
        "fee": dec(o.fee),
    }


def skipped_order(s: SkippedOrder) -> Body:
    return {
        "side": s.side.value,
        "asset": s.asset,
        "amount": dec(s.amount),
        "value": dec(s.value),
        "reason": s.reason,
    }


def preview(plan: Plan, mode: str) -> Body:
    """The check plus the orders a rebalance would place and what is skipped, with reasons."""
    return check(plan, mode) | {
        "orders": [planned_order(o) for o in plan.orders],
        "skipped": [skipped_order(s) for s in plan.skipped],
        "rebalance_to": plan.rebalance_to,
        "residual_drift_pct": dec(plan.residual_drift_pct),
        "traded_value": dec(plan.traded_value),
        "fees": dec(plan.fees),
    }


def prepared(plan: PreparedPlan, plan_hash: str, mode: str) -> Body:
    """A stored plan: its id, its hash (to execute it) and its expiry, then the preview."""
    head: Body = {"plan_id": plan.plan_id, "plan_hash": plan_hash}
    return head | {"expires_at": when(plan.expires_at)} | preview(plan.plan, mode)


def order_outcome(o: OrderOutcome) -> Body:
    return {
        "client_order_id": o.client_order_id,
        "side": o.side.value,
        "asset": o.asset,
        "symbol": o.symbol,
        "requested": dec(o.requested),
        "filled": dec(o.filled),
        "average_price": dec(o.average_price),
        "cost": dec(o.cost),
        "fee": dec(o.fee),
        "status": str(o.status),
        "reason": o.reason,
        # maker-first figures (null for market orders): ORDER_TYPE=maker-first
        "maker_share": dec(o.maker_share),
        "slippage_bps": dec(o.slippage_bps),
        "taker_fee_equivalent": dec(o.taker_fee_equivalent),
        "seconds": o.seconds,
    }


def report(r: ExecutionReport) -> Body:
    """The execution report: outcome, each order's status, fills, fees, drift before/after."""
    return {
        "run_id": r.run_id,
        "plan_id": r.plan_id,
        "outcome": r.outcome.value,
        "orders": [order_outcome(o) for o in r.orders],
        "skipped": [skipped_order(s) for s in r.skipped],
        "dropped": [skipped_order(s) for s in r.dropped],
        "drift_before": dec(r.drift_before),
        "drift_after": dec(r.drift_after),
        "traded_value": dec(r.traded_value),
        "fees": dec(r.fees),
        "quote": r.quote_currency,
        "started_at": when(r.started_at),
        "finished_at": when(r.finished_at),
        "problem": r.problem,
    }


def run(s: RunSummary) -> Body:
    """One past run with its orders."""
    return {
        "run_id": s.run_id,
        "plan_id": s.plan_id,
        "user_id": s.user_id,
        "trigger": s.trigger,
        "started_at": when(s.started_at),
        "outcome": s.outcome.value,
        "drift_before": dec(s.drift_before),
        "drift_after": dec(s.drift_after),
        "traded_value": dec(s.traded_value),
        "fees": dec(s.fees),
        "duration_s": s.duration_s,
        "orders": [order_outcome(o) for o in s.orders],
    }


def history(runs: Iterable[RunSummary]) -> Body:
    """Past runs, newest first."""
    return {"runs": [run(s) for s in runs]}


def lock(info: LockInfo) -> Body:
    return {
        "symbol": info.symbol,
        "locked_by": info.locked_by,
        "locked_at": when(info.locked_at),
        "reason": info.reason,
    }


def locks(infos: Iterable[LockInfo]) -> Body:
    return {"locks": [lock(i) for i in infos]}


def targets(weights: Mapping[str, Decimal]) -> Body:
    return {"weights": {asset: dec(w) for asset, w in weights.items()}}


def stats(s: Stats) -> Body:
    """Totals over the runs of the current mode."""
    return {
        "quote": s.quote_currency,
        "runs": s.runs,
        "runs_by_outcome": dict(s.runs_by_outcome),
        "total_traded": dec(s.total_traded),
        "total_fees": dec(s.total_fees),
        "avg_drift_before": dec(s.avg_drift_before),
        "avg_drift_after": dec(s.avg_drift_after),
        "volume_by_asset": {asset: dec(v) for asset, v in s.volume_by_asset.items()},
        "last_run": None if s.last_run is None else run(s.last_run),
        "cooldown_ends_at": when(s.cooldown_ends_at),
        "locks": [lock(i) for i in s.locks],
        "ledger": plain(s.ledger),  # positions: realized P&L, fees and volume per month
        "maker_share": dec(s.maker_share),  # of the maker-first traded value (null: none yet)
        "fee_saved": dec(s.fee_saved),  # the taker fee on that value less the fees paid
    }


def plain(value: Any) -> Any:
    """Any core result as JSON-safe values by the same rules (for results without a
    builder of their own yet): decimals and times as strings, dataclasses as dicts."""
    if isinstance(value, Decimal):
        return dec(value)
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
