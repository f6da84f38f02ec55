"""The paper exchange against the bundled snapshot, with an in-memory book. No network."""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from core.app.ports import Exchange
from core.domain.models import DataSource, MarketData, Quote, Side
from core.domain.orders import OrderRequest
from core.domain.statuses import OrderStatus
from core.errors import (
    ExchangeUnavailable,
    InsufficientFunds,
    MarketNotTradable,
    OrderRejected,
    UnknownPair,
)
from core.exchange.paper import PaperExchange
from core.exchange.snapshot import load_snapshot
from core.specs import parse_amount_spec
from tests.fakes.paper_book import FakePaperBook

NOW = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
WORKED = parse_amount_spec("BTC=0.5,ETH=2,SOL=20,ADA=1000,EUR=0")
KRAKEN_ID = re.compile(r"O[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{6}")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class FakeMarketSource:
    """Answers like a public Kraken client would, or fails the way one can."""

    def __init__(self, ada_price: str = "0.6", error: Exception | None = None) -> None:
        self.calls = 0
        self.error = error
        self.delay = 0.0
        self.ada = Decimal(ada_price)

    async def market_data(self, assets: Sequence[str], quote: str) -> MarketData:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        snapshot = load_snapshot().market_data(assets, quote)
        live = DataSource("kraken-public", NOW)
        quotes = {"ADA": Quote("ADA/EUR", self.ada, self.ada)} if "ADA" in assets else {}
        return replace(snapshot, quotes={**snapshot.quotes, **quotes}, source=live)


def paper(
    book: FakePaperBook,
    seed: dict[str, Decimal] | None = None,
    source: FakeMarketSource | None = None,
    clock: Clock | None = None,
) -> PaperExchange:
    return PaperExchange(
        book,
        WORKED if seed is None else seed,
        market_source=source,
        now=clock or Clock(),
        source_timeout_s=0.05,
        rng=random.Random(7),
    )


def order(symbol: str, side: Side, amount: str, client_id: str = "cl-1") -> OrderRequest:
    return OrderRequest(client_id, symbol, side, Decimal(amount))


def cash(eur: str) -> dict[str, Decimal]:
    return {**WORKED, "EUR": Decimal(eur)}


async def test_the_paper_exchange_is_an_exchange_named_paper() -> None:
    exchange: Exchange = paper(FakePaperBook())
    assert exchange.name == "paper"
    await exchange.close()


async def test_the_worked_portfolio_is_seeded_from_paper_balances_once() -> None:
    book = FakePaperBook()
    exchange = paper(book)
    assert (await exchange.balances()).tradable == WORKED
    assert (await exchange.balances()).untradable == {}
    assert book.seeded == 1
    assert book.balances == WORKED


async def test_a_book_that_already_has_balances_is_not_seeded_again() -> None:
    book = FakePaperBook({"BTC": Decimal(1)})
    assert (await paper(book).balances()).tradable == {"BTC": Decimal(1)}
    assert book.seeded == 0


async def test_a_buy_fills_at_the_ask_and_pays_the_taker_fee_in_eur() -> None:
    book = FakePaperBook()
    result = await paper(book, cash("1000")).place_order(order("BTC/EUR", Side.BUY, "0.01"))
    assert result.state is OrderStatus.FILLED
    assert (result.amount, result.filled) == (Decimal("0.01"), Decimal("0.01"))
    assert result.average_price == Decimal("40008.0")
    assert result.cost == Decimal("400.08")
    assert result.fee == Decimal("1.60032")
    assert result.client_id == "cl-1"
    assert result.symbol == "BTC/EUR"
    assert KRAKEN_ID.fullmatch(result.exchange_id)
    assert book.balances is not None
    assert book.balances["EUR"] == Decimal("1000") - Decimal("400.08") - Decimal("1.60032")
    assert book.balances["BTC"] == Decimal("0.51")


async def test_a_sell_fills_at_the_bid_and_receives_the_cost_minus_the_fee() -> None:
    book = FakePaperBook()
    result = await paper(book).place_order(order("ETH/EUR", Side.SELL, "1"))
    assert result.average_price == Decimal("2499.50")
    assert result.fee == Decimal("9.998")
    assert book.balances is not None
    assert book.balances["ETH"] == Decimal(1)
    assert book.balances["EUR"] == Decimal("2489.502")


async def test_balances_and_orders_persist_in_the_book_for_a_new_paper_exchange() -> None:
    book = FakePaperBook()
    placed = await paper(book).place_order(order("SOL/EUR", Side.SELL, "5", "sol-1"))
    again = paper(book, seed={"EUR": Decimal(1)})
    assert (await again.balances()).tradable["SOL"] == Decimal(15)
    assert await again.find_orders(["sol-1"]) == {"sol-1": placed}
    assert book.seeded == 1


async def test_the_order_is_recorded_at_the_injected_clock_time() -> None:
    book = FakePaperBook()
    await paper(book).place_order(order("ADA/EUR", Side.SELL, "100"))
    assert book.recorded_at == [NOW]


async def test_orders_are_found_by_client_id_and_by_exchange_id() -> None:
    exchange = paper(FakePaperBook())
    first = await exchange.place_order(order("BTC/EUR", Side.SELL, "0.1", "a"))
    second = await exchange.place_order(order("ETH/EUR", Side.SELL, "0.5", "b"))
    assert await exchange.find_orders(["a", "b", "unknown"]) == {"a": first, "b": second}
    assert await exchange.fetch_orders([second.exchange_id, "OAAAAA-BBBBB-CCCCCC"]) == {
        second.exchange_id: second
    }


@pytest.mark.parametrize(
    "client_id", [str(uuid.uuid4()), uuid.uuid4().hex, "rb-20260112-000001", "x"]
)
async def test_client_order_ids_in_krakens_formats_are_accepted(client_id: str) -> None:
    result = await paper(FakePaperBook()).place_order(order("BTC/EUR", Side.SELL, "0.1", client_id))
    assert result.client_id == client_id


@pytest.mark.parametrize("client_id", ["", "x" * 19, "has space", "ümlaut"])
async def test_other_client_order_ids_are_refused_like_kraken(client_id: str) -> None:
    with pytest.raises(OrderRejected) as caught:
        await paper(FakePaperBook()).place_order(order("BTC/EUR", Side.SELL, "0.1", client_id))
    assert caught.value.reason == "EGeneral:Invalid arguments:cl_ord_id"


@pytest.mark.parametrize(
    ("request_", "error", "reason"),
    [
        (order("FOO/EUR", Side.BUY, "1"), UnknownPair, "EQuery:Unknown asset pair"),
        (order("BTCEUR", Side.BUY, "1"), UnknownPair, "EQuery:Unknown asset pair"),
        (
            order("AGLD/EUR", Side.SELL, "10"),
            MarketNotTradable,
            "EService:Market in cancel_only mode",
        ),
        (
            order("AIO/EUR", Side.SELL, "100"),
            MarketNotTradable,
            "EService:Market in post_only mode",
        ),
        (
            order("BTC/EUR", Side.SELL, "0.000000001"),
            OrderRejected,
            "EGeneral:Invalid arguments:volume",
        ),
        (order("0G/EUR", Side.BUY, "2.000001"), OrderRejected, "EGeneral:Invalid arguments:volume"),
        (order("BTC/EUR", Side.SELL, "0"), OrderRejected, "EGeneral:Invalid arguments:volume"),
        (order("BTC/EUR", Side.SELL, "-0.1"), OrderRejected, "EGeneral:Invalid arguments:volume"),
        (order("BTC/EUR", Side.SELL, "0.00004999"), OrderRejected, "EOrder:Order minimum not met"),
        (order("ADA/EUR", Side.SELL, "4.39999999"), OrderRejected, "EOrder:Order minimum not met"),
        (order("BTC/EUR", Side.BUY, "0.001"), InsufficientFunds, "EOrder:Insufficient funds"),
        (order("BTC/EUR", Side.SELL, "0.50000001"), InsufficientFunds, "EOrder:Insufficient funds"),
        (order("SOL/USD", Side.SELL, "1"), OrderRejected, "no SOL/USD price in the snapshot"),
    ],
)
async def test_an_order_kraken_would_refuse_is_refused_with_krakens_text_and_changes_nothing(
    request_: OrderRequest, error: type[Exception], reason: str
) -> None:
    book = FakePaperBook(WORKED)
    with pytest.raises(error) as caught:
        await paper(book).place_order(request_)
    assert type(caught.value) is error
    assert isinstance(caught.value, OrderRejected | UnknownPair)
    assert caught.value.reason == reason
    assert book.balances == WORKED
    assert book.orders == []


async def test_a_buy_whose_fee_does_not_fit_the_cash_is_refused() -> None:
    exchange = paper(FakePaperBook(), cash("400.08"))
    with pytest.raises(InsufficientFunds):
        await exchange.place_order(order("BTC/EUR", Side.BUY, "0.01"))
    await paper(FakePaperBook(), cash("401.68032")).place_order(order("BTC/EUR", Side.BUY, "0.01"))


async def test_an_order_under_the_cost_minimum_is_refused() -> None:
    book = FakePaperBook(cash("100"))
    exchange = paper(book, source=FakeMarketSource(ada_price="0.1"))
    with pytest.raises(OrderRejected) as caught:
        await exchange.place_order(order("ADA/EUR", Side.BUY, "4.4"))
    assert caught.value.reason == "EOrder:Cost minimum not met"
    assert book.orders == []


async def test_trailing_zeros_beyond_the_lot_decimals_are_not_extra_precision() -> None:
    exchange = paper(FakePaperBook())
    result = await exchange.place_order(order("BTC/EUR", Side.SELL, "0.1000000000"))
    assert result.filled == Decimal("0.1")


async def test_market_data_comes_from_the_snapshot_by_default() -> None:
    data = await paper(FakePaperBook()).market_data(["BTC", "ETH", "SOL", "ADA", "AGLD"], "EUR")
    assert data.source.note == "bundled snapshot of 2026-01-12; prices illustrative"
    assert data.quotes["BTC"].mid == Decimal(40000)
    assert data.blocked == {"AGLD": "AGLD/EUR is cancel_only, not online"}


async def test_tradable_assets_are_the_online_markets_against_the_quote() -> None:
    tradable = await paper(FakePaperBook()).tradable_assets("EUR")
    assert {"BTC", "ETH", "SOL", "ADA"} <= tradable
    assert "AGLD" not in tradable


async def test_a_reachable_market_source_gives_the_prices_and_the_fills() -> None:
    book = FakePaperBook()
    exchange = paper(book, source=FakeMarketSource(ada_price="0.6"))
    data = await exchange.market_data(["ADA"], "EUR")
    assert data.source.name == "kraken-public"
    result = await exchange.place_order(order("ADA/EUR", Side.SELL, "100"))
    assert result.average_price == Decimal("0.6")


async def test_a_failing_market_source_falls_back_to_the_snapshot_with_one_log_line() -> None:
    source = FakeMarketSource(error=ExchangeUnavailable("Kraken is down"))
    with capture_logs() as logs:
        data = await paper(FakePaperBook(), source=source).market_data(["BTC"], "EUR")
    assert data.source.is_snapshot
    assert [entry["event"] for entry in logs] == ["paper.market_source_failed"]
    assert logs[0]["log_level"] == "warning"


async def test_a_slow_market_source_times_out_quickly_to_the_snapshot() -> None:
    source = FakeMarketSource()
    source.delay = 5
    data = await paper(FakePaperBook(), source=source).market_data(["BTC"], "EUR")
    assert data.source.is_snapshot


async def test_after_a_failure_the_source_rests_five_minutes_before_it_is_tried_again() -> None:
    clock = Clock()
    source = FakeMarketSource(error=OSError("network unreachable"))
    exchange = paper(FakePaperBook(), source=source, clock=clock)
    await exchange.market_data(["BTC"], "EUR")
    clock.now += timedelta(minutes=4)
    await exchange.market_data(["BTC"], "EUR")
    assert source.calls == 1
    source.error = None
    clock.now += timedelta(minutes=1)
    assert (await exchange.market_data(["BTC"], "EUR")).source.name == "kraken-public"
    assert source.calls == 2


async def test_the_sql_store_keeps_the_paper_account_across_exchanges(tmp_path: Path) -> None:
    from core.store.db import make_engine, upgrade
    from core.store.repo import Store

    url = f"sqlite:///{tmp_path / 'paper.db'}"
    upgrade(url)
    store = Store(make_engine(url))
    try:
        placed = await PaperExchange(store, WORKED, now=Clock()).place_order(
            order("ADA/EUR", Side.SELL, "123.45678901", "ada-1")
        )
        again = PaperExchange(store, {}, now=Clock())
        held = (await again.balances()).tradable
        assert held["ADA"] == Decimal("876.54321099")
        assert held["EUR"] == placed.cost - placed.fee
        assert await again.find_orders(["ada-1"]) == {"ada-1": placed}
    finally:
        store.close()
