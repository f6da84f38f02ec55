"""The benchmark's statistics, table and JSON (pure: no servers, no timing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import (
    Results,
    Row,
    Side,
    Stats,
    format_side,
    format_value,
    notes_lines,
    render,
    table_lines,
    write_json,
)


def latency_row(project: list[float], reference: list[float], note: str = "why") -> Row:
    return Row("x.latency", "1 preview", "latency", "s", Side.of(project), Side.of(reference), note)


def test_stats_are_the_median_min_and_max_of_the_values() -> None:
    stats = Stats.of([0.3, 0.1, 0.2, 0.5])

    assert (stats.median, stats.min, stats.max, stats.n) == (0.25, 0.1, 0.5, 4)


def test_stats_refuse_no_values() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        Stats.of([])


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (7.3051, "s", "7.31 s"),
        (0.0571, "s", "57.1 ms"),
        (0.000441, "s", "441 µs"),
        (0.0000014, "s", "1.4 µs"),
        (152_300_000, "bytes", "152.3 MB"),
        (5.0, "count", "5"),
        (2.5, "count", "2.5"),
    ],
)
def test_values_are_shown_in_a_readable_unit(value: float, unit: str, text: str) -> None:
    assert format_value(value, unit) == text  # type: ignore[arg-type]


def test_a_side_shows_its_median_and_range_or_why_it_is_missing() -> None:
    assert format_side(Side.of([0.06, 0.05, 0.07]), "s") == "60.0 ms (50.0 ms–70.0 ms)"
    assert format_side(Side.of([2, 2]), "count") == "2"
    assert format_side(Side.na("n/a (bot not available)"), "s") == "n/a (bot not available)"


def test_the_ratio_is_reference_over_project_and_says_who_is_ahead() -> None:
    ahead = latency_row([0.05, 0.06, 0.07], [7.0, 7.2])
    behind = latency_row([2.0], [1.0])

    assert ahead.ratio == pytest.approx(7.1 / 0.06)
    assert ahead.project_ahead is True
    assert behind.ratio == 0.5
    assert behind.project_ahead is False


def test_a_check_row_has_a_goal_instead_of_a_ratio() -> None:
    errors = Row(
        "e", "3 execute", "rate-limit errors", "count", Side.of([0, 0]), Side.of([0]), goal=0
    )
    missed = Row("f", "3 execute", "orders filled", "count", Side.of([4, 3]), Side.of([4]), goal=4)

    assert (errors.ratio, errors.project_ahead, errors.goal_met) == (None, None, True)
    assert missed.goal_met is False
    assert "goal 0 met" in table_lines([errors])[2]
    assert "goal 4 MISSED" in table_lines([missed])[2]


def test_the_table_aligns_its_columns_and_names_each_group_once() -> None:
    rows = [
        latency_row([0.05], [7.0]),
        Row("x.requests", "1 preview", "requests", "count", Side.of([2]), Side.of([5])),
        latency_row([1.0], [2.0]),
    ]

    lines = table_lines(rows)

    assert lines[0].startswith("row")
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].startswith("1 preview")
    assert lines[3].startswith(" ")  # same group: not repeated
    assert "140×" in lines[2]
    assert "2.50×" in lines[3]
    column = lines[0].index("metric")
    assert all(line[column - 2 : column] == "  " for line in lines[2:])


def test_notes_are_given_once_for_the_rows_that_need_explaining() -> None:
    rows = [
        latency_row([0.05], [7.0], note="ahead: not shown"),
        latency_row([2.0], [1.0], note="a floor, not a competitor"),
        Row(
            "b",
            "5 bot",
            "latency",
            "s",
            Side.na("n/a"),
            Side.of([1.0]),
            "a floor, not a competitor",
        ),
    ]

    assert notes_lines(rows) == ["* [1, 5] a floor, not a competitor"]


def test_the_json_holds_every_figure_of_the_table(tmp_path: Path) -> None:
    results = Results(
        machine={"nproc": 2}, config={"quick": True}, rows=[latency_row([1.0], [3.0])]
    )
    path = tmp_path / "results.json"

    write_json(results, path)

    saved = json.loads(path.read_text())
    row = saved["rows"][0]
    assert row["project"]["median"] == 1.0
    assert row["reference"]["values"] == [3.0]
    assert row["ratio"] == 3.0
    assert row["notes"] == "why"
    assert saved["machine"] == {"nproc": 2}
    assert "Machine: nproc: 2" in render(results)
