"""The HTTP API as outside callers see it: `rebalance-bot serve` (and `run`, beside the bot)
started as real processes, spoken to only over HTTP on 127.0.0.1; the CLI's --json prints the
bodies the endpoints return."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import CLI, OWNER, cli_env
from tests.fakes.kraken_server import FakeKraken
from tests.fakes.telegram_server import FakeTelegram
from tests.integration.http_harness import READ, READ_TOKEN, TRADE, TRADE_TOKEN

READY_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_env(base: dict[str, str], port: int) -> dict[str, str]:
    return base | {
        "API_PORT": str(port),
        "API_TOKEN_READ": READ_TOKEN,
        "API_TOKEN_TRADE": TRADE_TOKEN,
        "REBALANCE_COOLDOWN_MINUTES": "0",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }


def paper_env(tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return keep | {
        "TRADING_MODE": "paper",
        "PAPER_MARKET_DATA": "snapshot",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
    }


async def wait_healthy(client: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    """Until /healthz answers 200 (the process migrates, opens, beats, then listens)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_S
    while loop.time() < deadline and process.returncode is None:
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"the API never became healthy (exit code {process.returncode})")


@asynccontextmanager
async def started(
    command: str, env: dict[str, str], port: int, log: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, asyncio.subprocess.Process]]:
    """`rebalance-bot COMMAND` running and healthy; SIGTERM at the end."""
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            CLI, command, env=env, cwd=log.parent, stdout=out, stderr=out
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
                await wait_healthy(c, process)
                yield c, process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def test_serve_plans_and_executes_once_over_http_and_exits_0_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    async with FakeKraken() as kraken:
        env = api_env(cli_env(kraken, f"sqlite:///{tmp_path}/db.sqlite"), port)
        async with started("serve", env, port, log) as (client, process):
            preview = (await client.get("/api/v1/preview", headers=READ)).json()
            plan = (await client.post("/api/v1/plans", headers=TRADE)).json()
            url = f"/api/v1/plans/{plan['plan_id']}/execute"
            body = {"plan_hash": plan["plan_hash"]}
            first, second = await asyncio.gather(
                client.post(url, headers=TRADE, json=body),
                client.post(url, headers=TRADE, json=body),
            )
            metrics = (await client.get("/metrics", headers=READ)).text
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)
        orders = len(kraken.orders)

    assert len(preview["orders"]) == 4
    assert sorted((first.status_code, second.status_code)) == [200, 409]
    assert orders == 4
    runs = {
        s.labels["outcome"]: s.value
        for f in text_string_to_metric_families(metrics)
        for s in f.samples
        if s.name == "rebalance_runs_total"
    }
    assert runs == {"full": 1}
    text = log.read_text()
    assert code == 0, text
    assert READ_TOKEN not in text and TRADE_TOKEN not in text


async def test_serve_without_a_token_refuses_to_start_with_exit_2(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        CLI, "serve", env=paper_env(tmp_path), cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 2
    assert b"API_TOKEN_READ" in err


async def test_run_serves_the_api_beside_the_bot(tg: FakeTelegram, tmp_path: Path) -> None:
    port = free_port()
    env = api_env(paper_env(tmp_path), port) | {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.url,
        "TELEGRAM_ALLOWED_USERS": str(OWNER),
    }
    async with started("run", env, port, tmp_path / "run.log") as (client, process):
        check = await client.get("/api/v1/check", headers=READ)
        tg.send_user_message(OWNER, "/start")
        reply = await tg.wait_for_message(OWNER, contains="target weights", timeout=60)
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)

    assert check.status_code == 200 and check.json()["mode"] == "paper"
    assert "paper mode" in reply["text"]
    assert code == 0, (tmp_path / "run.log").read_text()


async def cli_json(env: dict[str, str], *argv: str) -> Any:
    process = await asyncio.create_subprocess_exec(
        CLI, *argv, "--json", env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0
    return json.loads(out)


async def test_the_cli_json_is_the_body_the_endpoint_returns(tmp_path: Path) -> None:
    port = free_port()
    env = api_env(paper_env(tmp_path), port)
    async with started("serve", env, port, tmp_path / "serve.log") as (client, _):
        await client.put("/api/v1/locks/ADA", headers=TRADE, json={"reason": "staked"})
        plan = (await client.post("/api/v1/plans", headers=TRADE)).json()
        await client.post(
            f"/api/v1/plans/{plan['plan_id']}/execute",
            headers=TRADE,
            json={"plan_hash": plan["plan_hash"]},
        )
        pairs = {
            ("targets",): "/api/v1/targets",
            ("locked",): "/api/v1/locks",
            ("stats",): "/api/v1/stats",
            ("history", "5"): "/api/v1/runs?limit=5",
            ("check",): "/api/v1/check",
            ("preview",): "/api/v1/preview",
            ("status",): "/api/v1/status",
        }
        for argv, path in pairs.items():
            served = (await client.get(path, headers=READ)).json()
            printed = await cli_json(env, *argv)
            served.pop("checked_at", None)
            printed.pop("checked_at", None)

            assert printed == served, argv


async def healthcheck(env: dict[str, str]) -> int | None:
    process = await asyncio.create_subprocess_exec(
        CLI, "healthcheck", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    return await asyncio.wait_for(process.wait(), 60)


async def test_the_healthcheck_asks_healthz_when_the_api_is_on(tmp_path: Path) -> None:
    port = free_port()
    env = api_env(paper_env(tmp_path), port)
    async with started("serve", env, port, tmp_path / "serve.log"):
        while_up = await healthcheck(env)
    after = await healthcheck(env)

    assert (while_up, after) == (0, 1)


async def test_serve_on_a_port_in_use_exits_1_naming_the_setting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = api_env(paper_env(tmp_path), int(taken.getsockname()[1]))
        process = await asyncio.create_subprocess_exec(
            CLI, "serve", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
        )
        _, err = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 1
    assert b"API_PORT" in err
