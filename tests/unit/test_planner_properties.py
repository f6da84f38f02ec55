"""Invariants of the planner over random portfolios (hypothesis).

Every generated case is checked against facts computed here from the inputs alone, not
from the plan's own lines: which assets may trade, what the cash is, what the rules are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.domain.models import (
    HUNDRED,
    ONE,
    ZERO,
    Balances,
    DataSource,
    Market,
    MarketData,
    Plan,
    PlanSettings,
    Portfolio,
    Quote,
    RebalanceTo,
    Side,
    Strategy,
)
from core.domain.planner import make_plan
from core.errors import PortfolioError
from tests.unit.builders import EUR, NOW

NAMES = ("BTC", "ETH", "SOL", "ADA", "DOT", "XRP", "DOGE", "LINK")
KINDS = ("ok", "ok", "ok", "ok", "ok", "no_quote", "zero_bid", "offline", "no_market", "blocked")
FEES = (ZERO, Decimal("0.001"), Decimal("0.0026"), Decimal("0.004"))


@dataclass(frozen=True)
class Case:
    portfolio: Portfolio
    targets: Mapping[str, Decimal]
    locked: frozenset[str]
    settings: PlanSettings

    def tradable(self, asset: str) -> bool:
        """May the planner trade `asset`? Decided from the inputs, independently of the plan."""
        data = self.portfolio.market
        market, quote = data.markets.get(asset), data.quotes.get(asset)
        return (
            asset in self.targets
            and asset not in self.locked
            and asset not in data.blocked
            and market is not None
            and market.online
            and quote is not None
            and quote.bid > 0
            and quote.ask > 0
        )

    def mid(self, asset: str) -> Decimal | None:
        q = self.portfolio.market.quotes.get(asset)
        return None if q is None or q.bid <= 0 or q.ask <= 0 else q.mid

    def total(self) -> Decimal:
        held = self.portfolio.balances.tradable
        return sum((a * p for x, a in held.items() if (p := self.price(x)) is not None), ZERO)

    def price(self, asset: str) -> Decimal | None:
        return Decimal(1) if asset == EUR else self.mid(asset)

    def cash(self) -> Decimal:
        return self.portfolio.balances.tradable.get(EUR, ZERO)


def _price(draw: st.DrawFn) -> Decimal:
    """1e-9 to 1e7 EUR, usually with five significant digits, sometimes with fourteen."""
    digits = draw(st.integers(1, 99_999) | st.integers(10**13, 10**14 - 1))
    return Decimal(digits).scaleb(draw(st.integers(-9, 2)) - len(str(digits)) + 5)


def _quote(draw: st.DrawFn, asset: str, kind: str) -> Quote | None:
    if kind == "no_quote":
        return None
    mid = _price(draw)
    half = mid * Decimal(draw(st.integers(0, 200))) / 20_000  # spread up to 2 %
    bid = ZERO if kind == "zero_bid" else mid - half
    return Quote(f"{asset}/{EUR}", bid=bid, ask=mid + half)


def _market(draw: st.DrawFn, asset: str, kind: str) -> Market:
    return Market(
        symbol=f"{asset}/{EUR}",
        base=asset,
        quote=EUR,
        exchange_id=f"{asset}EUR",
        amount_decimals=draw(st.integers(0, 8)),
        price_decimals=2,
        order_min=Decimal(draw(st.sampled_from((0, 1, 5, 20, 50, 440)))).scaleb(
            -draw(st.integers(0, 8))
        ),
        cost_min=Decimal(draw(st.sampled_from(("0", "0.45", "0.5", "5")))),
        taker_fee=draw(st.sampled_from(FEES)),
        status="cancel_only" if kind == "offline" else "online",
    )


def _amount(draw: st.DrawFn, price: Decimal | None, near: Decimal | None) -> Decimal:
    """An amount worth 0 to ~10 M EUR, or within 5 % of `near` EUR, held at 0-10 decimals."""
    if near is None and draw(st.integers(0, 4)) == 0:
        return ZERO
    if near is None:
        value = Decimal(draw(st.integers(1, 9_999))).scaleb(draw(st.integers(-2, 3)))
    else:
        value = near * (1 + Decimal(draw(st.integers(-50, 50))) / 1000)
    raw = value / (price or Decimal(1))
    return raw.quantize(Decimal(1).scaleb(-draw(st.integers(0, 10))), rounding=ROUND_DOWN)


def _near_targets(draw: st.DrawFn, targets: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Sometimes, values close to the targets: where small orders and ties live."""
    if not draw(st.booleans()):
        return {}
    total = Decimal(draw(st.integers(1, 999))).scaleb(draw(st.integers(0, 4)))
    return {a: total * t / 100 for a, t in targets.items()}


def _targets(draw: st.DrawFn, names: list[str]) -> dict[str, Decimal]:
    """Integer targets summing to exactly 100 over a random subset, maybe with a cash weight."""
    members = [n for n in names if draw(st.booleans()) or draw(st.booleans())]
    if draw(st.booleans()):
        members.append(EUR)
    if not members:
        return {}
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=len(members) - 1)))
    bounds = [0, *cuts, 100]
    return {m: Decimal(bounds[i + 1] - bounds[i]) for i, m in enumerate(members)}


@st.composite
def cases(draw: st.DrawFn) -> Case:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=8, unique=True))
    kinds = {n: draw(st.sampled_from(KINDS)) for n in names}
    quotes = {n: q for n in names if (q := _quote(draw, n, kinds[n])) is not None}
    markets = {n: _market(draw, n, kinds[n]) for n in names if kinds[n] != "no_market"}
    targets = _targets(draw, names)
    near = _near_targets(draw, targets)
    amounts = {n: _amount(draw, quotes[n].mid if n in quotes else None, near.get(n)) for n in names}
    amounts[EUR] = _amount(draw, Decimal(1), near.get(EUR))
    blocked = {n: "delisted" for n in names if kinds[n] == "blocked"}
    data = MarketData(EUR, markets, quotes, DataSource("snapshot", NOW), blocked)
    plan_settings = PlanSettings(
        quote_currency=EUR,
        min_trade_value=Decimal(draw(st.sampled_from(("0", "0.5", "5", "10", "25")))),
        drift_band_pct=Decimal(draw(st.integers(0, 10))),
        max_orders=draw(st.none() | st.integers(1, 8)),
    )
    locked = frozenset(n for n in names if draw(st.integers(0, 5)) == 0)
    return Case(Portfolio(Balances(amounts), data), targets, locked, plan_settings)


def plan_of(case: Case) -> Plan | None:
    """The plan for `case`, or None once checked that a portfolio worth nothing is refused."""
    if case.total() <= 0:
        with pytest.raises(PortfolioError):
            make_plan(case.portfolio, case.targets, case.locked, case.settings, NOW)
        return None
    return make_plan(case.portfolio, case.targets, case.locked, case.settings, NOW)


PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cases())
def test_every_order_is_allowed_funded_and_valid_at_the_exchange(case: Case) -> None:
    plan = plan_of(case)
    if plan is None:
        return
    every_order_is_allowed_funded_and_valid(case, plan)


def every_order_is_allowed_funded_and_valid(case: Case, plan: Plan) -> None:
    only_managed_tradable_assets_are_traded(case, plan)
    the_plan_never_spends_more_quote_than_it_has(case, plan)
    every_order_meets_precision_minimums_and_prices(case, plan)
    sells_never_exceed_holdings_and_come_before_buys(case, plan)
    max_orders_caps_the_orders_and_wastes_no_slot(case, plan)


@PROPERTY
@given(cases())
def test_the_plan_moves_the_pool_toward_its_targets_and_keeps_the_cash_reserve(
    case: Case,
) -> None:
    plan = plan_of(case)
    if plan is None:
        return
    a_zero_target_sells_the_whole_holding_down_to_the_lot_size(case, plan)
    the_plan_never_leaves_the_pool_further_from_its_targets(case, plan)
    buys_never_dip_into_the_cash_reserve(case, plan)


def only_managed_tradable_assets_are_traded(case: Case, plan: Plan) -> None:
    assert all(case.tradable(o.asset) for o in plan.orders)
    assert len({o.asset for o in plan.orders}) == len(plan.orders)


def the_plan_never_spends_more_quote_than_it_has(case: Case, plan: Plan) -> None:
    proceeds = sum((o.cost - o.fee for o in plan.sells), ZERO)
    spent = sum((o.cost + o.fee for o in plan.buys), ZERO)
    assert case.cash() + proceeds >= spent


def every_order_meets_precision_minimums_and_prices(case: Case, plan: Plan) -> None:
    for o in plan.orders:
        market = case.portfolio.market.markets[o.asset]
        quote = case.portfolio.market.quotes[o.asset]
        assert o.amount > 0
        assert o.amount == o.amount.quantize(Decimal(1).scaleb(-market.amount_decimals))
        assert o.amount >= market.order_min
        assert o.cost >= market.cost_min
        assert o.cost >= case.settings.min_trade_value
        assert o.price == (quote.ask if o.side is Side.BUY else quote.bid)
        assert o.cost == o.amount * o.price
        assert o.fee == o.cost * market.taker_fee


def sells_never_exceed_holdings_and_come_before_buys(case: Case, plan: Plan) -> None:
    for o in plan.sells:
        assert o.amount <= case.portfolio.balances.tradable[o.asset]
    sides = [o.side for o in plan.orders]
    assert sides == sorted(sides, key=lambda s: s is Side.BUY)


def max_orders_caps_the_orders_and_wastes_no_slot(case: Case, plan: Plan) -> None:
    max_orders = case.settings.max_orders
    capped = [s for s in plan.skipped if "MAX_ORDERS" in s.reason]
    assert max_orders is None or len(plan.orders) <= max_orders
    assert not capped or len(plan.orders) == max_orders


def a_zero_target_sells_the_whole_holding_down_to_the_lot_size(case: Case, plan: Plan) -> None:
    for o in plan.sells:
        if case.targets[o.asset] == 0:
            held = case.portfolio.balances.tradable[o.asset]
            lot = Decimal(1).scaleb(-case.portfolio.market.markets[o.asset].amount_decimals)
            assert o.amount == held.quantize(lot, rounding=ROUND_DOWN)


def the_plan_never_leaves_the_pool_further_from_its_targets(case: Case, plan: Plan) -> None:
    before = dict(case.portfolio.balances.tradable)
    after = _amounts_after(before, plan)
    tolerance = case.total() * Decimal("1e-12")
    assert _pool_distance(case, after) <= _pool_distance(case, before) + tolerance


def buys_never_dip_into_the_cash_reserve(case: Case, plan: Plan) -> None:
    if plan.buys:
        after = _amounts_after(case.portfolio.balances.tradable, plan)
        assert after[EUR] >= _reserve(case) - case.total() * Decimal("1e-12")


def _pool(case: Case) -> list[str]:
    return [EUR, *(a for a in case.targets if a != EUR and case.tradable(a))]


def _reserve(case: Case) -> Decimal:
    """The cash the targets keep: the quote's share of the pool's value, before the plan."""
    held = case.portfolio.balances.tradable
    pool = _pool(case)
    target_sum = sum((case.targets.get(a, ZERO) for a in pool), ZERO)
    if target_sum <= 0:
        return ZERO
    pool_value = sum((held.get(a, ZERO) * (case.price(a) or ZERO) for a in pool), ZERO)
    return case.targets.get(EUR, ZERO) / target_sum * pool_value


def _amounts_after(before: Mapping[str, Decimal], plan: Plan) -> dict[str, Decimal]:
    after = dict(before)
    for o in plan.orders:
        sign = 1 if o.side is Side.BUY else -1
        after[o.asset] = after.get(o.asset, ZERO) + sign * o.amount
        after[EUR] = after.get(EUR, ZERO) - sign * o.cost - o.fee
    return after


def _pool_distance(case: Case, amounts: Mapping[str, Decimal]) -> Decimal:
    """Σ |value − target share × pool value| over the pool (tradable assets and cash), in EUR."""
    pool = _pool(case)
    values = {a: amounts.get(a, ZERO) * (case.price(a) or ZERO) for a in pool}
    pool_value = sum(values.values(), ZERO)
    target_sum = sum((case.targets.get(a, ZERO) for a in pool), ZERO)
    if target_sum <= 0:
        return sum((abs(v) for v in values.values()), ZERO)
    shares = {a: case.targets.get(a, ZERO) / target_sum for a in pool}
    return sum((abs(values[a] - shares[a] * pool_value) for a in pool), ZERO)


# --- REBALANCE_TO and relative bands ----------------------------------------------------------


@st.composite
def strategy_cases(draw: st.DrawFn) -> Case:
    """A case as above, planned with any REBALANCE_TO and, sometimes, relative bands."""
    case = draw(cases())
    strategy = draw(st.sampled_from(Strategy))
    percent = Decimal(draw(st.integers(1, 100))) if strategy is Strategy.PARTIAL else HUNDRED
    relative = draw(st.none() | st.sampled_from((Decimal(10), Decimal(25), Decimal(100))))
    chosen = replace(
        case.settings, rebalance_to=RebalanceTo(strategy, percent), drift_band_relative_pct=relative
    )
    return replace(case, settings=chosen)


@PROPERTY
@given(strategy_cases())
def test_every_strategy_places_only_allowed_funded_and_valid_orders(case: Case) -> None:
    plan = plan_of(case)
    if plan is None:
        return
    every_order_is_allowed_funded_and_valid(case, plan)


@PROPERTY
@given(strategy_cases())
def test_every_strategy_moves_each_asset_toward_its_target_and_never_past_it(case: Case) -> None:
    plan = plan_of(case)
    if plan is None:
        return
    the_fraction_is_in_0_1_and_follows_the_rule(case, plan)
    the_plan_never_leaves_the_pool_further_from_its_targets(case, plan)
    no_asset_is_pushed_past_its_target(case, plan)
    buys_keep_the_cash_the_plan_keeps(case, plan)


def _members(case: Case) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Each pool member's value and value at target, from the inputs alone."""
    held = case.portfolio.balances.tradable
    pool = _pool(case)
    values = {a: held.get(a, ZERO) * (case.price(a) or ZERO) for a in pool}
    raw = {a: case.targets.get(a, ZERO) for a in pool}
    if sum(raw.values(), ZERO) <= 0:  # nothing left with a target: cash takes the pool
        raw = {a: HUNDRED if a == EUR else ZERO for a in pool}
    target_sum, pool_value = sum(raw.values(), ZERO), sum(values.values(), ZERO)
    return values, {a: pool_value * t / target_sum for a, t in raw.items()}


def _drifts_and_bands(case: Case) -> list[tuple[Decimal, Decimal]]:
    values, at_target = _members(case)
    pool_value = sum(values.values(), ZERO)
    if pool_value <= 0:
        return []
    plan_settings, result = case.settings, []
    for a, v in values.items():
        target = at_target[a] / pool_value * 100
        relative = plan_settings.drift_band_relative_pct
        width = plan_settings.drift_band_pct
        if relative is not None and target > 0:
            width = min(width, target * relative / 100)
        result.append(((v - at_target[a]) / pool_value * 100, width))
    return result


def the_fraction_is_in_0_1_and_follows_the_rule(case: Case, plan: Plan) -> None:
    assert ZERO < plan.fraction <= ONE
    drifts = _drifts_and_bands(case)
    assume(all(abs(abs(x) - b) > Decimal("1e-15") for x, b in drifts))  # not on an edge
    out = [(abs(x), b) for x, b in drifts if abs(x) > b]
    assert plan.rebalance_due is bool(out)
    rule = case.settings.rebalance_to
    if not out or rule.strategy is Strategy.TARGET:
        assert plan.fraction == ONE  # nothing due: a forced plan goes to target
    elif rule.strategy is Strategy.PARTIAL:
        assert plan.fraction == rule.percent / 100
    else:
        share = ONE if rule.strategy is Strategy.BAND_EDGE else Decimal("0.5")
        expected = max(ONE - b * share / x for x, b in out)
        assert abs(plan.fraction - expected) < Decimal("1e-20")


def no_asset_is_pushed_past_its_target(case: Case, plan: Plan) -> None:
    """At valuation prices, each member ends between where it was and its target."""
    values, at_target = _members(case)
    amounts = _amounts_after(case.portfolio.balances.tradable, plan)
    tolerance = case.total() * Decimal("1e-12")
    for o in plan.orders:
        now = amounts[o.asset] * (case.price(o.asset) or ZERO)
        low, high = sorted((values[o.asset], at_target[o.asset]))
        assert low - tolerance <= now <= high + tolerance, o


def buys_keep_the_cash_the_plan_keeps(case: Case, plan: Plan) -> None:
    """Buys never spend the cash the plan keeps: the fraction of the way to its reserve."""
    if plan.buys:
        cash = case.cash()
        kept = cash + plan.fraction * (_reserve(case) - cash)
        after = _amounts_after(case.portfolio.balances.tradable, plan)
        assert after[EUR] >= kept - case.total() * Decimal("1e-12")
