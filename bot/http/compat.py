"""The orchestrator's REST shape, read-only: `GET /api/rebalance/check?threshold=N`,
`GET /api/rebalance/execute` (a preview) and `POST /api/rebalance/execute` with
`{"dryRun": true}`, in its envelope `{"success", "data": {"portfolio", "orders": {"planned",
"executed": []}, "summary"}, "errors"}`. A real execution goes through /api/v1/plans."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from bot import bodies
from bot.http.errors import error_body
from bot.http.state import ApiDep, Reader, State
from core.domain.models import Plan

router = APIRouter(prefix="/api/rebalance")
USE_PLANS = (
    "dryRun: false is not supported here: POST /api/v1/plans (trade token), then "
    "POST /api/v1/plans/{plan_id}/execute with its plan_hash."
)


class DryRunBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    dryRun: bool = False


def envelope(plan: Plan, mode: str, threshold: Decimal | None = None) -> dict[str, Any]:
    body = bodies.preview(plan, mode)
    band = plan.drift_band_pct if threshold is None else threshold
    due = plan.rebalance_due if threshold is None else _due(plan, threshold)
    summary = {
        "rebalance_due": due,
        "threshold_pct": bodies.dec(band),
        "max_drift_pct": body["max_drift_pct"],
        "total_value": body["total_value"],
        "quote": body["quote"],
        "orders_planned": len(body["orders"]),
        "estimated_fees": body["fees"],
        "dry_run": True,
    }
    portfolio = {k: body[k] for k in ("quote", "total_value", "assets", "source")}
    data = {
        "portfolio": portfolio,
        "orders": {"planned": body["orders"], "executed": []},
        "summary": summary,
    }
    return {"success": True, "data": data, "errors": []}


def _due(plan: Plan, threshold: Decimal) -> bool:
    return any(x.drift_pct is not None and abs(x.drift_pct) > threshold for x in plan.lines)


@router.get("/check")
async def check(
    _: Reader,
    api: ApiDep,
    state: State,
    threshold: Annotated[Decimal | None, Query(gt=0, lt=100)] = None,
) -> dict[str, Any]:
    """The check in the orchestrator's envelope; `threshold` (points) decides `rebalance_due`."""
    return envelope(state.last_check.note(await api.check()), api.mode, threshold)


@router.get("/execute")
async def preview(_: Reader, api: ApiDep, state: State) -> dict[str, Any]:
    """A preview (nothing is placed), in the orchestrator's envelope."""
    return envelope(state.last_check.note(await api.preview()), api.mode)


@router.post("/execute", response_model=None)
async def dry_run(
    body: DryRunBody, _: Reader, api: ApiDep, state: State
) -> dict[str, Any] | JSONResponse:
    """`{"dryRun": true}`: a preview; anything else is refused with 400 (use /api/v1/plans)."""
    if not body.dryRun:
        answer = {"success": False, "data": None, "errors": [USE_PLANS]}
        return JSONResponse(answer | error_body("use_plans", USE_PLANS), status_code=400)
    return envelope(state.last_check.note(await api.preview()), api.mode)
