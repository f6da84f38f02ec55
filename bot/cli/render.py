"""Plain-text rendering of core results for the terminal. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from bot import fmt
from core.app.api import ExecutionReport, LockInfo, OrderOutcome, RunSummary, Stats
from core.domain.models import AssetLine, DataSource, LineStatus, Plan, PlannedOrder, SkippedOrder


def table(rows: Sequence[Sequence[str]], right: frozenset[int] = frozenset()) -> str:
    """Columns padded to their widest cell; columns in `right` are right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in pairs]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def source_line(source: DataSource) -> str:
    when = source.as_of.strftime("%Y-%m-%d %H:%M UTC")
    if source.is_snapshot:
        note = source.note or f"bundled snapshot of {source.as_of:%Y-%m-%d}"
        return f"Market data: {note} (not live)"
    return f"Market data: {fmt.source_name(source.name)}, {when}"


def header(title: str, plan: Plan, mode: str) -> str:
    pool = fmt.pool_note(plan.total_value, plan.pool_value, plan.quote_currency)
    return "\n".join(
        [
            f"{title} ({mode} mode)",
            source_line(plan.source),
            f"Total value: {fmt.money(plan.total_value)} {plan.quote_currency}"
            + (f" ({pool})" if pool else ""),
        ]
    )


def allocation(plan: Plan) -> str:
    """The pool's lines (weights of the pool), then the holdings outside it, apart."""
    rows = [["Asset", "Amount", "Price", "Value", "Weight", "Target", "Drift", "Band", "Note"]]
    rows += [_line_row(x) for x in plan.pool_lines]
    pool = table(rows, right=frozenset({1, 2, 3, 4, 5, 6, 7}))
    if not plan.outside_lines:
        return pool
    rows = [["Asset", "Amount", "Price", "Value", "Account", "Note"]]
    rows += [_outside_row(x) for x in plan.outside_lines]
    outside = table(rows, right=frozenset({1, 2, 3, 4}))
    return f"{pool}\n\nNot rebalanced (share of the whole account):\n{outside}"


def _outside_row(x: AssetLine) -> list[str]:
    values = [fmt.amount(x.amount), fmt.price(x.price), fmt.money(x.value)]
    return [x.asset, *values, fmt.pct(x.account_pct), x.note or x.status.value]


def _line_row(x: AssetLine) -> list[str]:
    note = x.note if x.status is not LineStatus.MANAGED else ""
    if x.status is LineStatus.QUOTE:
        note = "cash"
    return [
        x.asset,
        fmt.amount(x.amount),
        fmt.price(x.price),
        fmt.money(x.value),
        fmt.pct(x.weight_pct),
        fmt.pct(x.target_pct),
        fmt.pp(x.drift_pct),
        "±" + fmt.pp(x.band_pct).lstrip("+"),
        note,
    ]


def due_line(plan: Plan) -> str:
    worst = plan.furthest()
    if worst is None:
        return "Nothing to rebalance: no asset is managed."
    band = fmt.pp(worst.band_pct).lstrip("+")
    where = f"{worst.asset} is {fmt.pp(worst.drift_pct)} off its target"
    if plan.rebalance_due:
        return f"Rebalance due: yes. {where} (band ±{band})."
    return f"Rebalance due: no. Largest drift: {where} (band ±{band})."


def orders(items: Sequence[PlannedOrder], quote: str) -> str:
    if not items:
        return "No orders."
    rows = [["Side", "Asset", "Amount", "Est. price", f"Cost {quote}", f"Fee {quote}"]]
    rows += [_order_row(o) for o in items]
    return table(rows, right=frozenset({2, 3, 4, 5}))


def _order_row(o: PlannedOrder) -> list[str]:
    return [
        o.side.value.upper(),
        o.asset,
        fmt.amount(o.amount),
        fmt.price(o.price),
        fmt.money(o.cost),
        fmt.money(o.fee),
    ]


def skipped(items: Sequence[SkippedOrder]) -> str:
    if not items:
        return "Skipped: none."
    lines = ["Skipped:"]
    lines += [
        f"  {s.side.value.upper()} {fmt.amount(s.amount)} {s.asset}: {s.reason}" for s in items
    ]
    return "\n".join(lines)


def totals(plan: Plan) -> str:
    n_sell, n_buy = len(plan.sells), len(plan.buys)
    return "\n".join(
        [
            f"Totals: {n_sell} sell(s), {n_buy} buy(s), {len(plan.skipped)} skipped; "
            f"traded {fmt.money(plan.traded_value)} {plan.quote_currency}, "
            f"estimated fees {fmt.money(plan.fees)} {plan.quote_currency}.",
            f"Drift now: {fmt.pp(plan.max_drift_pct).lstrip('+')} at most; "
            f"after the plan: {fmt.pp(plan.residual_drift_pct).lstrip('+')} at most.",
            fmt.how_far(plan.rebalance_to, plan.fraction, plan.rebalance_due),
        ]
    )


def untradable(plan: Plan) -> str:
    """Holdings that are shown but never traded (staked, bonded, held by open orders)."""
    if not plan.untradable:
        return ""
    items = ", ".join(f"{name} {fmt.amount(amount)}" for name, amount in plan.untradable)
    return f"Not tradable (shown, never traded): {items}"


def check(plan: Plan, mode: str) -> str:
    parts = [header("Portfolio check", plan, mode), allocation(plan), untradable(plan)]
    return "\n\n".join([p for p in parts if p] + [due_line(plan)])


def preview(plan: Plan, mode: str) -> str:
    return "\n\n".join(
        [
            header("Rebalance preview", plan, mode),
            allocation(plan),
            *([untradable(plan)] if plan.untradable else []),
            due_line(plan),
            "Orders (sells first):\n" + orders(plan.orders, plan.quote_currency),
            skipped(plan.skipped),
            totals(plan),
        ]
    )


HISTORY = "`rebalance-bot history`"


def report(r: ExecutionReport) -> str:
    rows = [["Side", "Asset", "Requested", "Filled", "Avg price", "Fee", "Status"]]
    rows += [_outcome_row(o) for o in r.orders]
    reasons = [f"  {o.side.value.upper()} {o.asset}: {o.reason}" for o in r.orders if o.reason]
    head = f"Rebalance {fmt.outcome(r.outcome.value)} (plan {r.plan_id}, run {r.run_id})"
    parts = [
        f"{head} in {r.duration_s:.1f} s",
        table(rows, right=frozenset({2, 3, 4, 5})) if r.orders else "No orders were placed.",
    ]
    if r.problem:
        parts.insert(1, fmt.problem(r.problem, HISTORY))
    if reasons:
        parts.append("Reasons:\n" + "\n".join(reasons))
    if r.dropped:
        parts.append(fmt.not_bought([d.asset for d in r.dropped], [d.reason for d in r.dropped]))
    if r.unresolved:
        parts.append(fmt.unknown_orders(r.unresolved, HISTORY))
    parts += [
        skipped(r.skipped),
        f"Totals: {r.succeeded} filled, {r.failed} failed, "
        + (f"{r.unresolved} not known yet, " if r.unresolved else "")
        + f"{len(r.skipped)} skipped; "
        f"traded {fmt.money(r.traded_value)} {r.quote_currency}, "
        f"fees {fmt.money(r.fees)} {r.quote_currency}.",
        f"Drift before: {fmt.pp(r.drift_before).lstrip('+')}; "
        f"after: {fmt.pp(r.drift_after).lstrip('+') if r.drift_after is not None else 'unknown'}.",
    ]
    return "\n\n".join(parts)


def _outcome_row(o: OrderOutcome) -> list[str]:
    return [
        o.side.value.upper(),
        o.asset,
        fmt.amount(o.requested),
        fmt.amount(o.filled),
        fmt.price(o.average_price),
        fmt.money(o.fee),
        o.status,
    ]


def locks(items: Sequence[LockInfo]) -> str:
    if not items:
        return "No locked assets."
    rows = [["Asset", "Locked by", "Since", "Reason"]]
    rows += [
        [x.symbol, x.locked_by, f"{x.locked_at:%Y-%m-%d %H:%M} UTC", x.reason or ""] for x in items
    ]
    return table(rows)


def targets(weights: Mapping[str, Decimal]) -> str:
    rows = [["Asset", "Target"]] + [[a, fmt.pct(w, 2)] for a, w in weights.items()]
    return "Targets:\n" + table(rows, right=frozenset({1}))


def stats(s: Stats) -> str:
    q = s.quote_currency
    by = ", ".join(f"{k} {v}" for k, v in sorted(s.runs_by_outcome.items())) or "none"
    lines = [
        f"Rebalances: {s.runs} ({by})",
        *([f"Started by: {fmt.triggers(dict(s.runs_by_trigger))}"] if s.runs_by_trigger else []),
        f"Traded: {fmt.money(s.total_traded)} {q}; fees: {fmt.money(s.total_fees)} {q}",
        f"Average drift before: {fmt.pp(s.avg_drift_before).lstrip('+')}; "
        f"after: {fmt.pp(s.avg_drift_after).lstrip('+')}",
    ]
    if s.last_run is not None:
        lines.append(
            f"Last: {s.last_run.started_at:%Y-%m-%d %H:%M} UTC, "
            f"{fmt.outcome(s.last_run.outcome.value)}"
        )
    if s.cooldown_ends_at is not None:
        lines.append(f"Cooldown ends: {s.cooldown_ends_at:%Y-%m-%d %H:%M} UTC")
    if s.volume_by_asset:
        vol = ", ".join(f"{a} {fmt.money(v)}" for a, v in sorted(s.volume_by_asset.items()))
        lines.append(f"Volume by asset ({q}): {vol}")
    lines.append("Locked: " + (", ".join(x.symbol for x in s.locks) or "none"))
    return "\n".join(lines)


def history(runs: Sequence[RunSummary]) -> str:
    if not runs:
        return "No rebalances yet."
    blocks = []
    for run in runs:
        head = (
            f"#{run.run_id} {run.started_at:%Y-%m-%d %H:%M} UTC {fmt.outcome(run.outcome.value)}: "
            f"traded {fmt.money(run.traded_value)}, fees {fmt.money(run.fees)}, "
            f"drift {fmt.pp(run.drift_before).lstrip('+')} -> "
            f"{fmt.pp(run.drift_after).lstrip('+')} ({run.trigger})"
        )
        orders = [
            f"    {o.side.value.upper()} {fmt.amount(o.filled)}/{fmt.amount(o.requested)} "
            f"{o.asset} {o.status}{': ' + o.reason if o.reason else ''}"
            for o in run.orders
        ]
        blocks.append("\n".join([head, *orders]))
    return "\n".join(blocks)
