"""The insights as a Markdown report: the sentences first, then the tables behind them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext

from ._build import Report
from ._format import EXACT, count_text, label, money_text, percent, percent_text
from ._sentences import dimension_words

# Characters Markdown would read as formatting, a link, HTML or a table border. An
# underscore inside a word ("page_1") is literal in CommonMark, so only one at a word's
# edge is escaped, which keeps names and ids readable in the source.
_SPECIAL = re.compile(r"([\\`*\[\]<>|])|(?<!\w)_|_(?!\w)")


def escape(text: str) -> str:
    """Text safe inside a Markdown paragraph or table cell (one line)."""
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(text.split()))


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(
    report: Report, *, charts: Mapping[str, str], narrative: str | None = None, model: str = ""
) -> str:
    """The report as Markdown.

    Args:
        report: the computed insights.
        charts: the chart files, referenced by name next to their tables.
        narrative: the narrator's text, appended under its own heading when given.
        model: the model that wrote the narrative, named beside it.
    """
    with localcontext(EXACT):
        return _render(report, charts=charts, narrative=narrative, model=model)


def _render(report: Report, *, charts: Mapping[str, str], narrative: str | None, model: str) -> str:
    lines = [f"# {escape(report.params.title)}", ""]
    lines += [f"- {escape(i['sentence'])}" for i in report.insights]
    lines.append("")

    periods = report.periods
    if periods:
        lines += ["## Revenue by period", ""]
        rows = [
            [
                escape(label(p.period)),
                money_text(p.revenue),
                count_text(p.count),
                "" if p.change is None else money_text(p.change),
                "" if p.change_pct is None else percent_text(p.change_pct),
            ]
            for p in periods
        ]
        lines += _table(["Period", "Revenue", "Records", "Change", "Change %"], rows, "lrrrr")
        if "revenue_by_month.svg" in charts:
            lines += ["![Revenue by month](revenue_by_month.svg)", ""]

    top_n = report.params.top_n
    for dim, breakdown in report.dimensions.items():
        one, many = dimension_words(dim)
        shown = breakdown.groups[:top_n]
        lines += [f"## Revenue by {escape(one)}", ""]
        rows = [
            [
                str(i),
                escape(label(g.value)),
                money_text(g.revenue),
                count_text(g.count),
                percent_text(g.share_pct),
            ]
            for i, g in enumerate(shown, start=1)
        ]
        rest = list(breakdown.groups[top_n:])
        if breakdown.others is not None:
            rest.append(breakdown.others)
        if rest:
            others = sum((g.revenue for g in rest), Decimal(0))
            records = sum(g.count for g in rest)
            share = percent(others, report.totals.revenue)
            n = breakdown.distinct - len(shown)
            rows.append(
                ["", f"{count_text(n)} other {escape(many)}", money_text(others),
                 count_text(records), percent_text(share)]
            )  # fmt: skip
        if breakdown.missing is not None:
            g = breakdown.missing
            rows.append(
                ["", label(None), money_text(g.revenue), count_text(g.count),
                 percent_text(g.share_pct)]
            )  # fmt: skip
        lines += _table(["#", escape(dim), "Revenue", "Records", "Share"], rows, "rlrrr")
        chart = f"top_{dim}.svg"
        if chart in charts:
            lines += [f"![Top {escape(many)}]({chart})", ""]

    outliers = report.summary["outliers"]
    if outliers["records"]:
        lines += ["## Outliers", ""]
        rows = [
            [
                escape(label(r["id"])),
                escape(label(r["name"])),
                escape(label(r["period"])),
                r["revenue"],
                f"{r['z']:+.2f}",
            ]
            for r in outliers["records"]
        ]
        lines += _table(["Id", "Name", "Period", "Revenue", "z"], rows, "lllrr")

    quality = report.summary["data_quality"]
    if quality:
        lines += ["## Data quality", ""]
        rows = [
            ["Records in", count_text(quality["input_count"])],
            ["Records kept", count_text(quality["output_count"])],
            ["Records rejected", count_text(quality["reject_count"])],
            *(
                [f"Rejected: {escape(rule)}", count_text(n)]
                for rule, n in quality["rejected"].items()
            ),
            *(
                [f"Warning: {escape(kind)}", count_text(n)]
                for kind, n in quality["warnings"].items()
            ),
            ["Kept without warnings", count_text(quality["clean_count"])],
        ]
        lines += _table(["Measure", "Count"], rows, "lr")

    if narrative:
        lines += ["## Narrative", ""]
        by = f" by {escape(model)}" if model else ""
        lines += [f"_Written{by} from the figures above._", "", narrative.strip(), ""]
    return "\n".join(lines).rstrip() + "\n"
