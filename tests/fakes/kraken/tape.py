"""A scripted price tape: a seeded random walk of each pair's mid, advanced explicitly.

Nothing moves with the wall clock. Each :meth:`PriceTape.step` of a pair moves its mid by a
Gaussian step of ``step_bps`` basis points (standard deviation), puts bid and ask
``spread_bps`` apart around it (on the tick grid), and draws the step's trade flow: the quote
value other traders sell into the bid and buy from the ask, uniform in ``0..2 × flow_value``.
The same seed and the same calls give the same tape. :mod:`.engine` turns a step into fills
of the account's resting orders.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .engine import Engine
from .markets import Pair
from .orders import Fill
from .util import round_down

BPS = Decimal(10_000)
PLACES = Decimal("1e-12")


@dataclass(frozen=True)
class Step:
    """One tape step of one pair: the new mid and the flow (quote units) on each side."""

    mid: Decimal
    sells_value: Decimal  # other traders selling into the bid (fills resting buys)
    buys_value: Decimal  # other traders buying from the ask (fills resting sells)


@dataclass
class PriceTape:
    seed: int = 0
    spread_bps: Decimal = Decimal(10)
    step_bps: Decimal = Decimal(5)
    flow_value: Decimal = Decimal(500)
    steps: int = 0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @property
    def half_spread(self) -> Decimal:
        """Relative distance of bid and ask from the mid."""
        return self.spread_bps / BPS / 2

    def step(self, mid: Decimal) -> Step:
        move = Decimal(repr(self.rng.gauss(0.0, 1.0))).quantize(PLACES)
        new_mid = mid * (1 + move * self.step_bps / BPS)
        return Step(new_mid, self._flow(), self._flow())

    def _flow(self) -> Decimal:
        share = Decimal(repr(self.rng.uniform(0.0, 2.0))).quantize(PLACES)
        return self.flow_value * share


def advance(tape: PriceTape, engine: Engine, pairs: Sequence[Pair]) -> list[Fill]:
    """One tape step for each of ``pairs`` (in order): move, trade through, then the flow."""
    fills: list[Fill] = []
    for pair in pairs:
        quote = engine.tickers.ensure(pair)
        step = tape.step((quote.bid + quote.ask) / 2)
        engine.tickers.set(pair, step.mid)
        fills += engine.quote_changed(pair.id)
        for taker_side, value in (("sell", step.sells_value), ("buy", step.buys_value)):
            volume = round_down(value / step.mid, pair.lot_decimals)
            if volume > 0:
                fills += engine.trade(pair.id, taker_side, volume)
    tape.steps += 1
    return fills
