"""Paper limit orders: post-only, IOC, resting with held funds, fills when prices trade through,
amend and cancel; and on the bundled snapshot, maker fills assumed at the limit."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.app.ports import MakerExchange
from core.domain.models import DataSource, MarketData, Quote, Side
from core.domain.orders import OrderAmend, OrderRequest, OrderType, TimeInForce
from core.domain.statuses import OrderStatus
from core.errors import InsufficientFunds, PostOnlyRejected, UnknownOrder
from core.exchange.paper import PaperExchange
from core.exchange.snapshot import load_snapshot
from core.specs import parse_amount_spec
from core.store.db import make_engine
from core.store.repo import Store
from tests.fakes.paper_book import FakePaperBook

D = Decimal
NOW = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=3)
SEED = parse_amount_spec("BTC=0.5,ETH=2,EUR=1000")


class LiveQuotes:
    """A public market source whose BTC/EUR quote the test moves (snapshot rules)."""

    def __init__(self, bid: str = "40000", ask: str = "40010") -> None:
        self.btc = Quote("BTC/EUR", D(bid), D(ask))
        self.calls = 0

    def move(self, bid: str, ask: str) -> None:
        self.btc = Quote("BTC/EUR", D(bid), D(ask))

    async def market_data(self, assets: Sequence[str], quote: str) -> MarketData:
        self.calls += 1
        data = load_snapshot().market_data(assets, quote)
        quotes = {**data.quotes, "BTC": self.btc} if "BTC" in assets else dict(data.quotes)
        return replace(data, quotes=quotes, source=DataSource("kraken-public", NOW))


def exchange(book: FakePaperBook, source: LiveQuotes | None = None) -> PaperExchange:
    return PaperExchange(book, SEED, market_source=source, now=lambda: NOW, rng=random.Random(3))


def limit(
    cid: str,
    side: Side,
    amount: str,
    price: str,
    *,
    post_only: bool = True,
    tif: TimeInForce = TimeInForce.GTC,
) -> OrderRequest:
    return OrderRequest(cid, "BTC/EUR", side, D(amount), OrderType.LIMIT, D(price), post_only, tif)


def test_the_paper_exchange_takes_limit_orders_that_rest() -> None:
    port: MakerExchange = exchange(FakePaperBook())
    assert port.name == "paper"


# -- on the bundled snapshot -------------------------------------------------------------------


async def test_on_the_snapshot_a_post_only_order_fills_at_its_limit_and_says_it_was_assumed() -> (
    None
):
    book = FakePaperBook()
    snapshot_bid = load_snapshot().quote("BTC", "EUR")
    assert snapshot_bid is not None
    order = await exchange(book).place_order(limit("s-1", Side.BUY, "0.01", str(snapshot_bid.bid)))
    assert (order.state, order.average_price, order.maker_share) == (
        OrderStatus.FILLED,
        snapshot_bid.bid,
        D(1),
    )
    assert order.fee == order.cost * D("0.0025")  # the maker fee
    assert "maker fill assumed at the limit" in order.note
    assert book.orders == [order]


async def test_on_the_snapshot_a_crossing_post_only_order_is_refused_with_krakens_text() -> None:
    book = FakePaperBook()
    ask = load_snapshot().quote("BTC", "EUR")
    assert ask is not None
    with pytest.raises(PostOnlyRejected) as caught:
        await exchange(book).place_order(limit("s-2", Side.BUY, "0.01", str(ask.ask)))
    assert caught.value.reason == "EOrder:Post only order"
    assert book.orders == []


# -- against live prices -----------------------------------------------------------------------


async def test_a_resting_order_holds_its_funds_until_the_market_trades_through_it() -> None:
    book, source = FakePaperBook(), LiveQuotes()
    paper = exchange(book, source)
    placed = await paper.place_order(limit("r-1", Side.BUY, "0.02", "39995.55"))
    assert (placed.state, placed.limit_price) == (OrderStatus.OPEN, D("39995.5"))  # on the grid
    balances = await paper.balances()
    held = D("0.02") * D("39995.5") * D("1.004")
    assert balances.untradable == {"EUR (open orders)": held}
    assert balances.tradable["EUR"] == D(1000) - held
    with pytest.raises(InsufficientFunds):
        await paper.place_order(limit("r-2", Side.BUY, "0.02", "39990"))
    source.move("39980", "39990")  # the ask comes down through the limit
    await paper.market_data(["BTC"], "EUR")
    [order] = (await paper.fetch_orders([placed.exchange_id])).values()
    assert (order.state, order.average_price, order.maker_share) == (
        OrderStatus.FILLED,
        D("39995.5"),
        D(1),
    )
    assert order.fee == D("0.02") * D("39995.5") * D("0.0025")
    after = await paper.balances()
    assert after.untradable == {}
    assert after.tradable["BTC"] == D("0.52")


async def test_a_resting_order_is_closed_when_it_fills_not_when_it_was_placed() -> None:
    book, source, clock = FakePaperBook(), LiveQuotes(), [NOW]
    paper = PaperExchange(book, SEED, market_source=source, now=lambda: clock[0])
    placed = await paper.place_order(limit("w-1", Side.SELL, "0.01", "40050"))
    assert placed.closed_at is None
    clock[0] = NOW + timedelta(seconds=42)
    source.move("40060", "40070")  # the bid goes up through the limit
    await paper.touch(["BTC/EUR"])
    [order] = (await paper.find_orders(["w-1"])).values()
    assert (order.state, order.closed_at) == (OrderStatus.FILLED, NOW + timedelta(seconds=42))
    assert book.recorded_at == [NOW]  # the order's first recording time is kept


async def test_an_order_refused_by_the_paper_exchange_is_given_no_exchange_id() -> None:
    book, source = FakePaperBook(), LiveQuotes()
    paper = exchange(book, source)
    with pytest.raises(PostOnlyRejected):
        await paper.place_order(limit("x-1", Side.BUY, "0.01", "40010"))
    with pytest.raises(InsufficientFunds):
        await paper.place_order(limit("x-2", Side.BUY, "1", "39000"))
    placed = await paper.place_order(limit("x-3", Side.BUY, "0.01", "39000"))
    first = await exchange(FakePaperBook(), LiveQuotes()).place_order(
        limit("x-3", Side.BUY, "0.01", "39000")
    )
    assert placed.exchange_id == first.exchange_id  # the same seeded id: none was spent before


async def test_a_crossing_limit_or_ioc_order_takes_at_the_touch() -> None:
    book, source = FakePaperBook(), LiveQuotes()
    paper = exchange(book, source)
    taken = await paper.place_order(limit("t-1", Side.SELL, "0.01", "39000", post_only=False))
    assert (taken.state, taken.average_price, taken.maker_share) == (
        OrderStatus.FILLED,
        D("40000"),
        D(0),
    )
    ioc = limit("t-2", Side.BUY, "0.01", "40050", post_only=False, tif=TimeInForce.IOC)
    filled = await paper.place_order(ioc)
    assert (filled.state, filled.average_price) == (OrderStatus.FILLED, D("40010"))
    assert filled.fee == D("0.01") * D("40010") * D("0.004")
    short = limit("t-3", Side.BUY, "0.01", "40005", post_only=False, tif=TimeInForce.IOC)
    missed = await paper.place_order(short)
    assert (missed.state, missed.filled, missed.reason) == (
        OrderStatus.CANCELED,
        D(0),
        "Immediate or cancel",
    )


async def test_an_amend_moves_the_limit_and_the_hold_and_keeps_the_ids() -> None:
    book, source = FakePaperBook(), LiveQuotes()
    paper = exchange(book, source)
    placed = await paper.place_order(limit("a-1", Side.BUY, "0.01", "39990"))
    source.move("40100", "40110")  # the touch runs away
    touch = (await paper.touch(["BTC/EUR"]))["BTC/EUR"]
    result = await paper.amend_order(
        OrderAmend("BTC/EUR", Side.BUY, client_id="a-1", limit_price=touch.bid)
    )
    assert result.limit_price == D("40100") and result.amend_id.startswith("T")
    [order] = (await paper.find_orders(["a-1"])).values()
    assert (order.exchange_id, order.limit_price, order.state) == (
        placed.exchange_id,
        D("40100"),
        OrderStatus.OPEN,
    )
    assert (await paper.balances()).untradable == {
        "EUR (open orders)": D("0.01") * D("40100") * D("1.004")
    }
    with pytest.raises(PostOnlyRejected):
        await paper.amend_order(
            OrderAmend("BTC/EUR", Side.BUY, client_id="a-1", limit_price=D("40110"))
        )


async def test_a_cancel_frees_the_funds_and_a_closed_order_is_returned_as_it_is() -> None:
    book, source = FakePaperBook(), LiveQuotes()
    paper = exchange(book, source)
    placed = await paper.place_order(limit("c-1", Side.SELL, "0.1", "40050"))
    assert (await paper.balances()).untradable == {"BTC (open orders)": D("0.1")}
    cancelled = await paper.cancel_order(exchange_id=placed.exchange_id)
    assert (cancelled.state, cancelled.reason) == (OrderStatus.CANCELED, "User requested")
    assert (await paper.balances()).untradable == {}
    again = await paper.cancel_order(client_id="c-1")
    assert again == cancelled
    with pytest.raises(UnknownOrder):
        await paper.cancel_order(client_id="never")
    with pytest.raises(UnknownOrder):
        await paper.amend_order(OrderAmend("BTC/EUR", Side.SELL, client_id="c-1", amount=D(1)))


async def test_a_waves_touch_is_one_market_read_per_quote_currency() -> None:
    source = LiveQuotes()
    touch = await exchange(FakePaperBook(), source).touch(["BTC/EUR", "ETH/EUR"])
    assert source.calls == 1
    assert set(touch) == {"BTC/EUR", "ETH/EUR"}
    assert touch["BTC/EUR"].bid == D("40000")


@pytest.mark.both_engines
async def test_a_resting_paper_order_kept_by_the_sql_store_fills_when_prices_trade_through(
    db_url: str,
) -> None:
    store, source = Store(make_engine(db_url)), LiveQuotes()
    try:
        paper = PaperExchange(store, SEED, market_source=source, now=lambda: NOW)
        placed = await paper.place_order(limit("db-1", Side.BUY, "0.01", "39990"))
        restarted = PaperExchange(store, {}, market_source=source, now=lambda: LATER)
        assert await restarted.find_orders(["db-1"]) == {"db-1": placed}
        held = D("0.01") * D("39990") * D("1.004")
        assert (await restarted.balances()).untradable == {"EUR (open orders)": held}
        source.move("39980", "39985")
        await restarted.market_data(["BTC"], "EUR")
        [order] = (await restarted.fetch_orders([placed.exchange_id])).values()
        assert (order.state, order.limit_price, order.maker_share, order.closed_at) == (
            OrderStatus.FILLED,
            D("39990"),
            D(1),
            LATER,
        )
        assert order.fee == D("0.01") * D("39990") * D("0.0025")
        assert (await restarted.balances()).tradable["BTC"] == D("0.51")
    finally:
        store.close()


@pytest.mark.both_engines
async def test_on_the_snapshot_the_sql_store_keeps_the_assumed_maker_fill_and_its_note(
    db_url: str,
) -> None:
    store, bid = Store(make_engine(db_url)), load_snapshot().quote("BTC", "EUR")
    assert bid is not None
    try:
        paper = PaperExchange(store, SEED, now=lambda: NOW)
        placed = await paper.place_order(limit("db-2", Side.SELL, "0.01", str(bid.ask)))
        assert await paper.find_orders(["db-2"]) == {"db-2": placed}
        assert (placed.order_type, placed.post_only, placed.closed_at) == (
            OrderType.LIMIT,
            True,
            NOW,
        )
        assert "maker fill assumed at the limit" in placed.note
    finally:
        store.close()
