"""/api/v1: thin handlers. Parse, call the Api, render with bot/bodies.py, reply."""

from __future__ import annotations

import hmac
import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from bot import bodies
from bot.autopilot_body import status_body
from bot.bodies_positions import positions_body
from bot.http.errors import ApiError
from bot.http.state import ApiDep, Reader, State, Trader
from core.app.api import Api

# Handlers that only call the Api's plain (database) methods are plain `def`: FastAPI runs
# them on its thread pool, so a slow database never holds up the event loop the bot shares.
router = APIRouter(prefix="/api/v1")
SYMBOL_TEXT = re.compile(r"[A-Za-z0-9]{1,16}")
NUMBER_TEXT = re.compile(r"-?\d+(\.\d+)?")
NO_PLAN = "There is no such plan for this token."


class ExecuteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan_hash: str = Field(min_length=1, max_length=128, description="the plan's `plan_hash`")


class TargetsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weights: dict[str, str | int | float] = Field(
        min_length=1, description='percent per asset, e.g. {"BTC": "40", "ETH": "60"}'
    )

    @field_validator("weights")
    @classmethod
    def _symbols_and_numbers(
        cls, weights: dict[str, str | int | float]
    ) -> dict[str, str | int | float]:
        """Each key one symbol, each value one number: nothing can smuggle in more targets."""
        for asset, weight in weights.items():
            if not SYMBOL_TEXT.fullmatch(asset):
                raise ValueError(f"{asset!r} is not an asset symbol (e.g. BTC)")
            if not NUMBER_TEXT.fullmatch(str(weight).strip()):
                raise ValueError(
                    f'the weight of {asset} must be a number such as "40", not {weight!r}'
                )
        return weights


class LockBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=200)


@router.get("/check")
async def check(_: Reader, api: ApiDep, state: State) -> dict[str, Any]:
    """Allocation against the targets, drift and band per asset, whether a rebalance is due."""
    return bodies.check(state.last_check.note(await api.check()), api.mode)


@router.get("/preview")
async def preview(_: Reader, api: ApiDep, state: State) -> dict[str, Any]:
    """The check plus the exact orders a rebalance would place now and what is skipped."""
    return bodies.preview(state.last_check.note(await api.preview()), api.mode)


@router.post("/plans", status_code=201)
async def make_plan(
    caller: Trader, api: ApiDep, state: State, force: bool = False
) -> dict[str, Any]:
    """Store a plan for this token: execute it with its `plan_id` and `plan_hash` before
    `expires_at`. Refused (409 `not_due`) when no rebalance is due, unless `force=true`."""
    prepared = await api.prepare_rebalance(caller.identity)
    state.last_check.note(prepared.plan)
    if not prepared.plan.rebalance_due and not force:
        await run_in_threadpool(api.cancel, prepared.plan_id, caller.identity)
        raise ApiError(
            "not_due",
            "No rebalance is due (every drift is inside DRIFT_BAND_PCT): no plan was kept. "
            "Add ?force=true to plan one anyway.",
        )
    plan_hash = await run_in_threadpool(api.plan_hash, prepared.plan_id) or ""
    return bodies.prepared(prepared, plan_hash, api.mode)


@router.post("/plans/{plan_id}/execute")
async def execute(plan_id: str, body: ExecuteBody, caller: Trader, api: ApiDep) -> dict[str, Any]:
    """Execute a plan this token made, once, before it expires (the Confirm button's path)."""
    await run_in_threadpool(_check_plan, api, plan_id, caller.identity, body.plan_hash)
    return bodies.report(await api.execute(plan_id, caller.identity))


def _check_plan(api: Api, plan_id: str, identity: str, plan_hash: str) -> None:
    if api.plan_owner(plan_id) != identity:
        raise ApiError("unknown_plan", NO_PLAN)
    stored = api.plan_hash(plan_id) or ""
    if not hmac.compare_digest(stored.encode(), plan_hash.encode()):
        raise ApiError(
            "wrong_plan_hash",
            "plan_hash does not match this plan: send the plan_hash returned with its plan_id.",
        )


@router.get("/runs")
def runs(
    _: Reader, api: ApiDep, limit: Annotated[int, Query(ge=1, le=1000)] = 10
) -> dict[str, Any]:
    """Past rebalances of the current mode, newest first."""
    return bodies.history(api.history(limit))


@router.get("/runs/{run_id}")
def run(run_id: int, _: Reader, api: ApiDep) -> dict[str, Any]:
    """One run with its orders."""
    found = api.run(run_id)
    if found is None:
        raise ApiError("unknown_run", f"There is no run {run_id} in {api.mode} mode.")
    return bodies.run(found)


@router.get("/stats")
def stats(_: Reader, api: ApiDep) -> dict[str, Any]:
    """Totals over the runs of the current mode."""
    return bodies.stats(api.stats())


@router.get("/targets")
def targets(_: Reader, api: ApiDep) -> dict[str, Any]:
    return bodies.targets(api.targets())


@router.put("/targets")
async def set_targets(body: TargetsBody, _: Trader, api: ApiDep) -> dict[str, Any]:
    """Validated exactly as the bot's /targets and the CLI's `targets SPEC`."""
    spec = ",".join(f"{asset}={weight}" for asset, weight in body.weights.items())
    return bodies.targets(await api.set_targets(spec))


@router.get("/locks")
def locks(_: Reader, api: ApiDep) -> dict[str, Any]:
    return bodies.locks(api.locked())


@router.put("/locks/{symbol}")
async def lock(
    symbol: str, caller: Trader, api: ApiDep, body: Annotated[LockBody | None, Body()] = None
) -> dict[str, Any]:
    """Freeze an asset out of rebalancing (withdraws pending plans)."""
    changed = await api.lock(symbol, caller.identity, body.reason if body else None)
    return {"symbol": symbol.strip().upper(), "locked": True, "changed": changed}


@router.delete("/locks/{symbol}")
def unlock(symbol: str, _: Trader, api: ApiDep) -> dict[str, Any]:
    changed = api.unlock(symbol)
    return {"symbol": symbol.strip().upper(), "locked": False, "changed": changed}


@router.get("/positions")
async def positions(_: Reader, api: ApiDep) -> dict[str, Any]:
    """Every position from real fills at live prices: the body of `positions --json`."""
    return positions_body(await api.positions())


@router.get("/status")
def status(_: Reader, api: ApiDep) -> dict[str, Any]:
    """The autopilot: mode, paused or not, strategy, next check, last run, caps (as
    `status --json`)."""
    return status_body(api.autopilot_status())
