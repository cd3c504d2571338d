"""``InsightsAgent``: the ``insights`` agent kind."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import polars as pl

from actorflow.actors import Agent, StageRequest
from actorflow.contracts import Records

from ._build import Report, build_report
from ._charts import load_matplotlib, revenue_by_month_svg, top_svg
from ._format import plural
from ._inputs import collect_input
from ._markdown import render_markdown
from ._narrator import NarratorSettings, try_narrate
from ._params import InsightsParams, parse_params
from ._sentences import dimension_words
from ._table_render import render_table_charts, render_table_markdown
from ._table_report import TableReport, build_table_report


def render_charts(report: Report) -> dict[str, str]:
    """The SVG charts of a report, by file name (none without records)."""
    if not report.params.charts or not report.totals.count:
        return {}
    charts = {"revenue_by_month.svg": revenue_by_month_svg(report.periods)}
    dim = report.top_dimension
    if dim is not None:
        top = report.dimensions[dim].groups[: report.params.top_n]
        if top:
            many = dimension_words(dim)[1]
            charts[f"top_{dim}.svg"] = top_svg(top, title=f"Top {len(top)} {many} by revenue")
    return charts


def summarise(
    frame: pl.DataFrame | Records,
    *,
    stats: Mapping[str, Mapping[str, Any]] | None = None,
    params: InsightsParams | None = None,
    processing: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The insights agent's work without a runtime (and without the narrator).

    Args:
        frame: processed records (``revenue`` as Decimal, ``month_year``, dimensions;
            or any typed table with ``processing``).
        stats: processing stats by stage name, for the data-quality summary.
        params: what to compute; the defaults otherwise.
        processing: for any table, the contract-driven processing output(s) by stage
            name (``contract``, ``calculations``, ``quality_metrics``...): the generic
            report (``docs/insights.md``). The params that differ from their defaults
            count as set.

    Returns:
        ``{"insights", "summary", "markdown", "charts", "warnings"}``.
    """
    params = params or InsightsParams()
    if processing:
        given = [f.name for f in dataclasses.fields(params) if getattr(params, f.name) != f.default]
        table = build_table_report(frame, processing, params=params, given=given)
        table_charts = render_table_charts(table)
        return {
            "insights": table.insights,
            "summary": table.summary,
            "markdown": render_table_markdown(table, charts=table_charts),
            "charts": table_charts,
            "warnings": table.warnings,
        }
    report = build_report(frame, stats=stats or {}, params=params)
    charts = render_charts(report)
    return {
        "insights": report.insights,
        "summary": report.summary,
        "markdown": render_markdown(report, charts=charts),
        "charts": charts,
        "warnings": report.warnings,
    }


class InsightsAgent(Agent):
    """Summarises processed records: totals, breakdowns, top N, changes, outliers, quality.

    The stage's params and output are described in :mod:`actorflow.agents.insights`.

    Args:
        narrator: where the optional narrator sends the insights; by default the
            ``ACTORFLOW_NARRATOR_*`` environment, and no narrator when no URL is set.
    """

    role: ClassVar[str] = "insights"
    description: ClassVar[str] = (
        "Totals and averages of every measure, rates over sums, breakdowns by dimension "
        "with top N, by period with period-over-period change, robust outliers and a "
        "data-quality summary of any business table (its contract says which field is "
        "what), as data, sentences, Markdown and SVG charts; optionally narrated by a "
        "chat model"
    )
    expertise: ClassVar[tuple[str, ...]] = (
        "totals",
        "any business table",
        "rates",
        "breakdowns",
        "top n",
        "period over period",
        "outliers",
        "data quality",
        "svg charts",
        "markdown reports",
    )

    def __init__(self, *, narrator: NarratorSettings | None = None) -> None:
        self.narrator = narrator

    @classmethod
    def model_name(cls) -> str | None:
        """The narrator's model (``ACTORFLOW_NARRATOR_MODEL``), when a narrator is set up."""
        settings = NarratorSettings.from_env()
        return settings.model if settings is not None else None

    def setup(self) -> None:
        """Load the plotting library now, in the actor's thread, while earlier stages run."""
        # A broken install must not stop the actor: the charts report it when drawn, and
        # stages that draw none never notice.
        with contextlib.suppress(ImportError):
            load_matplotlib()

    def check_params(self, params: Mapping[str, Any], *, stage: str) -> None:
        """The insights' settings, checked before the run."""
        parse_params(params, stage=stage)

    async def perform(self, request: StageRequest) -> dict[str, Any]:
        """Summarise the dependencies' records; see :mod:`actorflow.agents.insights`."""
        stage = request.stage.name
        request.raise_if_cancelled()
        params = parse_params(request.params, stage=stage)
        collected = collect_input(
            request.dependencies, request.stage.depends_on, stage=stage, inputs=params.inputs
        )
        request.report_progress(0.1, plural(len(collected.records), "record"))

        # A processing output with a contract (any business table) gets the generic
        # report; the revenue pipeline's output (no contract) keeps the revenue report.
        report: Report | TableReport
        if collected.processing:
            report = build_table_report(
                collected.records,
                collected.processing,
                params=params,
                given=tuple(request.params),
                stage=stage,
            )
        else:
            report = build_report(
                collected.records, stats=collected.stats, params=params, stage=stage
            )
        request.report_progress(0.4, plural(len(report.insights), "insight"))
        request.raise_if_cancelled()
        charts = (
            render_table_charts(report)
            if isinstance(report, TableReport)
            else render_charts(report)
        )
        request.report_progress(0.7, plural(len(charts), "chart"))
        request.raise_if_cancelled()

        warnings = [*collected.warnings, *report.warnings]
        narrative, model = None, ""
        settings = self.narrator or NarratorSettings.from_env()
        if params.narrate is True and settings is None:
            warnings.append(
                {
                    "kind": "narrator",
                    "message": "params.narrate is true but no narrator URL is configured "
                    "(agent settings or ACTORFLOW_NARRATOR_URL)",
                }
            )
        elif settings is not None and params.narrate is not False:
            request.report_progress(0.75, "asking the narrator")
            narrative, problem = await try_narrate(settings, report.insights, report.summary)
            model = settings.model or ""
            if problem:
                warnings.append(problem)
        if isinstance(report, TableReport):
            markdown = render_table_markdown(
                report, charts=charts, narrative=narrative, model=model
            )
        else:
            markdown = render_markdown(report, charts=charts, narrative=narrative, model=model)
        return {
            "insights": report.insights,
            "summary": report.summary,
            "markdown": markdown,
            "charts": charts,
            "narrative": narrative,
            "warnings": warnings,
        }
