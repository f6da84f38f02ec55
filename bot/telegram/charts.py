"""Charts for phones: data in, PNG bytes out, drawn in a process of their own.

`weights_png` and `drift_png` are pure: matplotlib's object API (`Figure` + the Agg canvas),
never pyplot, so there is no global figure state. About 800x600 pixels with large fonts, to
stay readable on a phone screen.

The bot calls them through `render_apart`, which runs one in a fresh `python -m bot.telegram.charts`
process and returns its PNG. So matplotlib never loads into the bot: with numpy, Pillow and
its fonts it takes about 45 MB, and every figure is a web of reference cycles that stays in
memory until Python's full garbage collection, which a process of the bot's size runs rarely
(drawing in its own process, the bot settled near 190 MB). A chart process takes about 75 MB
for about a second and gives all of it back when it exits; the price is its start and
matplotlib's import, 0.4 to 0.8 s more per chart (README, Benchmark, row 6).
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from core.domain.models import Plan

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SIZE_IN = (8.0, 6.0)
DPI = 100
FONT = 16
NOW_COLOR = "#1f77b4"
TARGET_COLOR = "#b0b0b0"
AFTER_COLOR = "#2ca02c"
BEFORE_COLOR = "#d62728"
MAX_RUNS = 30
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIMEOUT_S = 60.0  # a small board's first import of matplotlib after a boot takes seconds
_ROOT = Path(__file__).resolve().parent.parent  # where `bot` and `core` are, for the child


class ChartError(RuntimeError):
    """The chart process failed, timed out or answered something that is not a PNG."""


def render_apart(draw: Callable[[], bytes], timeout_s: float = TIMEOUT_S) -> bytes:
    """`draw()` in a fresh Python process (blocking): its PNG; ChartError if it fails.

    `draw` is pickled, so it must be a module-level function or a `functools.partial` of one
    with picklable arguments, like `partial(weights_png, plan)`. The child imports only this
    module and what unpickling `draw` needs, and exits once the PNG is written.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot.telegram.charts"],
            input=pickle.dumps(draw),
            capture_output=True,
            cwd=_ROOT,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ChartError(f"the chart process took more than {timeout_s:g} s") from None
    if done.returncode != 0:
        last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise ChartError(f"the chart process exited {done.returncode}: {last[0]}")
    if not done.stdout.startswith(PNG_MAGIC):
        raise ChartError(f"the chart process wrote {len(done.stdout)} bytes that are not a PNG")
    return done.stdout


def _serve() -> None:
    """The chart process: a pickled `draw` on stdin, its PNG on stdout."""
    draw = pickle.load(sys.stdin.buffer)
    sys.stdout.buffer.write(draw())


def _figure() -> Figure:
    # Imported here: the object API with the Agg canvas needs no backend switch.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _style(axes: object) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)  # type: ignore[attr-defined]
    axes.tick_params(labelsize=FONT)  # type: ignore[attr-defined]


def weights_png(plan: Plan) -> bytes:
    """Horizontal bars: each pool member's share of the pool now against its target."""
    lines = [x for x in plan.pool_lines if x.value > 0 or x.target_pct]
    assets = [x.asset for x in lines][::-1]
    now = [float(x.weight_pct or 0) for x in lines][::-1]
    target = [float(x.target_pct or 0) for x in lines][::-1]
    figure = _figure()
    axes = figure.add_subplot()
    rows = range(len(assets))
    height = 0.38
    bars = axes.barh([r + height / 2 for r in rows], now, height, label="Now", color=NOW_COLOR)
    axes.bar_label(bars, fmt="%.1f%%", padding=4, fontsize=FONT - 2)
    axes.margins(x=0.15)
    axes.barh([r - height / 2 for r in rows], target, height, label="Target", color=TARGET_COLOR)
    axes.set_yticks(list(rows), assets, fontsize=FONT + 2)
    axes.set_xlabel("% of the rebalanced pool", fontsize=FONT)
    axes.set_title("Now vs target weights", fontsize=FONT + 4, loc="left")
    axes.legend(fontsize=FONT, loc="lower right", frameon=False)
    axes.grid(axis="x", alpha=0.3)
    _style(axes)
    return _png(figure)


def drift_png(
    series: Sequence[tuple[datetime, Decimal, Decimal | None]], band_pct: Decimal | None = None
) -> bytes:
    """Largest drift before and after each of the last rebalances, in percentage points."""
    shown = list(series)[-MAX_RUNS:]
    slots = range(len(shown))
    width = 0.4
    figure = _figure()
    axes = figure.add_subplot()
    before = [float(b) for _, b, _ in shown]
    after = [float(a) if a is not None else 0.0 for _, _, a in shown]
    axes.bar([x - width / 2 for x in slots], before, width, label="Before", color=BEFORE_COLOR)
    axes.bar([x + width / 2 for x in slots], after, width, label="After", color=AFTER_COLOR)
    if band_pct is not None:
        axes.axhline(float(band_pct), color="#888888", ls="--", lw=2, label="Band")
    step = max(1, len(shown) // 6)
    ticks = list(slots)[::step]
    axes.set_xticks(ticks, [f"{shown[i][0]:%d %b}" for i in ticks])
    axes.set_xlim(-0.8, max(len(shown), 3) - 0.2)
    axes.set_ylabel("Largest drift (pp)", fontsize=FONT)
    axes.set_title("Drift before and after each rebalance", fontsize=FONT + 4, loc="left")
    axes.legend(fontsize=FONT, frameon=False)
    axes.grid(axis="y", alpha=0.3)
    _style(axes)
    return _png(figure)


if __name__ == "__main__":
    _serve()
