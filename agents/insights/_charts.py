"""SVG charts drawn with matplotlib: revenue by month, the top N of a dimension, a line by period.

matplotlib is imported on first use, or when the agent's actor starts
(:func:`load_matplotlib`: it takes a few hundred milliseconds), and driven through its
object API on the SVG canvas (``FigureCanvasSVG``), never through pyplot, which keeps
global figure state. Two settings make the SVG byte-for-byte repeatable: a fixed
``svg.hashsalt`` (element ids are otherwise random) and no ``Date`` metadata. Text stays
text (``svg.fonttype = none``), which keeps the files small and the labels searchable.

rcParams are global, so the settings are applied with ``rc_context`` under a lock: two
insights actors drawing at once cannot see each other's half-applied settings.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import Any

from ._compute import Group, Period
from ._format import label, money_text

_LOCK = threading.Lock()
# Keys typed Any: matplotlib types rc_context with a Literal of every rc name.
_RC: dict[Any, Any] = {
    "svg.hashsalt": "actorflow-insights",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_METADATA = {"Date": None, "Creator": "actorflow insights (matplotlib)"}
_BAR = "#3b6ea8"
_WIDTH_IN, _HEIGHT_IN = 8.0, 4.0


def load_matplotlib() -> None:
    """Import the parts of matplotlib the charts use (a few hundred milliseconds).

    The insights agent calls it when its actor starts, so the import overlaps the stages
    before it instead of delaying the first report.
    """
    from matplotlib import figure, ticker  # noqa: F401, PLC0415
    from matplotlib.backends import backend_svg  # noqa: F401, PLC0415


def _render(draw: Any, title: str) -> str:
    from matplotlib import rc_context  # noqa: PLC0415  # slow import, only when drawing
    from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    with _LOCK, rc_context(_RC):
        figure = Figure(figsize=(_WIDTH_IN, _HEIGHT_IN), layout="constrained")
        FigureCanvasSVG(figure)
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata=_METADATA)
    return _titled(buffer.getvalue(), title)


def _titled(svg: str, title: str) -> str:
    """``svg`` with ``title`` as its first child ``<title>``: its accessible name, and the
    caption a viewer (the dashboard) shows instead of a file name."""
    start = svg.find("<svg")
    end = svg.find(">", start)
    if start < 0 or end < 0:
        return svg
    return f"{svg[: end + 1]}\n <title>{escape(title)}</title>{svg[end + 1 :]}"


def _money_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def revenue_by_month_svg(periods: Sequence[Period], *, title: str = "Revenue by month") -> str:
    """A bar per period with records (records without a period are left out)."""
    known = [p for p in periods if p.period is not None]

    def draw(figure: Any) -> None:
        ax = figure.add_subplot()
        labels = [label(p.period) for p in known]
        # Bar heights are drawing coordinates, not money: float is fine here; the exact
        # amounts are in the tables and the data.
        heights = [float(p.revenue) for p in known]
        ax.bar(range(len(known)), heights, color=_BAR)
        ax.set_xticks(range(len(known)), labels, rotation=90 if len(known) > 12 else 0)
        ax.set_title(title)
        ax.set_ylabel("Revenue")
        _money_axis(ax.yaxis)
        if not known:
            ax.text(0.5, 0.5, "no periods", ha="center", va="center", transform=ax.transAxes)

    return _render(draw, title)


def top_svg(
    groups: Sequence[Group],
    *,
    title: str,
    axis_label: str = "Revenue",
    value_labels: Sequence[str] | None = None,
) -> str:
    """A horizontal bar per value, the largest at the top, each labelled with its amount
    (``value_labels``, in the groups' order; money with two places by default)."""

    def draw(figure: Any) -> None:
        ax = figure.add_subplot()
        ordered = list(reversed(groups))  # barh draws bottom-up
        positions = range(len(ordered))
        bars = ax.barh(positions, [float(g.revenue) for g in ordered], color=_BAR)
        ax.set_yticks(positions, [label(g.value) for g in ordered])
        texts = (
            list(value_labels)
            if value_labels is not None
            else [money_text(g.revenue) for g in groups]
        )
        ax.bar_label(bars, labels=list(reversed(texts)), padding=3)
        ax.set_title(title)
        ax.set_xlabel(axis_label)
        _money_axis(ax.xaxis)
        ax.margins(x=0.15)

    return _render(draw, title)


def line_svg(
    labels: Sequence[str], values: Sequence[Decimal], *, title: str, axis_label: str
) -> str:
    """A line with a marker per period, in the order given (oldest first)."""

    def draw(figure: Any) -> None:
        ax = figure.add_subplot()
        # Drawing coordinates only: the exact figures are in the tables and the data.
        heights = [float(v) for v in values]
        ax.plot(range(len(labels)), heights, color=_BAR, marker="o")
        ax.set_xticks(range(len(labels)), labels, rotation=90 if len(labels) > 12 else 0)
        ax.set_title(title)
        ax.set_ylabel(axis_label)
        if heights and max(abs(h) for h in heights) >= 10:
            _money_axis(ax.yaxis)
        if not labels:
            ax.text(0.5, 0.5, "no periods", ha="center", va="center", transform=ax.transAxes)

    return _render(draw, title)
