"""/healthz, /metrics (parsed by prometheus-client's own parser), the orchestrator's REST
shape, targets and locks over HTTP, and secrets kept out of answers and logs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.kraken_server import TEST_API_SECRET, FakeKraken
from tests.integration.http_harness import (
    READ,
    READ_TOKEN,
    TRADE,
    TRADE_TOKEN,
    Served,
    api_settings,
    served,
)

METRICS = {
    "rebalance_runs",
    "rebalance_orders",
    "rebalance_fees",
    "rebalance_traded_value",
    "rebalance_drift_max_pct",
    "rebalance_portfolio_value",
    "rebalance_last_check_timestamp_seconds",
    "rebalance_exchange_requests",
    "rebalance_exchange_errors",
    "rebalance_bot_heartbeat_timestamp_seconds",
}


@pytest.fixture
async def kraken() -> AsyncIterator[FakeKraken]:
    async with FakeKraken() as fake:
        yield fake


@pytest.fixture
async def api(tmp_path: Path, kraken: FakeKraken) -> AsyncIterator[Served]:
    async with served(api_settings(tmp_path / "db.sqlite", kraken)) as found:
        yield found


async def scrape(api: Served) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = await api.client.get("/metrics", headers=READ)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    families = list(text_string_to_metric_families(answer.text))
    assert {f.name for f in families} >= METRICS
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


async def test_the_metrics_parse_and_move_after_a_run(api: Served) -> None:
    before = await scrape(api)
    assert not any(name == "rebalance_runs_total" for name, _ in before)

    await api.execute(await api.plan())
    after = await scrape(api)

    assert after[("rebalance_runs_total", (("outcome", "full"), ("trigger", "manual")))] == 1
    assert after[("rebalance_orders_total", (("side", "buy"), ("status", "filled")))] == 3
    assert after[("rebalance_orders_total", (("side", "sell"), ("status", "filled")))] == 1
    assert after[("rebalance_fees_total", (("quote", "EUR"),))] > 0
    assert after[("rebalance_traded_value_total", (("quote", "EUR"),))] > 0
    assert after[("rebalance_portfolio_value", (("quote", "EUR"),))] > 0
    assert after[("rebalance_drift_max_pct", ())] > 5
    assert after[("rebalance_last_check_timestamp_seconds", ())] == api.clock().timestamp()
    assert after[("rebalance_exchange_requests_total", (("method", "AddOrder"),))] == 4


async def test_exchange_errors_are_counted_by_kind(api: Served, kraken: FakeKraken) -> None:
    kraken.fail_next("Ticker", "EService:Unavailable", times=10)
    await api.client.get("/api/v1/check", headers=READ)

    samples = await scrape(api)

    assert samples[("rebalance_exchange_errors_total", (("kind", "ExchangeUnavailable"),))] >= 1


async def test_health_is_503_until_the_heartbeat_then_200_until_it_goes_stale(
    api: Served,
) -> None:
    unborn = await api.client.get("/healthz")
    api.api.heartbeat()
    fresh = await api.client.get("/healthz")
    api.clock.advance(seconds=301)
    stale = await api.client.get("/healthz")

    assert unborn.status_code == 503
    assert unborn.json()["status"] == "unhealthy" and unborn.json()["reasons"]
    assert fresh.status_code == 200 and fresh.json()["status"] == "ok"
    assert stale.status_code == 503
    assert "heartbeat stale" in stale.json()["reasons"][0]
    samples = await scrape(api)
    assert samples[("rebalance_bot_heartbeat_timestamp_seconds", ())] > 0


def break_database(path: Path) -> None:
    """The SQLite file gone, a directory in its place: nothing can open it any more."""
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    path.mkdir()


async def test_health_is_503_when_the_database_cannot_be_read(
    tmp_path: Path, kraken: FakeKraken
) -> None:
    async with served(api_settings(tmp_path / "db.sqlite", kraken)) as api:
        api.api.heartbeat()
        api.api.store.close()  # type: ignore[attr-defined]  # its pooled connections go
        break_database(tmp_path / "db.sqlite")
        answer = await api.client.get("/healthz")

    assert answer.status_code == 503
    assert "database" in answer.json()["reasons"][0]


async def test_the_orchestrator_check_answers_in_its_envelope(api: Served) -> None:
    body = (await api.client.get("/api/rebalance/check?threshold=50", headers=READ)).json()

    assert set(body) == {"success", "data", "errors"}
    assert body["success"] is True and body["errors"] == []
    assert set(body["data"]) == {"portfolio", "orders", "summary"}
    assert body["data"]["orders"]["executed"] == []
    assert body["data"]["summary"]["rebalance_due"] is False  # no drift over 50 points


async def test_the_orchestrator_dry_run_previews_and_a_real_run_is_400(
    api: Served, kraken: FakeKraken
) -> None:
    preview = await api.client.get("/api/rebalance/execute", headers=READ)
    dry = await api.client.post("/api/rebalance/execute", headers=READ, json={"dryRun": True})
    real = await api.client.post("/api/rebalance/execute", headers=TRADE, json={"dryRun": False})

    assert preview.status_code == dry.status_code == 200
    assert len(dry.json()["data"]["orders"]["planned"]) == 4
    assert real.status_code == 400
    assert "/api/v1/plans" in real.json()["errors"][0]
    assert real.json()["error"]["code"] == "use_plans"
    assert kraken.orders == []


async def test_targets_are_set_and_validated_like_the_targets_command(api: Served) -> None:
    bad = await api.client.put("/api/v1/targets", headers=TRADE, json={"weights": {"BTC": "60"}})
    unknown = await api.client.put(
        "/api/v1/targets", headers=TRADE, json={"weights": {"BTC": "50", "NOPE": "50"}}
    )
    good = await api.client.put(
        "/api/v1/targets", headers=TRADE, json={"weights": {"BTC": "50", "ETH": 50}}
    )

    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_weights"
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "targets_not_tradable"
    assert good.status_code == 200
    assert good.json() == {"weights": {"BTC": "50", "ETH": "50"}}


async def test_locks_are_set_listed_and_removed(api: Served) -> None:
    locked = await api.client.put("/api/v1/locks/btc", headers=TRADE, json={"reason": "hodl"})
    listed = (await api.client.get("/api/v1/locks", headers=READ)).json()
    bad = await api.client.put("/api/v1/locks/NOPE", headers=TRADE)
    unlocked = await api.client.delete("/api/v1/locks/BTC", headers=TRADE)

    assert locked.json() == {"symbol": "BTC", "locked": True, "changed": True}
    assert [(x["symbol"], x["reason"]) for x in listed["locks"]] == [("BTC", "hodl")]
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "not_tradable"
    assert unlocked.json() == {"symbol": "BTC", "locked": False, "changed": True}


async def test_positions_are_the_body_of_positions_json(api: Served) -> None:
    answer = await api.client.get("/api/v1/positions", headers=READ)

    assert answer.status_code == 200
    body = answer.json()
    assert {"BTC", "ETH"} <= {p["asset"] for p in body["positions"]}, body


async def test_the_autopilot_status_is_served(api: Served) -> None:
    answer = await api.client.get("/api/v1/status", headers=READ)

    assert answer.status_code == 200
    assert answer.json()["mode"] == "off"


async def test_secrets_never_appear_in_answers_or_logs(
    api: Served, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    texts = []
    for headers in ({}, READ, TRADE, {"Authorization": f"Bearer {TRADE_TOKEN}x"}):
        for path in ("/api/v1/preview", "/metrics", "/healthz", "/api/openapi.json"):
            texts.append((await api.client.get(path, headers=headers)).text)
        texts.append((await api.client.post("/api/v1/plans", headers=headers)).text)
    out, err = capsys.readouterr()

    for secret in (READ_TOKEN, TRADE_TOKEN, TEST_API_SECRET):
        assert not any(secret in text for text in texts)
        assert secret not in out + err + caplog.text
