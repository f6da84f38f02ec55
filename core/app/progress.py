"""Telling the front end how each order ended, while the execution goes on."""

from __future__ import annotations

import asyncio

import structlog

from core.app.api import OrderOutcome, Progress

log = structlog.get_logger(__name__)
PROGRESS_TIMEOUT_S = 5.0


class Reporter:
    """Passes each order's outcome on; a slow or failing front end never stalls orders."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress

    async def tell(self, outcome: OrderOutcome) -> None:
        if self.progress is None:
            return
        try:
            await asyncio.wait_for(self.progress(outcome), timeout=PROGRESS_TIMEOUT_S)
        except Exception as e:  # the front end's problem, not the execution's
            log.warning("execution.progress_failed", error=f"{type(e).__name__}: {e}")
