"""One planned order being worked maker-first: its legs, what they filled, and its report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.app.api import OrderOutcome
from core.app.maker_legs import LegState
from core.domain import maker_rules as rules
from core.domain.models import ZERO, Market, PlannedOrder, Side
from core.domain.sizing import fmt
from core.domain.statuses import OrderStatus


@dataclass
class Work:
    order: PlannedOrder
    market: Market
    mid: Decimal  # the plan's mid: what slippage is measured against
    id: str  # the maker order id its legs carry
    started: datetime
    legs: list[LegState] = field(default_factory=list)
    ended: bool = False
    note: str = ""
    ended_at: datetime | None = None
    fallback_limit: Decimal | None = None
    unaffordable: Decimal = ZERO  # what a buy's fallback left out: over its budget at the limit

    @property
    def live_leg(self) -> LegState | None:
        """The leg that may still be open (there is never more than one)."""
        return self.legs[-1] if self.legs and self.legs[-1].live else None

    @property
    def notes(self) -> list[str]:
        """What the exchange noted of its legs (paper: a maker fill assumed at the limit)."""
        return [leg.note for leg in self.legs if leg.note]

    @property
    def filled(self) -> Decimal:
        return sum((leg.filled for leg in self.legs), ZERO)

    @property
    def cost(self) -> Decimal:
        return sum((leg.cost for leg in self.legs), ZERO)

    @property
    def fee(self) -> Decimal:
        return sum((leg.fee for leg in self.legs), ZERO)

    @property
    def maker_filled(self) -> Decimal:
        return sum((leg.filled for leg in self.legs if leg.post_only), ZERO)

    def left(self) -> rules.Left:
        return rules.remainder(self.market, self.order.amount, self.filled, self.order.price)

    def expired(self, now: datetime, timeout_s: float) -> bool:
        return rules.timed_out(self.started, now, timeout_s)

    def end(self, note: str, now: datetime) -> None:
        self.ended, self.note, self.ended_at = True, note, now

    def settle_if_done(self, now: datetime) -> bool:
        """End it when nothing rests and nothing more should be sent: all filled, a
        remainder below the pair's minimums, or a refusal that is not a post-only one."""
        if self.ended or self.live_leg is not None:
            return self.ended
        left, last = self.left(), self.legs[-1] if self.legs else None
        if left.kind is rules.Remainder.NONE:
            self.end("", now)
        elif left.kind is rules.Remainder.TOO_SMALL:
            self.end(f"{fmt(left.amount)} left: below the pair's minimum, not sent", now)
        elif (
            last is not None and last.status is OrderStatus.REJECTED and not last.refused_post_only
        ):
            self.end(last.reason, now)
        return self.ended

    def fallback_amount(self, price: Decimal) -> Decimal:
        """The remainder, and for a buy no more than what the plan set aside for it."""
        left = self.left().amount
        if self.order.side is Side.SELL:
            return left
        budget = self.order.cost + self.order.fee - self.cost - self.fee
        amount = rules.affordable(self.market, left, price, budget)
        self.unaffordable = left - amount
        return amount

    def unfilled_note(self) -> str:
        limit, left = self.fallback_limit, self.left().amount
        at = "" if limit is None else f" at the fallback limit {fmt(limit)}"
        if 0 < left <= self.unaffordable:  # the fallback filled all it was sent for
            return (
                f"{fmt(left)} not bought: {at.strip() or 'at the fallback limit'} it would cost "
                "more than the plan set aside for it; reported, not chased"
            )
        return f"{fmt(left)} left unfilled{at}: reported, not chased"


def outcome_of(work: Work, now: datetime) -> OrderOutcome:
    """The report line of a planned order worked maker-first."""
    filled, cost = work.filled, work.cost
    average = cost / filled if filled > 0 else None
    slippage = None if average is None else rules.slippage_bps(work.order.side, average, work.mid)
    return OrderOutcome(
        client_order_id=work.id,
        asset=work.order.asset,
        symbol=work.order.symbol,
        side=work.order.side,
        requested=work.order.amount,
        filled=filled,
        average_price=average,
        cost=cost,
        fee=work.fee,
        status=_status(work),
        reason="; ".join(dict.fromkeys(x for x in (work.note, *work.notes) if x)),
        maker_share=work.maker_filled / filled if filled > 0 else None,
        slippage_bps=slippage,
        taker_fee_equivalent=rules.taker_fee_equivalent(work.market, cost),
        seconds=((work.ended_at or now) - work.started).total_seconds(),
    )


def _refused(leg: LegState | None) -> bool:
    """A refusal that re-placing will not cure (funds, market status), not a post-only one."""
    return leg is not None and leg.status is OrderStatus.REJECTED and not leg.refused_post_only


def _status(work: Work) -> OrderStatus:
    if work.live_leg is not None:
        return OrderStatus.UNKNOWN
    if work.left().kind is rules.Remainder.NONE:
        return OrderStatus.FILLED
    if work.filled > 0:
        return OrderStatus.PARTIAL
    if any(leg.exchange_id for leg in work.legs):
        return OrderStatus.CANCELED
    return OrderStatus.REJECTED


def refused_outcome(order: PlannedOrder, reason: str) -> OrderOutcome:
    """A planned order the desk will not send."""
    return OrderOutcome(
        client_order_id="",
        asset=order.asset,
        symbol=order.symbol,
        side=order.side,
        requested=order.amount,
        filled=ZERO,
        average_price=None,
        cost=ZERO,
        fee=ZERO,
        status=OrderStatus.REJECTED,
        reason=reason,
    )
