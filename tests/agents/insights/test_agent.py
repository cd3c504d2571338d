"""The insights agent behind the extractor and the processor, in a real Runtime."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from actorflow import Runtime, StageProgress
from actorflow.agents.insights import InsightsAgent, InsightsParams, summarise
from actorflow.agents.processing import ProcessingAgent
from actorflow.contracts import RunResult, WorkflowValidationError, thaw
from tests.agents.insights.insights_helpers import (
    FloatRecords,
    expected_summary,
    messy_csvs,
    period_change,
    register,
    revenue_workflow,
)
from tests.event_recorder import EventRecorder

SVG = "{http://www.w3.org/2000/svg}"


def output(result: RunResult, stage: str) -> Any:
    return thaw(result.output(stage))


@pytest.fixture
def revenue_run(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunResult:
    monkeypatch.delenv("ACTORFLOW_NARRATOR_URL", raising=False)
    register(runtime)
    result = runtime.run(
        revenue_workflow(messy_csvs(tmp_path)), input={"processing_month": "2024-03"}, timeout=60
    )
    assert result.status == "completed", result.error
    return result


def test_the_figures_match_a_plain_decimal_computation_over_the_same_records(
    revenue_run: RunResult,
) -> None:
    records = output(revenue_run, "process")["records"].to_dicts()
    summary = output(revenue_run, "insights")["summary"]
    expected = expected_summary(records)

    for key in ("record_count", "total_revenue", "average_revenue", "total_impressions"):
        assert summary[key] == expected[key], key
    assert summary["overall_rpm"] == expected["overall_rpm"]
    assert [(p["period"], p["revenue"], p["count"]) for p in summary["periods"]] == expected[
        "periods"
    ]
    top = summary["top"]["podcast_name"]
    assert [(g["value"], g["revenue"], g["share_pct"]) for g in top] == expected["podcasts"]
    sources = summary["dimensions"]["source"]["values"]
    assert [(g["value"], g["revenue"], g["share_pct"]) for g in sources] == expected["sources"]


def test_the_processing_month_is_compared_with_the_period_before_it(
    revenue_run: RunResult,
) -> None:
    records = output(revenue_run, "process")["records"].to_dicts()
    insights = {i["kind"]: i for i in output(revenue_run, "insights")["insights"]}
    change = insights["period_change"]
    previous, amount, pct = period_change(records, "2024-03")
    assert change["data"]["period"] == "2024-03"
    assert change["data"]["is_processing_month"] is True
    assert (change["data"]["previous"], change["data"]["change"]) == (previous, amount)
    assert change["data"]["change_pct"] == pct
    assert "the processing month 2024-03" in change["sentence"]
    assert previous in change["sentence"]


def test_the_data_quality_insight_repeats_the_processing_stats(revenue_run: RunResult) -> None:
    stats = output(revenue_run, "process")["stats"]
    insights = {i["kind"]: i for i in output(revenue_run, "insights")["insights"]}
    quality = insights["data_quality"]["data"]
    for key in ("input_count", "output_count", "reject_count", "clean_count"):
        assert quality[key] == stats["quality"][key]
    assert quality["rejected"] == stats["rejected"]
    assert quality["processing_month"] == "2024-03"
    sentence = insights["data_quality"]["sentence"]
    assert f"kept {stats['quality']['output_count']:,} of {stats['quality']['input_count']:,}" in (
        sentence
    )


def test_every_insight_is_data_plus_one_sentence_and_the_markdown_holds_them(
    revenue_run: RunResult,
) -> None:
    out = output(revenue_run, "insights")
    kinds = [i["kind"] for i in out["insights"]]
    assert kinds[:4] == ["totals", "period_change", "best_period", "top_source"]
    assert {"top_podcast_name", "outliers", "data_quality", "currencies"} <= set(kinds)
    for insight in out["insights"]:
        assert set(insight) == {"kind", "title", "sentence", "data"}
        sentence = insight["sentence"]
        assert sentence.endswith(".")
        assert sentence.count(". ") == 0 or "Etc. " in sentence  # one sentence
        assert f"- {sentence}\n" in out["markdown"]
    assert out["markdown"].startswith("# Revenue insights\n")
    assert "| Period | Revenue | Records | Change | Change % |" in out["markdown"]
    assert out["narrative"] is None
    assert out["warnings"] == []
    # Plain data: JSON-encodes as it is, money as exact strings.
    json.dumps(out)
    assert isinstance(out["summary"]["total_revenue"], str)


def test_the_charts_are_valid_deterministic_svg_with_their_labels(
    revenue_run: RunResult,
) -> None:
    out = output(revenue_run, "insights")
    charts = out["charts"]
    assert set(charts) == {"revenue_by_month.svg", "top_podcast_name.svg"}
    for text in charts.values():
        root = ET.fromstring(text)
        assert root.tag == f"{SVG}svg"
        assert "<dc:date>" not in text
    month_labels = {
        t.text for t in ET.fromstring(charts["revenue_by_month.svg"]).iter(f"{SVG}text")
    }
    assert {p["period"] for p in out["summary"]["periods"] if p["period"]} <= month_labels
    top_labels = "".join(t.text or "" for t in ET.fromstring(charts["top_podcast_name.svg"]).iter())
    assert all(g["value"] in top_labels for g in out["summary"]["top"]["podcast_name"])

    records = output(revenue_run, "process")
    again = summarise(records["records"].frame, stats={"process": records["stats"]})
    assert again["charts"] == charts
    assert again["markdown"] == out["markdown"]


def test_insights_straight_after_extraction_clean_text_money_and_count_what_is_not(
    runtime: Runtime, tmp_path: Path
) -> None:
    register(runtime)
    csvs = messy_csvs(tmp_path, rows=200)
    wf = revenue_workflow(csvs, insights_params={"top_n": 3, "charts": False})
    wf["stages"] = [wf["stages"][0], {**wf["stages"][2], "depends_on": ["extract"]}]
    result = runtime.run(wf, timeout=60)
    assert result.status == "completed", result.error
    out = output(result, "insights")
    raw = pl.concat([pl.read_csv(c, infer_schema=False) for c in csvs])
    assert out["summary"]["unparsed_revenue"] > 0
    assert out["summary"]["record_count"] + out["summary"]["unparsed_revenue"] == raw.height - (
        raw["revenue"].null_count()
    )
    assert [w["kind"] for w in out["warnings"]] == ["money"]
    assert out["charts"] == {}
    assert len(out["summary"]["top"]["podcast_name"]) == 3
    assert out["summary"]["data_quality"] is None
    assert "data_quality" not in [i["kind"] for i in out["insights"]]


def test_a_float_money_column_fails_the_stage_naming_the_field(runtime: Runtime) -> None:
    runtime.register_agent("floats", FloatRecords)
    runtime.register_agent("insights", InsightsAgent)
    wf = {
        "name": "floats",
        "stages": [
            {"name": "load", "agent": "floats"},
            {"name": "insights", "agent": "insights", "depends_on": ["load"], "retries": 1,
             "retry_backoff_s": 0.01},
        ],
    }  # fmt: skip
    result = runtime.run(wf, timeout=30)
    error = result.outcome("insights").error
    assert error is not None
    assert error.type == "DataValidationError"
    assert "money field 'revenue' is Float64" in error.message
    assert result.outcome("insights").attempts == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [({"top_n": 0}, "params.top_n"), ({"outlier_threshold": -1}, "params.outlier_threshold"),
     ({"colour": "red"}, "params")],
)  # fmt: skip
def test_bad_params_are_refused_before_the_run_naming_the_field(
    runtime: Runtime, tmp_path: Path, params: dict[str, Any], field: str
) -> None:
    register(runtime)
    wf = revenue_workflow(messy_csvs(tmp_path, rows=20), insights_params=params)
    with pytest.raises(WorkflowValidationError) as refused:
        runtime.submit(wf)
    assert f"stage 'insights', field '{field}'" in str(refused.value)


def test_the_agent_registers_with_its_role() -> None:
    assert InsightsAgent.role == "insights"
    assert ProcessingAgent.role == "processor"


def test_a_dimension_with_many_values_lists_the_largest_and_adds_up_the_rest() -> None:
    frame = pl.DataFrame(
        {
            "id": [f"r{i}" for i in range(300)],
            "podcast_name": [f"Show {i:03d}" for i in range(299)] + [None],
            "revenue": pl.Series([f"{i}.00" for i in range(1, 301)]).cast(pl.Decimal(38, 2)),
            "month_year": ["2024-01"] * 300,
        }
    )
    out = summarise(frame, params=InsightsParams(max_groups=10, top_n=3))
    names = out["summary"]["dimensions"]["podcast_name"]
    assert [g["value"] for g in names["values"]] == [f"Show {i:03d}" for i in range(298, 288, -1)]
    assert names["distinct"] == 299
    assert names["missing"] == {"value": None, "revenue": "300.00", "count": 1, "share_pct": "0.7"}
    total = sum(range(1, 301))
    listed = sum(range(290, 300))
    assert names["others"]["revenue"] == f"{total - listed - 300}.00"
    assert names["others"]["count"] == 299 - 10
    assert "|  | 296 other podcasts | 43,956.00 | 296 | 97.4% |" in out["markdown"]
    assert [g["value"] for g in out["summary"]["top"]["podcast_name"]] == [
        "Show 298", "Show 297", "Show 296"
    ]  # fmt: skip


def test_totals_stay_exact_for_amounts_beyond_28_digits() -> None:
    amounts = ["123456789012345678901234567890.01", "0.01", "0.05"]
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "c"],
            "revenue": pl.Series(amounts).cast(pl.Decimal(38, 2)),
            "month_year": ["2024-01", "2024-01", "2024-02"],
        }
    )
    summary = summarise(frame)["summary"]
    assert summary["total_revenue"] == "123456789012345678901234567890.07"
    assert summary["average_revenue"] == "41152263004115226300411522630.02"
    assert summary["periods"][1]["change"] == "-123456789012345678901234567889.97"


def test_a_stage_depending_on_extraction_and_processing_counts_each_record_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    register(runtime)
    wf = revenue_workflow(messy_csvs(tmp_path, rows=100), insights_params={"charts": False})
    wf["stages"][2]["depends_on"] = ["extract", "process"]
    result = runtime.run(wf, timeout=60)
    assert result.status == "completed", result.error
    processed = output(result, "process")
    summary = output(result, "insights")["summary"]
    assert summary["record_count"] == len(processed["records"])
    assert summary["data_quality"]["stages"] == ["process"]


def test_each_chart_has_its_title_in_words(revenue_run: RunResult) -> None:
    charts = output(revenue_run, "insights")["charts"]
    titles = {name: ET.fromstring(svg).findtext(f"{SVG}title") for name, svg in charts.items()}
    assert titles == {
        "revenue_by_month.svg": "Revenue by month",
        "top_podcast_name.svg": "Top 5 podcasts by revenue",
    }


def test_progress_counts_read_in_the_singular_for_one(runtime: Runtime, tmp_path: Path) -> None:
    register(runtime)
    recorder = EventRecorder(runtime)
    wf = revenue_workflow(messy_csvs(tmp_path), insights_params={"dimensions": []})
    result = runtime.run(wf, timeout=60)
    assert result.status == "completed", result.error
    assert len(output(result, "insights")["charts"]) == 1
    messages = [
        e.message
        for e in recorder.events(result.run_id)
        if isinstance(e, StageProgress) and e.stage == "insights"
    ]
    assert "1 chart" in messages, messages
