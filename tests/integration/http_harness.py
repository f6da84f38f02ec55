"""The HTTP API served for real (uvicorn on 127.0.0.1, a free port) in this test's event loop,
on the real Rebalancer over a SQLite file, live against a fake Kraken (or paper on the
snapshot); an httpx client talks to it. Time is a FakeClock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.http.server import ApiServer, serving
from core.app.api import Api
from core.bootstrap import open_rebalancer
from core.config import Settings
from tests.fakes.clocks import FakeClock
from tests.fakes.kraken_server import TEST_API_KEY, TEST_API_SECRET, FakeKraken

READ_TOKEN = "read-token-0123456789abcdef"
TRADE_TOKEN = "trade-token-0123456789abcdef"
READ = {"Authorization": f"Bearer {READ_TOKEN}"}
TRADE = {"Authorization": f"Bearer {TRADE_TOKEN}"}


def api_settings(db: Path | str, kraken: FakeKraken | None, **changes: Any) -> Settings:
    """`db`: a SQLite file, or a database URL (e.g. the `db_url` fixture's, either engine)."""
    values: dict[str, Any] = {
        "_env_file": None,
        "database_url": db if isinstance(db, str) else f"sqlite:///{db}",
        "rebalance_cooldown_minutes": 0,
        "log_format": "console",
        "api_host": "127.0.0.1",
        "api_port": 0,  # a free port; the test reads the bound one
        "api_token_read": READ_TOKEN,
        "api_token_trade": TRADE_TOKEN,
    }
    if kraken is None:
        values |= {"trading_mode": "paper", "paper_market_data": "snapshot"}
    else:
        values |= {
            "trading_mode": "live",
            "kraken_api_url": kraken.url,
            "kraken_api_key": TEST_API_KEY,
            "kraken_api_secret": TEST_API_SECRET,
        }
    return Settings(**(values | changes))


@dataclass
class Served:
    """The running API, its facade, its clock and a client pointed at it."""

    client: httpx.AsyncClient
    api: Api
    clock: FakeClock
    server: ApiServer

    async def plan(self, **query: str) -> dict[str, Any]:
        answer = await self.client.post("/api/v1/plans", headers=TRADE, params=query)
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def execute(
        self, plan: dict[str, Any], headers: dict[str, str] = TRADE, **body: Any
    ) -> httpx.Response:
        payload = {"plan_hash": plan["plan_hash"]} | body
        url = f"/api/v1/plans/{plan['plan_id']}/execute"
        return await self.client.post(url, headers=headers, json=payload)


@asynccontextmanager
async def served(settings: Settings, clock: FakeClock | None = None) -> AsyncIterator[Served]:
    clock = clock or FakeClock()
    async with (
        open_rebalancer(settings, clock=clock) as facade,
        serving(settings, lambda: facade, clock) as server,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as client,
    ):
        yield Served(client, facade, clock, server)
