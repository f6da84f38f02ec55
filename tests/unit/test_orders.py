"""Order values: which requests can be sent, and limit prices on the tick grid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.models import Market, Side
from core.domain.orders import (
    OrderAmend,
    OrderRequest,
    OrderType,
    TimeInForce,
    limit_price_on_grid,
)

D = Decimal


def market(price_decimals: int = 1, tick_size: Decimal | None = None) -> Market:
    return Market(
        symbol="BTC/EUR",
        base="BTC",
        quote="EUR",
        exchange_id="XXBTZEUR",
        amount_decimals=8,
        price_decimals=price_decimals,
        order_min=D("0.00005"),
        cost_min=D("0.45"),
        taker_fee=D("0.004"),
        tick_size=tick_size,
    )


def test_a_request_is_a_market_order_unless_it_says_otherwise() -> None:
    request = OrderRequest("c-1", "BTC/EUR", Side.BUY, D("0.1"))
    assert (request.order_type, request.limit_price, request.post_only) == (
        OrderType.MARKET,
        None,
        False,
    )
    assert request.time_in_force is TimeInForce.GTC


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"order_type": OrderType.LIMIT}, "needs a limit price"),
        ({"limit_price": D(1)}, "only a limit order"),
        ({"order_type": OrderType.LIMIT, "limit_price": D(0)}, "positive"),
        ({"post_only": True}, "post-only is for limit orders"),
        (
            {
                "order_type": OrderType.LIMIT,
                "limit_price": D(1),
                "post_only": True,
                "time_in_force": TimeInForce.IOC,
            },
            "not IOC",
        ),
    ],
)
def test_requests_that_cannot_be_sent_are_refused_when_built(
    changes: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        OrderRequest("c-1", "BTC/EUR", Side.BUY, D("0.1"), **changes)  # type: ignore[arg-type]


def test_an_amend_names_one_order_and_changes_something() -> None:
    with pytest.raises(ValueError, match="exchange id or by client id"):
        OrderAmend("BTC/EUR", Side.BUY, exchange_id="O1", client_id="c", limit_price=D(1))
    with pytest.raises(ValueError, match="changes the limit price"):
        OrderAmend("BTC/EUR", Side.BUY, client_id="c")
    assert OrderAmend("BTC/EUR", Side.BUY, client_id="c", amount=D(1)).post_only


def test_a_buy_price_is_rounded_down_and_a_sell_price_up_to_the_tick() -> None:
    btc = market()
    assert limit_price_on_grid(btc, Side.BUY, D("39998.37")) == D("39998.3")
    assert limit_price_on_grid(btc, Side.SELL, D("39998.31")) == D("39998.4")
    assert limit_price_on_grid(btc, Side.SELL, D("39998.3")) == D("39998.3")


def test_a_coarser_tick_size_wins_over_the_price_decimals() -> None:
    coarse = market(price_decimals=1, tick_size=D("0.5"))
    assert limit_price_on_grid(coarse, Side.BUY, D("100.4")) == D("100.0")
    assert limit_price_on_grid(coarse, Side.SELL, D("100.1")) == D("100.5")


@given(
    st.decimals(min_value=D("0.0001"), max_value=D("1000000"), places=8),
    st.integers(min_value=0, max_value=8),
    st.sampled_from([Side.BUY, Side.SELL]),
)
def test_a_price_on_the_grid_never_breaks_the_orders_promise(
    price: Decimal, decimals: int, side: Side
) -> None:
    on_grid = limit_price_on_grid(market(decimals), side, price)
    assert on_grid % market(decimals).price_tick == 0
    assert (on_grid <= price) if side is Side.BUY else (on_grid >= price)
    assert abs(on_grid - price) < market(decimals).price_tick
