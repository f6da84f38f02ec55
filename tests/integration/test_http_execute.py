"""Plans over HTTP: made by one token, executed once by that token with the plan's hash,
before it expires, through the same core path as the Confirm button. Real uvicorn and httpx,
live mode against a fake Kraken."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fakes.kraken_server import FakeKraken
from tests.integration.http_harness import READ, TRADE, Served, api_settings, served


@pytest.fixture
async def kraken() -> AsyncIterator[FakeKraken]:
    async with FakeKraken() as fake:
        yield fake


@pytest.fixture
async def api(tmp_path: Path, kraken: FakeKraken) -> AsyncIterator[Served]:
    async with served(api_settings(tmp_path / "db.sqlite", kraken)) as found:
        yield found


async def test_a_preview_shows_orders_with_every_amount_a_decimal_string(api: Served) -> None:
    body = (await api.client.get("/api/v1/preview", headers=READ)).json()

    assert body["quote"] == "EUR" and body["rebalance_due"] is True
    assert [o["side"] for o in body["orders"]] == ["sell", "buy", "buy", "buy"]
    for order in body["orders"]:
        assert {"side", "asset", "amount", "price", "cost", "fee"} <= set(order)
        assert all(isinstance(order[k], str) for k in ("amount", "price", "cost", "fee"))
        Decimal(order["amount"])
    assert Decimal(body["total_value"]) > 0
    assert {"value", "weight_pct", "target_pct", "drift_pct", "band_pct"} <= set(body["assets"][0])
    assert body["source"]["name"] == "kraken"


async def test_a_plan_executed_with_its_hash_places_its_orders_and_reports_them(
    api: Served, kraken: FakeKraken
) -> None:
    plan = await api.plan()
    answer = await api.execute(plan)

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["outcome"] == "full" and report["plan_id"] == plan["plan_id"]
    assert [o["status"] for o in report["orders"]] == ["filled"] * 4
    assert sorted(o["client_order_id"] for o in report["orders"]) == sorted(
        o.cl_ord_id or "" for o in kraken.orders
    )
    assert isinstance(report["run_id"], int) and report["drift_before"] and report["drift_after"]
    run = (await api.client.get(f"/api/v1/runs/{report['run_id']}", headers=READ)).json()
    assert run["outcome"] == "full" and len(run["orders"]) == 4
    runs = (await api.client.get("/api/v1/runs?limit=5", headers=READ)).json()["runs"]
    assert [r["run_id"] for r in runs] == [report["run_id"]]


async def test_a_plan_executed_twice_in_sequence_places_its_orders_once(
    api: Served, kraken: FakeKraken
) -> None:
    plan = await api.plan()
    first = await api.execute(plan)
    second = await api.execute(plan)

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_used"
    assert kraken.count("AddOrder") == len(kraken.orders) == 4


@pytest.mark.both_engines
async def test_two_concurrent_executes_of_one_plan_make_one_execution(
    db_url: str, kraken: FakeKraken
) -> None:
    kraken.latency = 0.05  # the first execution lasts long enough for the second to meet it
    async with served(api_settings(db_url, kraken)) as api:
        plan = await api.plan()
        answers = await asyncio.gather(api.execute(plan), api.execute(plan))
        runs = (await api.client.get("/api/v1/runs", headers=READ)).json()["runs"]

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["error"]["code"] in {"busy", "already_used"}
    assert kraken.count("AddOrder") == len(kraken.orders) == 4
    assert len(runs) == 1


async def test_a_wrong_plan_hash_is_422_and_places_nothing(api: Served, kraken: FakeKraken) -> None:
    plan = await api.plan()
    answer = await api.execute(plan | {"plan_hash": "0" * 64})

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "wrong_plan_hash"
    assert kraken.orders == []
    assert (await api.execute(plan)).status_code == 200  # the plan is still good


async def test_an_expired_plan_is_410(api: Served, kraken: FakeKraken) -> None:
    plan = await api.plan()
    api.clock.advance(seconds=121)  # CONFIRM_TTL_SECONDS is 120

    answer = await api.execute(plan)

    assert answer.status_code == 410
    assert answer.json()["error"]["code"] == "expired"
    assert kraken.orders == []


async def test_an_unknown_plan_or_run_is_404(api: Served) -> None:
    plan = {"plan_id": "no-such-plan", "plan_hash": "x"}
    unknown_plan = await api.execute(plan)
    unknown_run = await api.client.get("/api/v1/runs/999", headers=READ)

    assert unknown_plan.status_code == 404
    assert unknown_plan.json()["error"]["code"] == "unknown_plan"
    assert unknown_run.status_code == 404
    assert unknown_run.json()["error"]["code"] == "unknown_run"


async def test_a_plan_made_by_another_token_cannot_be_executed_by_this_one(
    tmp_path: Path, kraken: FakeKraken
) -> None:
    other = "another-trade-token-0123456789"
    settings = api_settings(tmp_path / "db.sqlite", kraken)
    async with served(settings) as api:
        plan = await api.plan()
    settings = api_settings(tmp_path / "db.sqlite", kraken, api_token_trade=other)
    async with served(settings) as api:
        answer = await api.execute(plan, headers={"Authorization": f"Bearer {other}"})

    assert answer.status_code == 404
    assert kraken.orders == []


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "plan_hash"), ({"plan_hash": 5}, "plan_hash"), ({"plan_hash": "x", "dry": 1}, "dry")],
    ids=["missing", "not a string", "unknown field"],
)
async def test_a_malformed_execute_body_is_422_naming_the_field(
    api: Served, kraken: FakeKraken, body: dict[str, object], field: str
) -> None:
    plan = await api.plan()
    url = f"/api/v1/plans/{plan['plan_id']}/execute"
    answer = await api.client.post(url, headers=TRADE, json=body)

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "bad_body" and field in error["message"]
    assert kraken.orders == []


async def test_a_body_that_is_not_json_is_422(api: Served) -> None:
    answer = await api.client.post(
        "/api/v1/plans/x/execute", headers=TRADE | {"Content-Type": "application/json"}, content="{"
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "bad_body"


async def test_no_plan_is_kept_when_no_rebalance_is_due_unless_forced(api: Served) -> None:
    async def plan_after_rebalance() -> tuple[int, int]:
        refused = await api.client.post("/api/v1/plans", headers=TRADE)
        forced = await api.client.post("/api/v1/plans?force=true", headers=TRADE)
        return refused.status_code, forced.status_code

    assert (await api.execute(await api.plan())).status_code == 200

    refused, forced = await plan_after_rebalance()
    assert (refused, forced) == (409, 201)


async def test_cooldown_refuses_with_409_cooldown(tmp_path: Path, kraken: FakeKraken) -> None:
    settings = api_settings(tmp_path / "db.sqlite", kraken, rebalance_cooldown_minutes=60)
    async with served(settings) as api:
        first = await api.plan()
        await api.execute(first)
        answer = await api.client.post("/api/v1/plans?force=true", headers=TRADE)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "cooldown"


async def test_an_unreachable_exchange_is_503_and_places_nothing(
    api: Served, kraken: FakeKraken
) -> None:
    plan = await api.plan()
    kraken.fail_next("Ticker", "EService:Unavailable", times=10)

    answer = await api.execute(plan)

    assert answer.status_code in (502, 503), answer.text
    assert answer.json()["error"]["code"] in {"exchange_unavailable", "exchange_error"}
    assert kraken.orders == []


async def test_prices_that_moved_since_the_plan_are_409_prices_moved(
    api: Served, kraken: FakeKraken
) -> None:
    plan = await api.plan()
    kraken.set_price("BTC/EUR", 44_000)  # 10 % up; the tolerance is 1 %

    answer = await api.execute(plan)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "prices_moved"
    assert kraken.orders == []


async def test_a_key_the_exchange_refuses_is_502_and_places_nothing(
    tmp_path: Path, kraken: FakeKraken
) -> None:
    settings = api_settings(tmp_path / "db.sqlite", kraken, kraken_api_key="not-this-key")
    async with served(settings) as api:
        answer = await api.client.get("/api/v1/preview", headers=READ)

    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "exchange_error"
    assert kraken.orders == []
