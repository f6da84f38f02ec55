"""/healthz (no token) and /metrics (read token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from bot.http import metrics
from bot.http.state import ApiDep, Reader, State

router = APIRouter()


@router.get("/healthz", response_model=None)
def healthz(state: State) -> dict[str, Any] | JSONResponse:
    """200 {"status": "ok"} while the database reads and the bot's heartbeat is fresh; 503
    with the reasons otherwise."""
    reasons: list[str] = []
    body: dict[str, Any] = {"mode": None, "heartbeat_at": None, "heartbeat_age_s": None}
    try:
        api = state.api()
        body["mode"] = api.mode
        beat = api.last_heartbeat()
    except Exception as e:  # any failure to read means unhealthy; say which kind
        reasons.append(f"database unreadable ({type(e).__name__})")
        beat = None
    else:
        if beat is None:
            reasons.append("no heartbeat recorded yet")
        else:
            age = (state.clock() - beat).total_seconds()
            body |= {"heartbeat_at": beat.isoformat(), "heartbeat_age_s": round(age, 1)}
            if age > state.heartbeat_max_age_s:
                reasons.append(f"heartbeat stale ({age:.0f} s old)")
    if reasons:
        return JSONResponse({"status": "unhealthy", "reasons": reasons} | body, status_code=503)
    return {"status": "ok"} | body


@router.get("/metrics")
def prometheus(_: Reader, __: ApiDep, state: State) -> Response:
    """Prometheus text format (prometheus-client)."""
    text = metrics.render(state.metrics_registry())
    return Response(text, media_type=metrics.CONTENT_TYPE)
