"""Talking to the fake Kraken on its wire: a real ccxt client, and hand-signed raw calls.

Shared by the tests that pin the fake's wire format (``test_fake_kraken_*.py``).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import ccxt.async_support as ccxt

from tests.fakes.kraken_server import TEST_API_SECRET, FakeKraken, sign

FIXTURES = Path(__file__).resolve().parents[1] / "fakes" / "kraken_fixtures"
RAW_KEY = "RAW-TEST-KEY"  # a second key on the same account: its own nonce sequence
_RAW_NONCES = itertools.count(int(time.time() * 1000))
_LOADED: list[Any] = []  # one client whose markets the others reuse (parsing costs ~50 ms)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def next_nonce() -> int:
    return next(_RAW_NONCES)


def make_exchange(kraken: FakeKraken, **config: Any) -> Any:
    """A real ccxt Kraken client aimed at the fake, the way an adapter would configure it."""
    exchange = ccxt.kraken({"enableRateLimit": False, "timeout": 3000, **config})
    exchange.urls["api"]["public"] = kraken.url  # no /0: ccxt adds /0/public/<Method>
    exchange.urls["api"]["private"] = kraken.url
    exchange.apiKey = kraken.api_key
    exchange.secret = kraken.api_secret
    exchange.timeout_on_exit = 0  # ccxt sleeps 250 ms in close() by default
    return exchange


@asynccontextmanager
async def open_kraken(**options: Any) -> AsyncIterator[FakeKraken]:
    """A started fake (seed 7) with ``RAW_KEY`` as a second key on the account."""
    async with FakeKraken(seed=7, **options) as server:
        server.add_api_key(RAW_KEY, TEST_API_SECRET)
        yield server


@asynccontextmanager
async def open_exchange(kraken: FakeKraken) -> AsyncIterator[Any]:
    """A ccxt client with the fixture markets loaded; the request log starts empty."""
    client = make_exchange(kraken)
    if _LOADED:
        client.set_markets_from_exchange(_LOADED[0])
    else:
        await client.load_markets()
        _LOADED.append(client)
    kraken.clear_requests()
    try:
        yield client
    finally:
        await client.close()


async def public(kraken: FakeKraken, method: str, query: str = "") -> tuple[int, Any]:
    url = f"{kraken.url}/0/public/{method}" + (f"?{query}" if query else "")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json(content_type=None)


async def private(
    kraken: FakeKraken,
    method: str,
    params: dict[str, str] | None = None,
    *,
    nonce: int | None = None,
    key: str = RAW_KEY,
    secret: str = TEST_API_SECRET,
    api_sign: str | None = None,
) -> Any:
    """A hand-signed private call, exactly as Kraken documents the signature."""
    nonce_text = str(nonce if nonce is not None else next_nonce())
    body = urlencode({"nonce": nonce_text, **(params or {})})
    path = f"/0/private/{method}"
    headers = {
        "API-Key": key,
        "API-Sign": api_sign or sign(path, nonce_text, body, secret),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(kraken.url + path, data=body, headers=headers) as response,
    ):
        return await response.json(content_type=None)


def only(requests: list[Any], endpoint: str) -> list[Any]:
    return [r for r in requests if r.endpoint == endpoint]
