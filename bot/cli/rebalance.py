"""`rebalance-bot rebalance [--yes] [--force]`: preview, ask (or not), execute once, report;
the exit code says how the run went (README: exit codes)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import dataclass

from bot.cli import render as cli_render
from core.app.api import Api, OrderOutcome
from core.domain.models import Plan
from core.domain.statuses import RunOutcome
from core.errors import ExecutionRefused, InputError

CLI_USER = "cli"
NOT_DUE = (
    "No rebalance is due (every drift is inside DRIFT_BAND_PCT): nothing was placed. "
    "Add --force to trade anyway."
)
# `rebalance` exits with these when orders were sent, so cron and scripts notice.
EXIT_BY_OUTCOME = {
    RunOutcome.FULL: 0,
    RunOutcome.NOTHING: 0,
    RunOutcome.PARTIAL: 3,
    RunOutcome.FAILED: 4,
    RunOutcome.UNKNOWN: 5,
    RunOutcome.RUNNING: 5,
}


@dataclass(frozen=True)
class Output:
    """What a command prints, and the exit code it ends with."""

    text: str
    exit_code: int = 0


async def rebalance(app: Api, args: argparse.Namespace) -> str | Output:
    try:
        prepared = await app.prepare_rebalance(CLI_USER)
    except ExecutionRefused as e:  # cron inside the cooldown: a failure only if one is due
        unattended = e.code == "cooldown" and args.yes and not args.force
        if unattended and not (await app.check()).rebalance_due:
            return NOT_DUE
        raise
    print(cli_render.preview(prepared.plan, app.mode))
    report = None
    try:
        refusal = _why_not(prepared.plan, args)
        if refusal:
            return refusal
        report = await app.execute(prepared.plan_id, CLI_USER, progress=_print_progress)
    finally:
        if report is None:  # an executed plan is spent; a failed withdrawal must not hide it
            _withdraw_if_pending(app, prepared.plan_id)
    return Output(cli_render.report(report), EXIT_BY_OUTCOME[report.outcome])


def _why_not(plan: Plan, args: argparse.Namespace) -> str:
    """Why the plan is not executed, or "" to go ahead."""
    if not plan.orders:
        return "Nothing to do: the plan has no orders."
    if args.yes and not plan.rebalance_due and not args.force:
        return NOT_DUE
    if not (args.yes or _confirmed(len(plan.orders))):
        return "Cancelled: nothing was placed."
    return ""


def _withdraw_if_pending(app: Api, plan_id: str) -> None:
    """A plan the CLI did not run must not stay confirmable."""
    with contextlib.suppress(ExecutionRefused):
        app.cancel(plan_id, CLI_USER)


def _confirmed(n_orders: int) -> bool:
    if not sys.stdin.isatty():
        raise InputError("no terminal to confirm on: run `rebalance-bot rebalance --yes`")
    answer = input(f"\nPlace these {n_orders} orders now? [y/N] ")
    return answer.strip().lower() in {"y", "yes"}


async def _print_progress(outcome: OrderOutcome) -> None:
    print(f"  {outcome.side.value.upper()} {outcome.asset}: {outcome.status}", flush=True)
