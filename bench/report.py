"""Rows, statistics, the table and the JSON file. Pure: no timing, no I/O but `write_json`."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Unit = Literal["s", "bytes", "count"]

# A ratio (reference / project) at or above this is "clearly ahead"; below it, a row says why.
CLEARLY_AHEAD = 1.2


@dataclass(frozen=True)
class Stats:
    """Several measurements of one quantity: median, min and max over `values`."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Iterable[float]) -> Stats:
        found = tuple(float(v) for v in values)
        if not found:
            raise ValueError("Stats needs at least one value")
        return cls(found)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return float(statistics.median(self.values))

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def to_json(self) -> dict[str, Any]:
        return {
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "n": self.n,
            "values": list(self.values),
        }


@dataclass(frozen=True)
class Side:
    """One side of a row: its measurements, or why there are none."""

    stats: Stats | None = None
    missing: str = ""  # e.g. "n/a (bot not available)"

    @classmethod
    def of(cls, values: Iterable[float]) -> Side:
        return cls(Stats.of(values))

    @classmethod
    def na(cls, why: str) -> Side:
        return cls(None, why)

    def to_json(self) -> dict[str, Any] | str:
        return self.stats.to_json() if self.stats is not None else self.missing or "n/a"


@dataclass(frozen=True)
class Row:
    """One metric of one benchmark, for the project and for the reference (lower is better)."""

    key: str  # stable id, e.g. "preview.warm.latency"
    group: str  # e.g. "1 preview (warm)"
    metric: str  # e.g. "latency", "requests"
    unit: Unit
    project: Side
    reference: Side
    note: str = ""  # what the reference is, and why the project is not ahead when it is not
    goal: float | None = None  # a check, not a race: every project value should equal this

    @property
    def ratio(self) -> float | None:
        """Reference median / project median: above 1, the project takes or uses less."""
        p, r = self.project.stats, self.reference.stats
        if self.goal is not None or p is None or r is None or p.median <= 0:
            return None
        return r.median / p.median

    @property
    def project_ahead(self) -> bool | None:
        """Clearly ahead (ratio >= 1.2); None for checks and when there is nothing to compare."""
        p, r = self.project.stats, self.reference.stats
        if self.goal is not None or p is None or r is None:
            return None
        if p.median == r.median:
            return False
        return p.median < r.median if self.ratio is None else self.ratio >= CLEARLY_AHEAD

    @property
    def goal_met(self) -> bool | None:
        p = self.project.stats
        if self.goal is None or p is None:
            return None
        return all(value == self.goal for value in p.values)

    @property
    def needs_note(self) -> bool:
        """Behind or level with the reference, a missed goal, or no project figure at all."""
        missing = self.project.stats is None
        return self.project_ahead is False or self.goal_met is False or missing

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "group": self.group,
            "metric": self.metric,
            "unit": self.unit,
            "project": self.project.to_json(),
            "reference": self.reference.to_json(),
            "ratio": self.ratio,
            "project_ahead": self.project_ahead,
            "goal": self.goal,
            "goal_met": self.goal_met,
            "notes": self.note,
        }


@dataclass
class Results:
    """Everything one run produced: machine facts, configuration and rows."""

    machine: Mapping[str, Any]
    config: Mapping[str, Any]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # groups that could not finish

    def to_json(self) -> dict[str, Any]:
        return {
            "machine": dict(self.machine),
            "config": dict(self.config),
            "rows": [row.to_json() for row in self.rows],
            "notes": list(self.notes),
            "failures": list(self.failures),
        }


# -- formatting ---------------------------------------------------------------------------


def format_value(value: float, unit: Unit) -> str:
    """`0.0571` s -> `57.1 ms`; bytes -> `152.3 MB`; counts as integers when whole."""
    if unit == "bytes":
        return f"{value / 1e6:.1f} MB"
    if unit == "count":
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    magnitude = abs(value)
    if magnitude >= 1:
        return f"{value:.2f} s"
    if magnitude >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.1f} µs" if magnitude < 1e-5 else f"{value * 1e6:.0f} µs"


def format_side(side: Side, unit: Unit) -> str:
    """`57.1 ms (55.0 ms–60.2 ms)`; a single value or equal values without the range."""
    stats = side.stats
    if stats is None:
        return side.missing or "n/a"
    median = format_value(stats.median, unit)
    if stats.min == stats.max:
        return median
    return f"{median} ({format_value(stats.min, unit)}–{format_value(stats.max, unit)})"


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:.0f}×" if ratio >= 100 else f"{ratio:.1f}×" if ratio >= 10 else f"{ratio:.2f}×"


def _compared(row: Row) -> str:
    """The ratio, or for a check its goal and whether the project met it."""
    if row.goal is None:
        return format_ratio(row.ratio)
    met = {True: "met", False: "MISSED", None: ""}[row.goal_met]
    return f"goal {format_value(row.goal, row.unit)} {met}".rstrip()


def _n(row: Row) -> str:
    counts = [s.stats.n if s.stats is not None else 0 for s in (row.project, row.reference)]
    return "/".join(str(c) for c in counts)


HEADER = ("row", "metric", "project: median (min–max)", "reference: median (min–max)")
HEADER_TAIL = ("ref ÷ proj", "n p/r")


def table_lines(rows: Sequence[Row]) -> list[str]:
    """The table as lines: one per row, the group shown once, aligned columns."""
    cells = [(*HEADER, *HEADER_TAIL)]
    previous = ""
    for row in rows:
        group = row.group if row.group != previous else ""
        previous = row.group
        project = format_side(row.project, row.unit)
        reference = format_side(row.reference, row.unit)
        cells.append((group, row.metric, project, reference, _compared(row), _n(row)))
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER) + 2)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return [line.rstrip() for line in lines]


def notes_lines(rows: Sequence[Row]) -> list[str]:
    """Each distinct note of the rows that need one (`Row.needs_note`), once, tagged with the
    numbers of the groups it concerns ("[4]")."""
    tags: dict[str, list[str]] = {}
    for row in rows:
        if row.note and row.needs_note:
            tag = row.group.split(" ", 1)[0]
            found = tags.setdefault(row.note, [])
            if tag not in found:
                found.append(tag)
    return [f"* [{', '.join(found)}] {note}" for note, found in tags.items()]


def render(results: Results) -> str:
    """The whole printed report: machine facts, the table, then the notes that matter."""
    machine = ", ".join(f"{k}: {v}" for k, v in results.machine.items())
    parts = [f"Machine: {machine}", "", *table_lines(results.rows)]
    notes = notes_lines(results.rows) + [f"* {note}" for note in results.notes]
    if notes:
        parts += ["", "Notes:", *notes]
    if results.failures:
        parts += ["", "FAILED:", *(f"* {failure}" for failure in results.failures)]
    return "\n".join(parts)


def write_json(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results.to_json(), indent=2, ensure_ascii=False) + "\n")
