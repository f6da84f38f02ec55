"""The /positions chart: total value and each asset's value over time. Data in, PNG out.

Drawn like the other charts (bot.telegram.charts): in a process of its own, by a
module-level function that pickles (`partial(value_png, samples, quote)`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.telegram.charts import FONT, _figure, _png, _style
from core.domain.series import ValueSample

TOTAL_COLOR = "#222222"


def value_png(samples: Sequence[ValueSample], quote: str) -> bytes:
    """One line for the total (thick) and one per asset, in quote units, oldest first."""
    from matplotlib import dates  # noqa: PLC0415 - only ever in the chart process

    ordered = sorted(samples, key=lambda s: s.time)
    times = dates.date2num([s.time for s in ordered])  # type: ignore[no-untyped-call]
    figure = _figure()
    axes = figure.add_subplot()
    marker = "o" if len(ordered) < 30 else None
    axes.plot(times, [float(s.total) for s in ordered], lw=3, color=TOTAL_COLOR, label="Total")
    axes.plot(times[-1:], [float(ordered[-1].total)], marker="o", color=TOTAL_COLOR)
    for asset in sorted({a for s in ordered for a in s.values}):
        values = [float(s.values.get(asset, 0)) for s in ordered]
        axes.plot(times, values, lw=2, marker=marker, label=asset)
    axes.set_ylabel(f"Value ({quote})", fontsize=FONT)
    axes.set_title("Value over time", fontsize=FONT + 4, loc="left")
    axes.legend(fontsize=FONT - 2, frameon=False, ncol=2)
    axes.grid(alpha=0.3)
    axes.xaxis.set_major_formatter(dates.DateFormatter("%d %b %H:%M"))  # type: ignore[no-untyped-call]
    axes.tick_params(axis="x", labelrotation=30)
    _style(axes)
    return _png(figure)
