"""Locks, targets, stats and history: the owner's bookkeeping around the rebalancer."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from core.app.api import RunSummary, Stats
from core.app.journal import outcome
from core.app.ports import Exchange
from core.app.records import RunRecord, StatsRecord
from core.app.repositories import Store
from core.config import parse_weight_spec
from core.errors import InputError


def normalize_symbol(text: str) -> str:
    symbol = text.strip().upper()
    if not symbol or not symbol.isalnum() or len(symbol) > 12:
        raise InputError(
            f"'{text.strip()}' is not an asset symbol.", code="bad_symbol", data={"text": text}
        )
    return symbol


async def check_tradable(exchange: Exchange, symbol: str, quote: str) -> None:
    """InputError unless `symbol` is a Kraken asset with an online market against `quote`."""
    data = {"symbol": symbol, "quote": quote}
    if symbol == quote:
        raise InputError(
            f"{symbol} is the quote currency: it is cash, not a tradable asset.",
            code="quote_is_cash",
            data=data,
        )
    if symbol not in await exchange.tradable_assets(quote):
        raise InputError(
            f"{symbol} is not a Kraken asset tradable against {quote}.",
            code="not_tradable",
            data=data,
        )


async def validated_targets(exchange: Exchange, spec: str, quote: str) -> dict[str, Decimal]:
    """Parse `BTC=50,ETH=30,SOL=20` and check every symbol; raises InputError."""
    weights = parse_weight_spec(spec)
    tradable = await exchange.tradable_assets(quote)
    unknown = [s for s in weights if s != quote and s not in tradable]
    if unknown:
        raise InputError(
            f"not tradable against {quote} on Kraken: {', '.join(unknown)}.",
            code="targets_not_tradable",
            data={"symbols": unknown, "quote": quote},
        )
    return weights


def run_summary(run: RunRecord) -> RunSummary:
    return RunSummary(
        run_id=run.id,
        plan_id=run.plan_id,
        user_id=run.user_id,
        started_at=run.started_at,
        outcome=run.outcome,
        drift_before=run.drift_before,
        drift_after=run.drift_after,
        traded_value=run.traded_value,
        fees=run.fees,
        duration_s=run.duration_s,
        orders=tuple(outcome(e) for e in run.orders),
        trigger=run.trigger,
    )


def stats(store: Store, quote: str, cooldown_minutes: int, mode: str) -> Stats:
    """Runs, totals and the cooldown of trading mode `mode` only; locks are shared."""
    record: StatsRecord = store.stats(mode=mode)
    last = store.last_executed_run(mode=mode)
    ends: datetime | None = None
    if last is not None and cooldown_minutes > 0:
        ends = last.started_at + timedelta(minutes=cooldown_minutes)
    return Stats(
        runs_by_outcome={k.value: v for k, v in record.runs_by_outcome.items()},
        total_traded=record.total_traded,
        total_fees=record.total_fees,
        avg_drift_before=record.avg_drift_before,
        avg_drift_after=record.avg_drift_after,
        volume_by_asset={s.split("/")[0]: v for s, v in record.volume_by_symbol.items()},
        last_run=None if record.last_run is None else run_summary(record.last_run),
        cooldown_ends_at=ends,
        locks=tuple(store.locks()),
        quote_currency=quote,
        drift_series=record.drift_series,
        runs_by_trigger=dict(record.runs_by_trigger),
    )
