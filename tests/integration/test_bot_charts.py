"""Charts drawn in a process of their own (`bot.telegram.charts.render_apart`), a real child."""

from __future__ import annotations

import struct
import subprocess
import sys
import time
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from bot.telegram import charts
from tests.unit.builders import NOW
from tests.unit.test_bot_fakes import worked_plan

ROOT = Path(__file__).resolve().parents[2]


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(charts.PNG_MAGIC)
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_chart_drawn_apart_is_the_same_phone_sized_png() -> None:
    weights = charts.render_apart(partial(charts.weights_png, worked_plan()))
    drift = charts.render_apart(
        partial(charts.drift_png, [(NOW, Decimal("32.7"), Decimal("0.3"))], Decimal(5))
    )

    assert png_size(weights) == png_size(drift) == (800, 600)


def test_drawing_apart_never_loads_matplotlib_into_the_calling_process() -> None:
    code = (
        "import sys; from functools import partial; from bot.telegram import charts; "
        "from tests.unit.test_bot_fakes import worked_plan; "
        "png = charts.render_apart(partial(charts.weights_png, worked_plan())); "
        "print(png.startswith(charts.PNG_MAGIC), 'matplotlib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert done.stdout.split() == ["True", "False"]


def test_a_chart_that_fails_to_draw_raises_with_the_last_line_of_its_error() -> None:
    not_a_series = partial(charts.drift_png, [("yesterday", "a lot")])

    with pytest.raises(charts.ChartError, match=r"exited 1: ValueError: not enough values"):
        charts.render_apart(not_a_series)


def test_a_chart_process_that_writes_no_png_is_refused() -> None:
    with pytest.raises(charts.ChartError, match="wrote 3 bytes that are not a PNG"):
        charts.render_apart(partial(bytes, 3))


def test_a_chart_process_that_hangs_is_stopped_at_the_timeout() -> None:
    start = time.monotonic()

    with pytest.raises(charts.ChartError, match=r"took more than 0\.5 s"):
        charts.render_apart(partial(time.sleep, 30), timeout_s=0.5)
    assert time.monotonic() - start < 10
