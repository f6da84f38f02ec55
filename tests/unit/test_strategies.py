"""Drift inside the pool, REBALANCE_TO and relative bands, by example.

The figures come from first principles on the issue's worked example: 27,500 EUR at
40/30/20/10 with BTC at 20,000 EUR, so BTC is 72.73 % of the pool, +32.73 pp (= 360/11).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from core.domain.codec import content_hash, plan_from_dict, plan_to_dict
from core.domain.execution_rules import cash_reserve
from core.domain.models import ZERO, Balances, LineStatus, Plan, Portfolio, RebalanceTo, Side
from core.domain.planner import make_plan
from core.domain.strategy import band, fraction, parse_rebalance_to
from tests.unit.builders import (
    NOW,
    WORKED_AMOUNTS,
    WORKED_PRICES,
    WORKED_TARGETS,
    d,
    decimals,
    market,
    plan_settings,
    portfolio,
    worked_portfolio,
)

WORKED = decimals(WORKED_TARGETS)
NONE_LOCKED: frozenset[str] = frozenset()
BTC_DRIFT = Decimal(360) / 11  # 20,000 / 27,500 = 72.73 %, against 40 %


def plan_worked(spec: str = "target", locked: frozenset[str] = NONE_LOCKED, **kw: object) -> Plan:
    settings = plan_settings(rebalance_to=parse_rebalance_to(spec), **kw)
    return make_plan(worked_portfolio(), WORKED, locked, settings, NOW)


def without_fees(book: Portfolio) -> Portfolio:
    """The same account on markets that charge no fee: the fraction rule shows exactly."""
    markets = {a: replace(m, taker_fee=ZERO) for a, m in book.market.markets.items()}
    return Portfolio(book.balances, replace(book.market, markets=markets))


def after(book: Portfolio, plan: Plan) -> Portfolio:
    """The account once the plan's orders filled as estimated."""
    amounts = dict(book.balances.tradable)
    for o in plan.orders:
        sign = 1 if o.side is Side.BUY else -1
        amounts[o.asset] = amounts.get(o.asset, ZERO) + sign * o.amount
        amounts["EUR"] = amounts.get("EUR", ZERO) - sign * o.cost - o.fee
    return Portfolio(Balances(amounts), book.market)


def sold(plan: Plan, asset: str) -> Decimal:
    return next(o.amount for o in plan.sells if o.asset == asset)


def drift(plan: Plan, asset: str) -> Decimal:
    line = plan.line(asset)
    assert line is not None and line.drift_pct is not None
    return line.drift_pct


# --- REBALANCE_TO on the worked example ----------------------------------------------------


def test_in_the_worked_example_btc_is_32_73_points_over_its_target() -> None:
    plan = plan_worked()

    assert drift(plan, "BTC") == pytest.approx(BTC_DRIFT)
    assert f"{drift(plan, 'BTC'):.2f}" == "32.73"
    assert plan.rebalance_due


@pytest.mark.parametrize(
    ("spec", "f", "btc_sold"),
    [
        ("target", Decimal(1), Decimal("0.225")),  # 9,000 EUR of BTC
        ("band-edge", 1 - 5 / BTC_DRIFT, Decimal("0.190625")),  # f = 0.8472: 7,625 EUR
        ("halfway", 1 - Decimal("2.5") / BTC_DRIFT, Decimal("0.2078125")),  # 8,312.50 EUR
        ("50%", Decimal("0.5"), Decimal("0.1125")),  # 4,500 EUR
    ],
)
def test_each_strategy_sells_its_fraction_of_the_way_to_target(
    spec: str, f: Decimal, btc_sold: Decimal
) -> None:
    plan = plan_worked(spec)

    assert plan.fraction == pytest.approx(f)
    assert sold(plan, "BTC") == btc_sold
    assert (plan.rebalance_to, plan.rebalance_due) == (spec, True)


def test_band_edge_has_a_fraction_of_0_8472_in_the_worked_example() -> None:
    assert f"{plan_worked('band-edge').fraction:.4f}" == "0.8472"


def test_every_asset_goes_the_same_fraction_of_the_way_to_its_target() -> None:
    book = without_fees(worked_portfolio())
    settings = plan_settings(rebalance_to=parse_rebalance_to("band-edge"))
    plan = make_plan(book, WORKED, NONE_LOCKED, settings, NOW)

    values = {a: d(WORKED_AMOUNTS[a]) * d(p) for a, p in WORKED_PRICES.items()}
    at_target = {a: 27_500 * t / 100 for a, t in WORKED.items()}
    moved = {o.asset: o.cost if o.side is Side.BUY else -o.cost for o in plan.orders}
    for asset, value in values.items():
        wanted = value + plan.fraction * (at_target[asset] - value)
        assert value + moved[asset] == pytest.approx(wanted, abs=Decimal("0.001")), asset


def test_without_fees_band_edge_leaves_the_asset_furthest_out_on_its_band_edge() -> None:
    book = without_fees(worked_portfolio())
    settings = plan_settings(rebalance_to=parse_rebalance_to("band-edge"))
    plan = make_plan(book, WORKED, NONE_LOCKED, settings, NOW)
    then = make_plan(after(book, plan), WORKED, NONE_LOCKED, settings, NOW)

    assert drift(then, "BTC") == pytest.approx(Decimal(5), abs=Decimal("1e-6"))
    assert plan.residual_drift_pct == pytest.approx(Decimal(5), abs=Decimal("1e-6"))
    assert not then.rebalance_due
    assert all(abs(x.drift_pct or ZERO) <= 5 for x in then.lines)


def test_without_fees_halfway_leaves_it_halfway_between_edge_and_target() -> None:
    book = without_fees(worked_portfolio())
    settings = plan_settings(rebalance_to=parse_rebalance_to("halfway"))
    plan = make_plan(book, WORKED, NONE_LOCKED, settings, NOW)

    assert drift(make_plan(after(book, plan), WORKED, NONE_LOCKED, settings, NOW), "BTC") == (
        pytest.approx(Decimal("2.5"), abs=Decimal("1e-6"))
    )


def test_the_plan_records_the_strategy_the_fraction_and_each_lines_band() -> None:
    plan = plan_worked("halfway")

    assert plan.rebalance_to == "halfway"
    assert plan.fraction == 1 - Decimal("2.5") / drift(plan, "BTC")
    assert {x.asset: x.band_pct for x in plan.lines} == dict.fromkeys(
        ("EUR", "BTC", "ETH", "SOL", "ADA"), Decimal(5)
    )
    assert plan.residual_drift_pct > plan.drift_band_pct / 2  # BTC is left about 2.6 pp over


# --- nothing due, forced plans --------------------------------------------------------------

# 27,500 EUR at target except ADA, 1,100 EUR short (that much cash instead): -4 and +4 pp.
NEAR = {"BTC": "0.275", "ETH": "3.3", "SOL": "55", "ADA": "3300", "EUR": "1100"}


def near_plan(spec: str, **settings: object) -> Plan:
    book = portfolio(NEAR, WORKED_PRICES)
    chosen = plan_settings(rebalance_to=parse_rebalance_to(spec), **settings)
    return make_plan(book, WORKED, NONE_LOCKED, chosen, NOW)


@pytest.mark.parametrize("spec", ["band-edge", "halfway", "50%"])
def test_when_nothing_is_out_of_band_nothing_is_due_and_a_forced_plan_goes_to_target(
    spec: str,
) -> None:
    plan = near_plan(spec)

    assert not plan.rebalance_due
    assert (plan.rebalance_to, plan.fraction) == (spec, 1)
    assert plan.orders == near_plan("target").orders
    assert [(o.side, o.asset) for o in plan.orders] == [(Side.BUY, "ADA")]


# --- drift inside the pool ----------------------------------------------------------------


def test_with_btc_locked_eth_is_66_7_percent_of_the_pool_and_a_rebalance_is_due() -> None:
    plan = plan_worked(locked=frozenset({"BTC"}))

    eth, btc = plan.line("ETH"), plan.line("BTC")
    assert eth is not None and btc is not None
    assert (plan.total_value, plan.pool_value) == (27_500, 7_500)
    assert eth.weight_pct == pytest.approx(Decimal(200) / 3)
    assert eth.target_pct == 50
    assert eth.drift_pct == pytest.approx(Decimal(50) / 3)  # +16.7 pp
    assert plan.rebalance_due
    assert (btc.weight_pct, btc.drift_pct, btc.band_pct) == (None, None, None)
    assert btc.account_pct == pytest.approx(Decimal(20_000) / 275)  # 72.7 % of the account


def test_the_quotes_own_target_is_renormalized_over_the_pool_too() -> None:
    book = portfolio({"BTC": "0.25", "ETH": "2", "EUR": "1000"}, WORKED_PRICES)
    targets = {"BTC": d(60), "ETH": d(20), "EUR": d(20)}
    plan = make_plan(book, targets, frozenset({"BTC"}), plan_settings(), NOW)

    eur = plan.line("EUR")
    assert eur is not None and plan.pool_value == 6_000
    assert (eur.target_pct, eur.weight_pct) == (50, pytest.approx(Decimal(100) / 6))
    assert cash_reserve(plan) == 3_000  # half of the 6,000 EUR pool: ETH is sold to it


def test_unmanaged_and_blocked_holdings_are_outside_the_pool_with_their_account_share() -> None:
    markets = {"SOL": market("SOL", status="cancel_only")}
    amounts, prices = {**WORKED_AMOUNTS, "DOT": "100"}, {**WORKED_PRICES, "DOT": "5"}
    book = portfolio(amounts, prices, markets=markets)
    plan = make_plan(book, WORKED, NONE_LOCKED, plan_settings(), NOW)

    assert (plan.total_value, plan.pool_value) == (28_000, 25_500)
    assert [(x.asset, x.status) for x in plan.outside_lines] == [
        ("DOT", LineStatus.UNMANAGED),
        ("SOL", LineStatus.BLOCKED),
    ]
    assert [x.account_pct for x in plan.outside_lines] == [
        pytest.approx(Decimal(500) / 280),
        pytest.approx(Decimal(2_000) / 280),
    ]
    btc = plan.line("BTC")
    assert btc is not None and btc.weight_pct == Decimal(20_000) / 25_500 * 100
    assert btc.target_pct == 50  # 40 of the 80 target points not blocked


def test_a_locked_asset_off_its_target_moves_nothing_while_the_pool_is_in_band() -> None:
    book = portfolio({**NEAR, "BTC": "1", "ADA": "5500", "EUR": "0"}, WORKED_PRICES)
    plan = make_plan(book, WORKED, frozenset({"BTC"}), plan_settings(), NOW)

    assert not plan.rebalance_due
    assert plan.max_drift_pct == 0


def test_with_every_target_locked_the_cash_is_the_whole_pool_and_nothing_is_due() -> None:
    book = portfolio({"BTC": "0.5", "ETH": "0", "EUR": "1000"}, WORKED_PRICES)
    targets = {"BTC": d(50), "ETH": d(50)}
    plan = make_plan(book, targets, frozenset({"BTC", "ETH"}), plan_settings(), NOW)

    eur = plan.line("EUR")
    assert eur is not None and (eur.weight_pct, eur.target_pct, eur.drift_pct) == (100, 100, 0)
    assert not plan.rebalance_due and plan.orders == ()


def test_an_empty_pool_has_no_drift() -> None:
    book = portfolio({"BTC": "0.5", "ETH": "0", "EUR": "0"}, WORKED_PRICES)
    plan = make_plan(book, {"BTC": d(50), "ETH": d(50)}, frozenset({"BTC"}), plan_settings(), NOW)

    assert (plan.pool_value, plan.max_drift_pct, plan.rebalance_due) == (0, 0, False)


# --- relative bands -------------------------------------------------------------------------


def test_relative_bands_are_the_smaller_of_the_band_and_a_share_of_the_target() -> None:
    plan = plan_worked(drift_band_relative_pct=d(25))

    bands = {x.asset: x.band_pct for x in plan.lines}
    assert bands == {"EUR": 5, "BTC": 5, "ETH": 5, "SOL": 5, "ADA": Decimal("2.5")}


def test_a_zero_target_keeps_the_absolute_band_so_dust_never_keeps_a_rebalance_due() -> None:
    assert band(ZERO, d(5), d(25)) == 5
    assert band(d(4), d(5), d(25)) == 1
    assert band(d(40), d(5), None) == 5


def test_a_relative_band_makes_a_small_target_due_sooner() -> None:
    absolute, relative = near_plan("band-edge"), near_plan("band-edge", drift_band_relative_pct=25)

    assert drift(absolute, "ADA") == -4
    assert not absolute.rebalance_due
    assert relative.rebalance_due  # ADA's band is 2.5 pp: 25 % of its 10 % target
    assert relative.fraction == 1 - Decimal("2.5") / 4  # the cash (+4 pp) has a 5 pp band


def test_due_lines_are_those_beyond_their_own_band() -> None:
    plan = near_plan("target", drift_band_relative_pct=25)

    assert [x.asset for x in plan.lines if x.out_of_band] == ["ADA"]
    furthest = plan.furthest()
    assert furthest is not None and furthest.asset == "ADA"


# --- the fraction rule and the setting ------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("target", Decimal(1)),
        ("band-edge", Decimal("0.75")),  # 1 - 5/20: the furthest out (20 pp) sets f
        ("halfway", Decimal("0.875")),  # 1 - 2.5/20
        ("25%", Decimal("0.25")),
    ],
)
def test_the_fraction_follows_the_member_furthest_out(spec: str, expected: Decimal) -> None:
    drifts = [(d(20), d(5)), (d(-6), d(5)), (d(3), d(5))]

    assert fraction(parse_rebalance_to(spec), drifts) == expected


def test_no_fraction_applies_when_every_member_is_in_band() -> None:
    assert fraction(parse_rebalance_to("band-edge"), [(d(5), d(5)), (d(-2), d(5))]) is None


def test_the_setting_is_written_back_as_the_owner_wrote_it() -> None:
    labels = [parse_rebalance_to(t).label for t in ("TARGET", "band-edge", "halfway", "12.50%")]

    assert labels == ["target", "band-edge", "halfway", "12.5%"]
    assert RebalanceTo().label == "target"


@pytest.mark.parametrize("text", ["", "edge", "0%", "-5%", "100.01%", "50", "nan%", "%"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not"):
        parse_rebalance_to(text)


# --- what the plan keeps and how it is stored ----------------------------------------------


def test_a_partial_rebalance_keeps_the_cash_the_same_fraction_of_the_way_to_its_target() -> None:
    book = portfolio({"BTC": "0.25", "ETH": "0", "EUR": "0"}, {"BTC": "40000", "ETH": "2500"})
    targets = {"BTC": d(45), "ETH": d(45), "EUR": d(10)}
    settings = plan_settings(rebalance_to=parse_rebalance_to("50%"))
    plan = make_plan(book, targets, NONE_LOCKED, settings, NOW)

    assert sold(plan, "BTC") == Decimal("0.06875")  # half of 5,500 EUR
    assert cash_reserve(plan) == 500  # half of the 1,000 EUR reserve
    received = sum((o.cost - o.fee for o in plan.sells), ZERO)
    spent = sum((o.cost + o.fee for o in plan.buys), ZERO)
    assert 500 <= received - spent < Decimal("500.01")


def test_a_plan_with_locks_and_a_fraction_survives_storage_with_the_same_hash() -> None:
    plan = plan_worked("halfway", locked=frozenset({"SOL"}), drift_band_relative_pct=d(25))

    again = plan_from_dict(plan_to_dict(plan))

    assert again == plan
    assert content_hash(again) == content_hash(plan)
