"""The HTTP API's gate: no token or an unknown one is 401 and the exchange hears nothing; the
read token on a trade endpoint is 403 and no private call is made; more than 10 trade calls a
minute per token is 429. Real uvicorn on 127.0.0.1, real httpx, a fake Kraken behind it."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.kraken_server import FakeKraken
from tests.integration.http_harness import READ, TRADE, TRADE_TOKEN, Served, api_settings, served

TRADE_CALLS = [
    ("POST", "/api/v1/plans"),
    ("POST", "/api/v1/plans/some-plan/execute"),
    ("PUT", "/api/v1/targets"),
    ("PUT", "/api/v1/locks/BTC"),
    ("DELETE", "/api/v1/locks/BTC"),
]
READ_CALLS = [
    ("GET", "/api/v1/check"),
    ("GET", "/api/v1/preview"),
    ("GET", "/api/v1/runs"),
    ("GET", "/api/v1/targets"),
    ("GET", "/api/v1/locks"),
    ("GET", "/metrics"),
    ("GET", "/api/rebalance/check"),
]
BODIES = {
    "/api/v1/plans/some-plan/execute": {"plan_hash": "x"},
    "/api/v1/targets": {"weights": {"BTC": "100"}},
}


@pytest.fixture
async def kraken() -> AsyncIterator[FakeKraken]:
    async with FakeKraken() as fake:
        yield fake


@pytest.fixture
async def api(tmp_path: Path, kraken: FakeKraken) -> AsyncIterator[Served]:
    async with served(api_settings(tmp_path / "db.sqlite", kraken)) as found:
        yield found


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token-of-this-api-at-all"}, {"Authorization": "Basic x"}],
    ids=["no token", "unknown token", "not bearer"],
)
async def test_no_token_or_a_wrong_one_is_401_and_makes_no_exchange_call(
    api: Served, kraken: FakeKraken, headers: dict[str, str]
) -> None:
    kraken.clear_requests()
    for method, path in TRADE_CALLS + READ_CALLS:
        answer = await api.client.request(method, path, headers=headers, json=BODIES.get(path))

        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "unauthorized"
        assert answer.headers["www-authenticate"] == "Bearer"
    assert kraken.count() == 0


async def test_the_read_token_on_a_trade_endpoint_is_403_and_makes_no_private_call(
    api: Served, kraken: FakeKraken
) -> None:
    kraken.clear_requests()
    for method, path in TRADE_CALLS:
        answer = await api.client.request(method, path, headers=READ, json=BODIES.get(path))

        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "forbidden"
    assert kraken.count(api="private") == 0
    assert kraken.orders == []


async def test_the_read_token_is_403_on_a_trade_endpoint_even_with_a_malformed_body(
    api: Served,
) -> None:
    for method, path in TRADE_CALLS:
        answer = await api.client.request(
            method, path, headers=READ | {"Content-Type": "application/json"}, content="{bad"
        )

        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "forbidden"


async def test_the_trade_token_may_read_too(api: Served) -> None:
    answer = await api.client.get("/api/v1/targets", headers=TRADE)

    assert answer.status_code == 200
    assert answer.json() == {"weights": {"BTC": "40", "ETH": "30", "SOL": "20", "ADA": "10"}}


async def test_the_eleventh_trade_call_in_a_minute_is_429_with_a_retry_after(api: Served) -> None:
    codes = [
        (await api.client.delete("/api/v1/locks/DOGE", headers=TRADE)).status_code
        for _ in range(10)
    ]
    refused = await api.client.delete("/api/v1/locks/DOGE", headers=TRADE)
    reading = await api.client.get("/api/v1/locks", headers=TRADE)

    assert codes == [200] * 10
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert reading.status_code == 200  # reads are not limited


async def test_health_and_the_openapi_schema_need_no_token(api: Served) -> None:
    schema = await api.client.get("/api/openapi.json")
    health = await api.client.get("/healthz")

    assert schema.status_code == 200
    assert "/api/v1/plans/{plan_id}/execute" in schema.json()["paths"]
    assert health.status_code in (200, 503)
    assert TRADE_TOKEN not in schema.text


@pytest.mark.parametrize(
    ("weights", "wrong"),
    [
        ({"BTC": "40,ETH=30,SOL=20,ADA=10"}, "must be a number"),
        ({"BTC=40,ETH": "60"}, "not an asset symbol"),
    ],
    ids=["a spec in a value", "a spec in a key"],
)
async def test_target_weights_are_one_symbol_and_one_number_each(
    api: Served, weights: dict[str, object], wrong: str
) -> None:
    answer = await api.client.put("/api/v1/targets", headers=TRADE, json={"weights": weights})

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "bad_body"
    assert wrong in answer.json()["error"]["message"]
    unchanged = await api.client.get("/api/v1/targets", headers=READ)
    assert unchanged.json()["weights"] == {"BTC": "40", "ETH": "30", "SOL": "20", "ADA": "10"}


async def test_target_weights_may_be_json_numbers(api: Served) -> None:
    weights = {"BTC": 50.5, "ETH": 49.5}
    answer = await api.client.put("/api/v1/targets", headers=TRADE, json={"weights": weights})

    assert answer.status_code == 200, answer.text
    assert answer.json()["weights"] == {"BTC": "50.5", "ETH": "49.5"}


async def test_a_malformed_body_and_a_bad_query_are_told_apart(api: Served) -> None:
    body = await api.client.put(
        "/api/v1/targets", headers=TRADE | {"Content-Type": "application/json"}, content="{bad"
    )
    query = await api.client.get("/api/v1/runs/abc", headers=READ)

    assert body.status_code == query.status_code == 422
    assert body.json()["error"]["code"] == "bad_body"
    assert "not valid JSON" in body.json()["error"]["message"]
    assert query.json()["error"]["code"] == "bad_request"
    assert "run_id" in query.json()["error"]["message"]


async def test_a_request_waiting_on_the_database_never_holds_up_the_event_loop(
    api: Served, tmp_path: Path
) -> None:
    """The API shares its event loop with the bot under `rebalance-bot run`: a handler that
    waits for a locked database runs on a worker thread, and other requests still answer."""
    other = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another connection holds the write lock
    try:
        waiting = asyncio.ensure_future(api.client.delete("/api/v1/locks/BTC", headers=TRADE))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        schema = await api.client.get("/api/openapi.json")
        answered_in = time.monotonic() - started
        assert not waiting.done()  # still waiting for the lock
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert schema.status_code == 200
    assert answered_in < 2  # not behind the ~5 s busy wait
    assert (await waiting).status_code == 200
