"""How wide each band is and how far a rebalance trades (REBALANCE_TO). Pure.

One fraction `f` for the whole plan: every pool member's wanted value is
`value + f × (value at target − value)`, which keeps the cash balanced and never moves a
member away from its target. `f = 1` for `target`; for `band-edge`, the largest over the
members out of band of `1 − band / |drift|` (the one furthest out ends on its band edge and
every other one inside its band); `halfway` is the same with half the band; `N%` is N / 100.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from core.domain.models import HUNDRED, ONE, ZERO, RebalanceTo, Strategy

_PERCENT = re.compile(r"(?P<number>[^%]*?)\s*%")
_NAMED = {s.value: s for s in (Strategy.TARGET, Strategy.BAND_EDGE, Strategy.HALFWAY)}


def parse_rebalance_to(text: str) -> RebalanceTo:
    """'target', 'band-edge', 'halfway' or 'N%' with 0 < N <= 100; ValueError otherwise."""
    cleaned = text.strip().lower()
    if cleaned in _NAMED:
        return RebalanceTo(_NAMED[cleaned])
    match = _PERCENT.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"'{text}' is not target, band-edge, halfway or a percentage like 50%")
    percent = _number(match["number"])
    if percent is None or not ZERO < percent <= HUNDRED:
        raise ValueError(f"'{text}' is not a percentage above 0% and at most 100%")
    return RebalanceTo(Strategy.PARTIAL, percent)


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def band(target_pct: Decimal, band_pct: Decimal, relative_pct: Decimal | None) -> Decimal:
    """The drift allowed around `target_pct`, in percentage points.

    With DRIFT_BAND_RELATIVE_PCT it is `min(DRIFT_BAND_PCT, target × relative / 100)`, the
    "5/25" rule. A zero target keeps DRIFT_BAND_PCT: a zero-wide band would keep a rebalance
    due forever over dust too small to sell, or a few cents of cash left by rounding.
    """
    if relative_pct is None or target_pct <= 0:
        return band_pct
    return min(band_pct, target_pct * relative_pct / HUNDRED)


def fraction(
    rebalance_to: RebalanceTo, drifts: Iterable[tuple[Decimal, Decimal]]
) -> Decimal | None:
    """How far of the way to target the plan goes, from each member's (drift, band).

    None when no member is out of its band: nothing is due, so no fraction applies.
    """
    out = [(abs(drift), width) for drift, width in drifts if abs(drift) > width]
    if not out:
        return None
    strategy = rebalance_to.strategy
    if strategy is Strategy.PARTIAL:
        return rebalance_to.percent / HUNDRED
    if strategy is Strategy.TARGET:
        return ONE
    share = ONE if strategy is Strategy.BAND_EDGE else Decimal("0.5")
    return max(ONE - width * share / drift for drift, width in out)


def wanted(
    values: Mapping[str, Decimal], at_target: Mapping[str, Decimal], f: Decimal
) -> dict[str, Decimal]:
    """Each member's wanted value, `f` of the way from its value to its value at target."""
    if f == ONE:  # exactly the target values, so that round cases stay exact
        return dict(at_target)
    return {a: values[a] + f * (at_target[a] - values[a]) for a in at_target}
