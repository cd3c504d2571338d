"""The insights agent (``insights``): what processed records say, as data, text and charts.

Register it with ``runtime.register_agent("insights", InsightsAgent)`` and give a stage
``agent = "insights"`` that depends on a processing stage. It reads the ``Records`` of its
dependencies (stacked) and the processing ``stats`` they carry. Everything is computed
locally and deterministically; money is exact Decimal throughout.

Two reports, chosen by the processing output:

- **any table** (the output carries a ``contract``: the contract-driven processing): the
  generic report of ``docs/insights.md``, about the table's own fields: measures, rates
  from the declared calculations (ratios of sums), dimensions, periods, outliers, data
  quality. Its output has the same keys (``insights``, ``summary``, ``markdown``,
  ``charts``, ``narrative``, ``warnings``); its summary is described there.
- **revenue** (no ``contract``: the revenue pipeline), described below.

Stage params (every field optional; unknown fields are errors)::

    top_n              values in the top lists and the top chart (5)
    dimensions         columns to break revenue down by (default: those of source,
                       podcast_name, name the records have)
    value_field        the money column ("revenue")
    period_field       the period column ("month_year"; taken from date_field's
                       YYYY-MM-DD when the records lack it)
    date_field         ("date")
    id_field           the record id shown for outliers ("id")
    outlier_threshold  |robust z-score| above which a record is an outlier (3.5)
    max_outliers       outliers listed (10; all are counted)
    max_groups         values listed per dimension (50; the rest are added up as others)
    charts             draw the SVG charts (true)
    narrate            run the narrator: true, false, or absent (when one is configured)
    title              the report's title ("Revenue insights")
    inputs             dependencies whose records to summarise (default: those carrying
                       processing stats or a contract if any does, else every one with
                       records)
    entity             any table: what a record is ("campaign"; default from the contract)
    period             any table: auto (default), day, week, month, quarter or year

The output (plain data: money as Decimal strings, so it freezes and JSON-encodes)::

    {"insights": [{"kind", "title", "sentence", "data"}, ...],
     "summary": {"record_count", "total_revenue", "average_revenue",
                 "total_impressions", "overall_rpm",
                 "periods": [{"period", "revenue", "count", "share_pct", "previous",
                              "change", "change_pct"}],
                 "dimensions": {dim: {"values": [{"value", "revenue", "count",
                                                  "share_pct"}] (largest first),
                                      "others": {...} | None, "missing": {...} | None,
                                      "distinct": n}},
                 "top": {dim: [...the first top_n...]},
                 "outliers": {"threshold", "median", "mad", "scale", "count",
                              "records": [{"id", "name", "source", "period",
                                           "revenue", "z"}]},
                 "currencies": {code: records}, "data_quality": {...} | None,
                 "processing_month", "unparsed_revenue", "title"},
     "markdown": str,
     "charts": {"revenue_by_month.svg": str, "top_<dimension>.svg": str},
     "narrative": str | None,
     "warnings": [{"kind", "message", ...}]}

Insight kinds: ``totals``, ``processing_month`` (when that month has no records),
``period_change`` (the processing month, else the latest period, against the period
before it), ``best_period``, ``top_<dimension>``, ``outliers``, ``data_quality``,
``currencies`` (when amounts come in several).

The narrator (:class:`NarratorSettings`, off unless a URL is configured through the
agent's ``narrator`` setting or ``ACTORFLOW_NARRATOR_URL``/``_MODEL``/``_API_KEY``) sends
the insights to an OpenAI-compatible ``/chat/completions`` endpoint; if it fails, the
output carries a ``narrator`` warning and the stage still succeeds.
"""

from ._agent import InsightsAgent, render_charts, summarise
from ._build import Report, build_report
from ._markdown import render_markdown
from ._narrator import (
    DEFAULT_PROMPT,
    ENV_API_KEY,
    ENV_MODEL,
    ENV_URL,
    NarratorError,
    NarratorSettings,
    narrate,
)
from ._outliers import Outliers, find_outliers
from ._params import InsightsParams, parse_params

__all__ = [
    "DEFAULT_PROMPT",
    "ENV_API_KEY",
    "ENV_MODEL",
    "ENV_URL",
    "InsightsAgent",
    "InsightsParams",
    "NarratorError",
    "NarratorSettings",
    "Outliers",
    "Report",
    "build_report",
    "find_outliers",
    "narrate",
    "parse_params",
    "render_charts",
    "render_markdown",
    "summarise",
]
