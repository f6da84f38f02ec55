"""Value over time: samples of the account's valuation and what a series of them says. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from core.domain.models import ZERO, Plan

SAMPLE_EVERY = timedelta(hours=1)  # at most one sample per this much time
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class ValueSample:
    """The account's valuation at one moment, in quote units."""

    time: datetime
    values: Mapping[str, Decimal]  # per asset (the quote currency's cash included)
    total: Decimal


@dataclass(frozen=True)
class Point:
    time: datetime
    value: Decimal


@dataclass(frozen=True)
class Extremes:
    """A series' first and last points and its lowest and highest (earliest on a tie)."""

    first: Point
    last: Point
    low: Point
    high: Point


@dataclass(frozen=True)
class SeriesSummary:
    total: Extremes
    assets: Mapping[str, Extremes]  # each asset over the samples that hold it


def sample_due(last: datetime | None, now: datetime, every: timedelta = SAMPLE_EVERY) -> bool:
    """Whether a new sample may be recorded: none yet, or the last is `every` old."""
    return last is None or now - last >= every


def value_sample(plan: Plan) -> ValueSample:
    """A sample from a plan's valuation (every line worth something, cash included)."""
    values = {line.asset: line.value for line in plan.lines if line.value}
    return ValueSample(plan.created_at, values, plan.total_value)


def extremes(points: Sequence[Point]) -> Extremes:
    """First, last, lowest and highest of a non-empty series, in time order."""
    ordered = sorted(points, key=lambda p: p.time)
    low = min(ordered, key=lambda p: p.value)
    high = max(ordered, key=lambda p: p.value)
    return Extremes(ordered[0], ordered[-1], low, high)


def summarize(samples: Iterable[ValueSample]) -> SeriesSummary | None:
    """The total's and each asset's extremes; None without samples."""
    given = tuple(samples)
    if not given:
        return None
    assets = sorted({asset for s in given for asset in s.values})
    return SeriesSummary(
        total=extremes([Point(s.time, s.total) for s in given]),
        assets={
            a: extremes([Point(s.time, s.values[a]) for s in given if a in s.values])
            for a in assets
        },
    )


def average_value(samples: Iterable[ValueSample]) -> Decimal | None:
    """The time-weighted average total (trapezoids between samples); None without samples.

    Samples all at one moment average plainly.
    """
    ordered = sorted(samples, key=lambda s: s.time)
    if not ordered:
        return None
    pairs = list(pairwise(ordered))
    spans = [Decimal((b.time - a.time) // _MICROSECOND) for a, b in pairs]
    duration = sum(spans, ZERO)
    if duration == 0:
        return sum((s.total for s in ordered), ZERO) / len(ordered)
    area = sum(((a.total + b.total) / 2 * w for (a, b), w in zip(pairs, spans, strict=True)), ZERO)
    return area / duration
