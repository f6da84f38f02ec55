"""/metrics: Prometheus text built at scrape time from what the core reports.

Run, order, fee and volume totals come from the database (so they count runs made by the
bot, the CLI and the API alike, and survive restarts); exchange requests and errors are this
process's own; the last check is the last one this API served.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.app.api import Api
from core.domain.models import Plan

HISTORY_LIMIT = 10_000  # runs read per scrape for the per-outcome and per-order counters
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class LastCheck:
    """The latest plan this process computed for a check, preview or plan."""

    plan: Plan | None = None
    at: datetime | None = None

    def note(self, plan: Plan) -> Plan:
        self.plan, self.at = plan, plan.created_at
        return plan


class RebalanceCollector(Collector):
    def __init__(self, api: Callable[[], Api], last: LastCheck) -> None:
        self.api = api
        self.last = last

    def collect(self) -> Iterator[Metric]:
        api = self.api()
        yield from _runs_and_orders(api)
        yield from _totals(api)
        yield from _last_check(self.last, api.quote)
        yield from _exchange(api)
        yield _heartbeat(api)


def _runs_and_orders(api: Api) -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "rebalance_runs", "Rebalance runs by outcome and trigger.", labels=["outcome", "trigger"]
    )
    orders = CounterMetricFamily(
        "rebalance_orders", "Orders sent, by side and status.", labels=["side", "status"]
    )
    by_run: Counter[tuple[str, str]] = Counter()
    by_order: Counter[tuple[str, str]] = Counter()
    for run in api.history(HISTORY_LIMIT):
        by_run[(run.outcome.value, run.trigger)] += 1
        for order in run.orders:
            by_order[(order.side.value, str(order.status))] += 1
    for labels, n in sorted(by_run.items()):
        runs.add_metric(list(labels), n)
    for labels, n in sorted(by_order.items()):
        orders.add_metric(list(labels), n)
    return iter((runs, orders))


def _totals(api: Api) -> Iterator[Metric]:
    stats = api.stats()
    fees = CounterMetricFamily("rebalance_fees", "Fees paid, quote units.", labels=["quote"])
    fees.add_metric([stats.quote_currency], float(stats.total_fees))
    traded = CounterMetricFamily(
        "rebalance_traded_value", "Value traded, quote units.", labels=["quote"]
    )
    traded.add_metric([stats.quote_currency], float(stats.total_traded))
    return iter((fees, traded))


def _last_check(last: LastCheck, quote: str) -> Iterator[Metric]:
    drift = GaugeMetricFamily("rebalance_drift_max_pct", "Largest drift at the last check, points.")
    value = GaugeMetricFamily(
        "rebalance_portfolio_value", "Account value at the last check.", labels=["quote"]
    )
    when = GaugeMetricFamily(
        "rebalance_last_check_timestamp_seconds", "When the last check was made (0: none yet)."
    )
    if last.plan is not None and last.at is not None:
        drift.add_metric([], float(last.plan.max_drift_pct))
        value.add_metric([last.plan.quote_currency], float(last.plan.total_value))
        when.add_metric([], last.at.timestamp())
    else:
        when.add_metric([], 0.0)
    return iter((drift, value, when))


def _exchange(api: Api) -> Iterator[Metric]:
    calls = api.exchange_calls()
    requests = CounterMetricFamily(
        "rebalance_exchange_requests", "Exchange requests, by method.", labels=["method"]
    )
    for method, n in sorted(calls.requests.items()):
        requests.add_metric([method], n)
    errors = CounterMetricFamily(
        "rebalance_exchange_errors", "Exchange requests that failed, by kind.", labels=["kind"]
    )
    for kind, n in sorted(calls.errors.items()):
        errors.add_metric([kind], n)
    return iter((requests, errors))


def _heartbeat(api: Api) -> Metric:
    beat = GaugeMetricFamily(
        "rebalance_bot_heartbeat_timestamp_seconds", "When the bot last recorded it is alive."
    )
    at = api.last_heartbeat()
    beat.add_metric([], 0.0 if at is None else at.timestamp())
    return beat


def registry(api: Callable[[], Api], last: LastCheck) -> CollectorRegistry:
    found = CollectorRegistry(auto_describe=False)
    found.register(RebalanceCollector(api, last))
    return found


def render(found: CollectorRegistry) -> bytes:
    return generate_latest(found)
