"""The bot asks again, on a timer, about an order whose outcome was not known, and tells
the users what it found: no one has to press anything, nothing is sent twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import unescape

from bot.telegram.app import FacadeFactory, build_application
from bot.telegram.runner import running
from core.app.rebalancer import Rebalancer
from core.bootstrap import app_settings, open_store, seed_targets, utc_now
from core.config import Settings
from core.exchange.kraken import KrakenExchange
from tests.e2e.conftest import OWNER, SettingsFactory
from tests.e2e.test_bot_confirm import ask_for_a_plan, confirm
from tests.fakes.kraken_server import TEST_API_KEY, TEST_API_SECRET, FakeKraken
from tests.fakes.telegram_server import FakeTelegram


def opener(kraken: FakeKraken) -> FacadeFactory:
    """The real wiring, with a Kraken client that does not retry reads (a quick test)."""

    @asynccontextmanager
    async def open_rebalancer(settings: Settings) -> AsyncIterator[Rebalancer]:
        store = open_store(settings)
        exchange = KrakenExchange(
            api_url=kraken.url, api_key=TEST_API_KEY, api_secret=TEST_API_SECRET, retry_delays=()
        )
        try:
            await seed_targets(settings, store, exchange)
            yield Rebalancer(app_settings(settings), exchange, store, utc_now)
        finally:
            await exchange.close()
            store.close()

    return open_rebalancer


async def test_an_order_of_unknown_outcome_is_resolved_by_the_timer_and_reported(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    app = build_application(
        live_settings(), open_facade=opener(kraken), alert_first_s=3600, reconcile_every_s=0.5
    )
    async with running(app, poll_timeout_s=1):
        plan = await ask_for_a_plan(tg)
        kraken.fail_next("AddOrder", "drop_after", when={"pair": "XXBTZEUR"})
        kraken.fail_next("OpenOrders", "EService:Unavailable", times=6)
        confirm(tg, plan)
        report = await tg.wait_for_message(OWNER, contains="not known yet", timeout=15)
        found = await tg.wait_for_message(OWNER, contains="Checked again", timeout=10)
    assert "1 order's outcome is not known yet: it may have been placed" in report["text"]
    assert "SELL 0.225 BTC: filled" in unescape(found["text"])
    assert kraken.count("AddOrder") == 4  # the sell once; the buys from its real proceeds
    assert len({o.cl_ord_id for o in kraken.orders}) == 4
