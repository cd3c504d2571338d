"""The processor in a real Runtime behind the extractor, on seeded messy revenue data."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from actorflow import CancelToken, Runtime, StageRequest
from actorflow.agents.processing import ProcessingAgent
from actorflow.agents.rules import Rule, RuleSet, run_pipeline_scalar
from actorflow.contracts import (
    Records,
    RunCancelledError,
    RunResult,
    StageOutcome,
    StageProgress,
    StageSpec,
    WorkflowValidationError,
    freeze,
    thaw,
)
from tests.agents.processing.processing_helpers import (
    REVENUE_INPUT,
    TableAgent,
    messy_csv,
    register,
    workflow,
)

ALL_FOUR = ["cleaning", "normalization", "calculations", "filtering"]


def output(result: RunResult, stage: str) -> Any:
    """A stage's output as plain dicts and lists (Records stay Records)."""
    return thaw(result.output(stage))


def no_floats(records: Records) -> bool:
    return not any(dtype.is_float() for dtype in records.schema.values())


def test_a_full_run_matches_the_spec_and_keeps_every_record_as_kept_or_rejected(
    runtime: Runtime, tmp_path: Path
) -> None:
    register(runtime)
    csv = messy_csv(tmp_path)
    task = "Clean, standardize and validate the records, filter them and calculate metrics"
    result = runtime.run(workflow([csv], task=task), input=REVENUE_INPUT, timeout=60)
    assert result.status == "completed", result.error
    extracted: Records = output(result, "extract")["records"]
    out = output(result, "process")
    records, rejects, stats = out["records"], out["rejects"], out["stats"]

    assert stats["operations"] == ALL_FOUR
    assert stats["operations_from"] == "task"
    # Count conservation: nothing is silently dropped.
    assert len(records) + len(rejects) == len(extracted) == stats["quality"]["input_count"]
    assert stats["quality"]["output_count"] == len(records)
    assert stats["quality"]["reject_count"] == len(rejects) == sum(stats["rejected"].values())
    assert stats["inputs"] == {"extract": len(extracted)}

    # The same records, rejects and counts as the spec in plain Python.
    spec = run_pipeline_scalar(extracted.to_dicts())
    assert records.to_dicts() == spec.records
    assert rejects.to_dicts() == spec.rejects
    assert dict(stats["rejected"]) == dict(spec.stats.rejected)
    assert stats["quality"]["clean_count"] == spec.stats.clean_count
    assert stats["quality"]["retention_rate"] == round(spec.stats.retention_rate, 6)
    assert stats["quality"]["quality_score"] == round(spec.stats.quality_score, 6)
    assert stats["quality"]["processing_efficiency"] > 0

    # Every kind of reject occurs in this data; each keeps its original text and reason.
    assert {r["rule"] for r in rejects} == {"money", "duplicate", "required", "range"}
    assert all(r["reason"] for r in rejects)
    assert rejects.schema["revenue"] == pl.String
    assert isinstance(records.to_dicts()[0]["revenue"], Decimal)
    assert no_floats(records)
    assert no_floats(rejects)

    per_op = stats["per_operation"]
    assert list(per_op) == ALL_FOUR
    assert per_op["cleaning"]["input"] == len(extracted)
    assert per_op["filtering"]["output"] == len(records)
    assert per_op["calculations"]["rpm_computed"] == sum(r["rpm"] is not None for r in records)
    assert stats["processing_month"] == "2024-03"
    assert stats["processing_month_records"] == sum(r["month_year"] == "2024-03" for r in records)
    kinds = {w["kind"]: w["count"] for w in stats["warnings"]}
    assert kinds == {k: v for k, v in spec.stats.warnings.items() if v}


def test_progress_is_reported_for_each_operation_in_order(runtime: Runtime, tmp_path: Path) -> None:
    register(runtime)
    result = runtime.run(
        workflow([messy_csv(tmp_path, rows=50)], params={"operations": ALL_FOUR}), timeout=60
    )
    assert result.status == "completed", result.error
    progress = [
        e
        for e in runtime.history(result.run_id)
        if isinstance(e, StageProgress) and e.stage == "process"
    ]
    heads = [e.message.split(":")[0] for e in progress[1:]]
    assert heads == ALL_FOUR
    fractions = [e.fraction for e in progress]
    assert fractions == sorted(fractions)
    assert all(f < 1 for f in fractions)


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ("Clean the data", ["cleaning"]),
        ("Normalise and standardize names", ["normalization"]),
        ("Compute totals", ["cleaning", "calculations"]),
        ("Filter out the junk", ["cleaning", "filtering"]),
        ("Summarise the records", ["validation"]),
    ],
)
def test_the_task_words_choose_the_operations(
    runtime: Runtime, tmp_path: Path, task: str, expected: list[str]
) -> None:
    register(runtime)
    result = runtime.run(workflow([messy_csv(tmp_path, rows=60)], task=task), timeout=60)
    assert result.status == "completed", result.error
    stats = output(result, "process")["stats"]
    assert stats["operations"] == expected
    assert stats["operations_from"] == ("default" if expected == ["validation"] else "task")


def test_validation_rules_in_the_input_bring_filtering_to_a_cleaning_task(
    runtime: Runtime, tmp_path: Path
) -> None:
    register(runtime)
    wf = workflow([messy_csv(tmp_path)], task="Clean and validate, then calculate metrics")
    result = runtime.run(wf, input={"validation_rules": {"max_revenue": "500"}}, timeout=60)
    stats = output(result, "process")["stats"]
    assert stats["operations"] == ["cleaning", "calculations", "filtering"]
    assert "filtering" in stats["implied"]
    assert stats["validation_rules"]["max_revenue"] == "500"
    assert all(r["revenue"] <= Decimal(500) for r in output(result, "process")["records"])


def test_cleaning_alone_leaves_names_impressions_and_limits_untouched(
    runtime: Runtime, tmp_path: Path
) -> None:
    register(runtime)
    result = runtime.run(
        workflow([messy_csv(tmp_path)], task="normalize", params={"operations": ["cleaning"]}),
        input=REVENUE_INPUT,
        timeout=60,
    )
    assert result.status == "completed", result.error
    extracted = output(result, "extract")["records"]
    out = output(result, "process")
    records, rejects = out["records"], out["rejects"]
    assert out["stats"]["operations"] == ["cleaning"]
    assert set(out["stats"]["rejected"]) == {"money", "duplicate"}
    assert {r["rule"] for r in rejects} == {"money", "duplicate"}
    assert len(records) + len(rejects) == len(extracted)
    assert "rpm" not in records.columns
    assert "month_year" not in records.columns
    assert records.schema["impressions"] == pl.String
    assert records.columns[:4] == ("id", "podcast_name", "revenue", "impressions")
    # Names are as extracted; money is cleaned even where filtering would reject it.
    raw_pairs = {(r["id"], r["podcast_name"]) for r in extracted}
    assert all((r["id"], r["podcast_name"]) in raw_pairs for r in records)
    assert any(n != " ".join(n.split()).title() for n in records.frame["podcast_name"] if n)
    assert any(r["revenue"] > Decimal(100000) for r in records)


def test_normalization_alone_rejects_nothing(runtime: Runtime, tmp_path: Path) -> None:
    register(runtime)
    result = runtime.run(workflow([messy_csv(tmp_path)], task="Standardize names"), timeout=60)
    out = output(result, "process")
    extracted = output(result, "extract")["records"]
    assert out["stats"]["operations"] == ["normalization"]
    assert len(out["rejects"]) == 0
    assert out["records"].frame["revenue"].to_list() == extracted.frame["revenue"].to_list()
    assert all(
        n is None or n == " ".join(n.split()).title() for n in out["records"].frame["podcast_name"]
    )


def test_basic_validation_rejects_only_missing_required_fields(
    runtime: Runtime, tmp_path: Path
) -> None:
    register(runtime)
    result = runtime.run(workflow([messy_csv(tmp_path)], task="Look at it"), timeout=60)
    out = output(result, "process")
    extracted = output(result, "extract")["records"]
    assert out["stats"]["operations"] == ["validation"]
    rejects = out["rejects"]
    assert {r["rule"] for r in rejects} == {"required"}
    assert all(
        any(r[f] is None or r[f] == "" for f in ("podcast_name", "revenue", "date"))
        for r in rejects
    )
    assert len(out["records"]) + len(rejects) == len(extracted)


def test_a_rule_registered_in_a_rule_set_runs_when_the_params_name_it(
    runtime: Runtime, tmp_path: Path
) -> None:
    rules = RuleSet()

    @rules.filter(
        "no_crime",
        field="podcast_name",
        vectorized=lambda e: ~e.str.contains("Crime"),
        reason="crime shows are reported elsewhere",
    )
    def no_crime(name: str | None) -> bool:
        return name is None or "Crime" not in name

    rules.add(
        Rule.calculated(
            "revenue_cents",
            vectorized=(pl.col("revenue") * 100).cast(pl.Int64),
            scalar=lambda record: int(record["revenue"] * 100),
        )
    )
    rules.add(Rule.filter("never", vectorized=pl.lit(False), scalar=lambda record: False))
    register(runtime, functools.partial(ProcessingAgent, rules=rules))
    result = runtime.run(
        workflow(
            [messy_csv(tmp_path)],
            task="Clean the records",
            params={"rules": ["no_crime", "revenue_cents"]},
        ),
        input=REVENUE_INPUT,
        timeout=60,
    )
    assert result.status == "completed", result.error
    out = output(result, "process")
    stats = out["stats"]
    # The named rules bring the steps that run them; the unnamed one does not run.
    assert stats["operations"] == ["cleaning", "calculations", "filtering"]
    assert stats["rules"] == ["no_crime", "revenue_cents"]
    assert stats["rejected"]["no_crime"] > 0
    assert "never" not in stats["rejected"]
    crime = [r for r in out["rejects"] if r["rule"] == "no_crime"]
    assert len(crime) == stats["rejected"]["no_crime"]
    assert {r["reason"] for r in crime} == {"crime shows are reported elsewhere"}
    assert all("Crime" not in (r["podcast_name"] or "") for r in out["records"])
    assert all(r["revenue_cents"] == int(r["revenue"] * 100) for r in out["records"])
    assert len(out["records"]) + len(out["rejects"]) == stats["quality"]["input_count"]


def test_records_of_several_dependencies_are_stacked(runtime: Runtime, tmp_path: Path) -> None:
    register(runtime)
    first = messy_csv(tmp_path, rows=80, seed=1, name="audiomax")
    second = messy_csv(tmp_path, rows=70, seed=2, name="acast")

    def extract(name: str, path: Path) -> dict[str, Any]:
        sources = [{"type": "file", "path": str(path)}]
        return {"name": name, "agent": "extractor", "params": {"sources": sources}}

    wf = {
        "name": "two",
        "stages": [
            extract("a", first),
            extract("b", second),
            {"name": "process", "agent": "processor", "depends_on": ["a", "b"], "task": "clean"},
        ],
    }
    result = runtime.run(wf, timeout=60)
    out = output(result, "process")
    assert out["stats"]["inputs"] == {"a": 80, "b": 70}
    assert len(out["records"]) + len(out["rejects"]) == 150
    assert set(out["records"].frame["source"].unique()) == {"audiomax", "acast"}


def test_a_float_revenue_fails_the_stage_naming_the_field_and_is_not_retried(
    runtime: Runtime,
) -> None:
    runtime.register_agent("table", TableAgent)
    runtime.register_agent("processor", ProcessingAgent)
    wf = {
        "name": "floats",
        "stages": [
            {"name": "load", "agent": "table", "params": {"rows": [{"id": "1", "revenue": 1.5}]}},
            {"name": "process", "agent": "processor", "depends_on": ["load"],
             "task": "clean", "retries": 2, "retry_backoff_s": 0.01},
        ],
    }  # fmt: skip
    result = runtime.run(wf, timeout=30)
    outcome = result.outcome("process")
    assert result.status == "failed"
    assert outcome.error is not None
    assert outcome.error.type == "DataValidationError"
    assert "'revenue'" in outcome.error.message
    assert "Float64" in outcome.error.message
    assert "'load'" in outcome.error.message
    assert outcome.attempts == 1


def test_a_missing_money_column_fails_the_stage_naming_the_field(runtime: Runtime) -> None:
    # Revenue roles choose the revenue pipeline (a table without them is processed by
    # its contract: tests/agents/processing/test_generic.py).
    runtime.register_agent("table", TableAgent)
    runtime.register_agent("processor", ProcessingAgent)
    process = {"name": "process", "agent": "processor", "depends_on": ["load"], "task": "clean",
               "params": {"roles": {"money": ["revenue"]}}}  # fmt: skip
    wf = {
        "name": "no-money",
        "stages": [
            {"name": "load", "agent": "table", "params": {"rows": [{"id": "1", "amount": "2"}]}},
            process,
        ],
    }
    result = runtime.run(wf, timeout=30)
    error = result.outcome("process").error
    assert error is not None
    assert error.type == "DataValidationError"
    assert "money field 'revenue' is missing" in error.message


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"operations": ["cleanup"]}, "params.operations"),
        ({"operations": ["validation", "cleaning"]}, "params.operations"),
        ({"rules": ["nope"]}, "params.rules"),
        ({"roles": {"revenue": "amount"}}, "params.roles"),
        ({"colour": "red"}, "params"),
    ],
)
def test_bad_params_are_refused_before_the_run_naming_the_field(
    runtime: Runtime, tmp_path: Path, params: dict[str, object], field: str
) -> None:
    register(runtime)
    with pytest.raises(WorkflowValidationError) as refused:
        runtime.submit(workflow([messy_csv(tmp_path, rows=5)], params=params))
    assert f"stage 'process', field '{field}'" in str(refused.value)


def test_bad_params_still_fail_the_stage_when_the_agent_is_driven_directly() -> None:
    # An agent driven without a runtime's validation checks its params itself.
    stage = StageSpec(name="process", agent="processor", params={"operations": ["cleanup"]})
    request = StageRequest.of(stage, run_id="r1", workflow="wf")
    with pytest.raises(WorkflowValidationError, match=r"params\.operations"):
        ProcessingAgent().perform(request)


def test_a_bad_processing_month_in_the_input_is_a_data_error(
    runtime: Runtime, tmp_path: Path
) -> None:
    register(runtime)
    result = runtime.run(
        workflow([messy_csv(tmp_path, rows=5)], task="clean"),
        input={"processing_month": "March"},
        timeout=30,
    )
    error = result.outcome("process").error
    assert error is not None
    assert error.type == "DataValidationError"
    assert "processing_month" in error.message


def test_input_validation_rules_override_the_params_key_by_key(
    runtime: Runtime, tmp_path: Path
) -> None:
    register(runtime)
    params = {"validation_rules": {"min_revenue": "5", "max_revenue": "50"}}
    result = runtime.run(
        workflow([messy_csv(tmp_path)], task="clean and filter", params=params),
        input={"validation_rules": {"max_revenue": 1000}},
        timeout=60,
    )
    out = output(result, "process")
    assert out["stats"]["validation_rules"]["min_revenue"] == "5"
    assert out["stats"]["validation_rules"]["max_revenue"] == "1000"
    revenues = [r["revenue"] for r in out["records"]]
    assert min(revenues) >= Decimal(5)
    assert max(revenues) <= Decimal(1000)
    assert max(revenues) > Decimal(50)


def test_a_cancelled_attempt_stops_between_operations(tmp_path: Path) -> None:
    token = CancelToken()
    messages: list[str] = []

    def progress(fraction: float, message: str) -> None:
        messages.append(message)
        token.cancel("stop here")  # the first report comes before the heavy query

    records = Records(pl.read_csv(messy_csv(tmp_path, rows=20), infer_schema=False))
    extract = StageOutcome(stage="extract", agent="extractor", status="succeeded",
                           output=freeze({"records": records}))  # fmt: skip
    request = StageRequest.of(
        StageSpec(name="process", agent="processor", depends_on=("extract",)),
        dependencies={"extract": extract},
        run_id="r1",
        workflow="wf",
        cancel=token,
        progress=progress,
    )
    with pytest.raises(RunCancelledError, match="stop here"):
        ProcessingAgent().perform(request)
    assert len(messages) == 1
