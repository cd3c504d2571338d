"""The generic report as Markdown and SVG charts, titled in the table's own words.

Charts follow what exists: a bar chart of the main measure (or of the record count,
with no measure) by the first main dimension's top values, ``top_<dimension>.svg``, and
a line chart of it by period when there is a time field, ``<measure>_by_<unit>.svg``.
Chart file names keep letters, digits, ``_``, ``-`` and ``.`` of the field names (the
rest become ``_``), so the Markdown links the files the CLI writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext
from typing import Any

from ._charts import line_svg, top_svg
from ._format import EXACT, count_text, label, percent, percent_text
from ._markdown import escape
from ._table_report import TableReport
from ._table_sentences import number_text

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _file(name: str) -> str:
    return _UNSAFE.sub("_", name).strip(".") or "chart"


def _what(report: TableReport) -> tuple[str, int]:
    main = report.main
    return (main.measure.name, main.measure.scale) if main else ("records", 0)


def period_chart_name(report: TableReport) -> str:
    return _file(f"{_what(report)[0]}_by_{report.unit}") + ".svg"


def top_chart_name(dimension: str) -> str:
    return _file(f"top_{dimension}") + ".svg"


def render_table_charts(report: TableReport) -> dict[str, str]:
    """The SVG charts of a generic report, by file name (none without records)."""
    if not report.params.charts or not report.summary["record_count"]:
        return {}
    what, places = _what(report)
    charts: dict[str, str] = {}
    if report.dimensions:
        dim = next(iter(report.dimensions))
        top = report.dimensions[dim].groups[: report.params.top_n]
        if top:
            charts[top_chart_name(dim)] = top_svg(
                top,
                title=f"Top {len(top)} {dim} values by {what}",
                axis_label=what,
                value_labels=[number_text(g.revenue, places) for g in top],
            )
    known = [p for p in report.periods if p.period is not None]
    if known:
        charts[period_chart_name(report)] = line_svg(
            [str(p.period) for p in known],
            [p.revenue for p in known],
            title=f"{what} by {report.unit}",
            axis_label=what,
        )
    return charts


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def render_table_markdown(
    report: TableReport,
    *,
    charts: Mapping[str, str],
    narrative: str | None = None,
    model: str = "",
) -> str:
    """The generic report as Markdown: the sentences, then the tables behind them."""
    with localcontext(EXACT):
        lines = [f"# {escape(report.summary['title'])}", ""]
        lines += [f"- {escape(i['sentence'])}" for i in report.insights]
        lines.append("")
        lines += _measures(report.summary)
        lines += _rates(report.summary)
        lines += _periods(report, charts)
        lines += _dimensions(report, charts)
        lines += _outliers(report.summary)
        lines += _quality(report.summary.get("data_quality"))
        if narrative:
            by = f" by {escape(model)}" if model else ""
            lines += ["## Narrative", "", f"_Written{by} from the figures above._", ""]
            lines += [narrative.strip(), ""]
        return "\n".join(lines).rstrip() + "\n"


def _measures(summary: Mapping[str, Any]) -> list[str]:
    measures = summary["measures"]
    if not measures:
        return []
    rows = [
        [escape(name), m["total"] or "", m["average"] or "", count_text(m["count"]),
         count_text(m["missing"])]
        for name, m in measures.items()
    ]  # fmt: skip
    return [
        "## Measures",
        "",
        *_table(["Field", "Total", "Average", "Values", "Missing"], rows, "lrrrr"),
    ]


def _rates(summary: Mapping[str, Any]) -> list[str]:
    rates = summary["rates"]
    if not rates:
        return []
    rows = [
        [escape(name), escape(r["expression"]),
         f"{r['percent']}%" if r["percent"] is not None else (r["value"] or "n/a")]
        for name, r in rates.items()
    ]  # fmt: skip
    return ["## Rates (over the totals)", "", *_table(["Rate", "Formula", "Overall"], rows, "llr")]


def _periods(report: TableReport, charts: Mapping[str, str]) -> list[str]:
    if not report.periods:
        return []
    what, places = _what(report)
    rows = [
        [escape(label(p.period)), number_text(p.revenue, places), count_text(p.count),
         "" if p.change is None else number_text(p.change, places),
         "" if p.change_pct is None else percent_text(p.change_pct)]
        for p in report.periods
    ]  # fmt: skip
    lines = [f"## {escape(what)} by {report.unit}", ""]
    lines += _table(["Period", escape(what), "Records", "Change", "Change %"], rows, "lrrrr")
    name = period_chart_name(report)
    if name in charts:
        lines += [f"![{escape(what)} by {report.unit}]({name})", ""]
    return lines


def _dimensions(report: TableReport, charts: Mapping[str, str]) -> list[str]:
    what, places = _what(report)
    whole = report.main.total if report.main else Decimal(report.summary["record_count"])
    top_n = report.params.top_n
    lines: list[str] = []
    for dim, b in report.dimensions.items():
        shown = b.groups[:top_n]
        rows = [
            [str(i), escape(label(g.value)), number_text(g.revenue, places), count_text(g.count),
             percent_text(g.share_pct)]
            for i, g in enumerate(shown, start=1)
        ]  # fmt: skip
        rest = list(b.groups[top_n:]) + ([b.others] if b.others is not None else [])
        if rest:
            amount = sum((g.revenue for g in rest), Decimal(0))
            rows.append(
                ["", f"{count_text(b.distinct - len(shown))} others", number_text(amount, places),
                 count_text(sum(g.count for g in rest)), percent_text(percent(amount, whole))]
            )  # fmt: skip
        if b.missing is not None:
            g = b.missing
            rows.append(["", label(None), number_text(g.revenue, places), count_text(g.count),
                         percent_text(g.share_pct)])  # fmt: skip
        lines += [f"## {escape(what)} by {escape(dim)}", ""]
        lines += _table(["#", escape(dim), escape(what), "Records", "Share"], rows, "rlrrr")
        name = top_chart_name(dim)
        if name in charts:
            lines += [f"![Top {escape(dim)} values by {escape(what)}]({name})", ""]
    return lines


def _outliers(summary: Mapping[str, Any]) -> list[str]:
    found = summary["outliers"]
    if not found or not found["records"]:
        return []
    rows = [
        [escape(label(r["id"])), escape(label(r["name"])), escape(label(r["period"])),
         r["value"] or "", f"{r['z']:+.2f}"]
        for r in found["records"]
    ]  # fmt: skip
    header = ["Id", "Name", "Period", escape(found["field"]), "z"]
    return [f"## Outliers of {escape(found['field'])}", "", *_table(header, rows, "lllrr")]


def _quality(quality: Mapping[str, Any] | None) -> list[str]:
    if not quality:
        return []
    rows = [
        ["Records in", count_text(quality["records_in"])],
        ["Records kept", count_text(quality["records_out"])],
        ["Records rejected", count_text(quality["rejected"])],
    ]
    rows += [
        [key.replace("_", " ").capitalize(), f"{quality[key]:.3f}"]
        for key in ("data_retention_rate", "processing_efficiency", "quality_score")
        if isinstance(quality.get(key), int | float)
    ]
    rows += [
        [f"{escape(name)}: missing / unparsed ({escape(str(q.get('action')))})",
         f"{count_text(q['missing'])} / {count_text(q['unparsed'])}"]
        for name, q in quality["field_quality"].items()
        if q.get("missing") or q.get("unparsed")
    ]  # fmt: skip
    lines = ["## Data quality", "", *_table(["Measure", "Value"], rows, "lr")]
    lines += [_finding(f) for f in quality["findings"][:20]]
    return [*lines, ""] if quality["findings"] else lines


def _finding(finding: Mapping[str, Any]) -> str:
    where = f" ({escape(str(finding['field']))})" if finding.get("field") else ""
    severity = escape(str(finding.get("severity", "note")))
    return f"- {severity}{where}: {escape(str(finding.get('message', '')))}"
