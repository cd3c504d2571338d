"""The store records runs, stages, attempts, events and outputs from a runtime's hub."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from actorflow import Records, Runtime
from actorflow.contracts import (
    FrozenMap,
    RunFinished,
    RunStarted,
    StageFinished,
    StageProgress,
    StageRetrying,
    StageStarted,
    freeze,
)
from actorflow.store import RunStore
from actorflow.store._codec import decode_value, encode_value
from tests.store.store_agents import register_agents, sample_records

TWO_STAGES = {
    "name": "two",
    "stages": [
        {"name": "load", "agent": "returns", "params": {"records": 4}},
        {"name": "sum", "agent": "returns", "depends_on": ["load"]},
    ],
}


def test_a_completed_run_is_recorded_with_its_stages_attempts_and_events(
    recorded: Runtime, store: RunStore
) -> None:
    result = recorded.run(TWO_STAGES, {"region": "EU"}, timeout=10)
    store.flush()

    detail = store.get_run(result.run_id)
    assert detail is not None
    assert detail.run.status == "completed"
    assert detail.run.workflow == "two"
    assert detail.run.progress == 100
    assert detail.run.finished_at is not None
    assert detail.run.execution_time_s == result.execution_time_s
    assert detail.run.stages == {"load": "succeeded", "sum": "succeeded"}
    assert detail.spec is not None
    assert [s["name"] for s in detail.spec["stages"]] == ["load", "sum"]
    assert [s.stage for s in detail.stages] == ["load", "sum"]
    for stage in detail.stages:
        assert stage.status == "succeeded"
        assert stage.has_output
        assert [(a.attempt, a.status) for a in stage.attempt_history] == [(1, "succeeded")]
    assert detail.stages[0].output_summary == "Records: 4 rows x 3 columns"
    assert tuple(detail.events) == tuple(recorded.history(result.run_id))
    assert store.run_input(result.run_id) == {"region": "EU"}


def test_retried_attempts_are_each_recorded_with_their_errors(
    recorded: Runtime, store: RunStore
) -> None:
    workflow = {
        "name": "flaky",
        "stages": [
            {
                "name": "fetch",
                "agent": "fails",
                "retries": 2,
                "retry_backoff_s": 0.001,
                "params": {"failures": 2},
            }
        ],
    }
    result = recorded.run(workflow, timeout=10)
    store.flush()

    detail = store.get_run(result.run_id)
    assert detail is not None
    (fetch,) = detail.stages
    assert fetch.attempts == 3
    history = [(a.attempt, a.status) for a in fetch.attempt_history]
    assert history == [(1, "failed"), (2, "failed"), (3, "succeeded")]
    first_error = fetch.attempt_history[0].error
    assert first_error is not None
    assert "attempt 1 failed" in first_error.message
    kinds = [type(e) for e in detail.events]
    assert kinds.count(StageRetrying) == 2
    assert kinds[0] is RunStarted
    assert kinds[-1] is RunFinished


def test_a_failed_run_keeps_its_error_and_the_skipped_stages(
    recorded: Runtime, store: RunStore
) -> None:
    workflow = {
        "name": "broken",
        "stages": [
            {"name": "fetch", "agent": "fails"},
            {"name": "after", "agent": "returns", "depends_on": ["fetch"]},
        ],
    }
    result = recorded.run(workflow, timeout=10)
    store.flush()

    (run,) = store.list_runs()
    assert run.status == "failed"
    assert run.error is not None
    assert run.error.type == "ConnectionError"
    assert run.stages == {"fetch": "failed", "after": "skipped"}
    assert run.run_id == result.run_id


def test_records_outputs_are_parquet_files_that_read_back_equal(
    recorded: Runtime, store: RunStore, db_path: Path
) -> None:
    result = recorded.run(TWO_STAGES, timeout=10)
    store.flush()

    (parquet,) = store.output_files(result.run_id, "load")
    assert parquet == db_path.parent / "outputs" / result.run_id / "load.parquet"
    assert pl.read_parquet(parquet).equals(result.output("load").frame)
    assert store.stage_output(result.run_id, "load") == result.output("load")
    assert store.stage_output(result.run_id, "sum") == result.output("sum")
    assert store.output_files(result.run_id, "sum") == ()


def test_an_output_holding_several_records_gets_one_file_each(
    recorded: Runtime, store: RunStore
) -> None:
    payload = {"clean": sample_records(2), "rejected": sample_records(1), "note": "ok"}
    workflow = {
        "name": "split",
        "stages": [{"name": "split", "agent": "returns", "params": {"echo": "payload"}}],
    }
    result = recorded.run(workflow, {"payload": payload}, timeout=10)
    store.flush()

    files = store.output_files(result.run_id, "split")
    assert [f.name for f in files] == ["split.parquet", "split@2.parquet"]
    assert store.stage_output(result.run_id, "split") == freeze(payload)
    assert store.run_input(result.run_id) == freeze({"payload": payload})


def test_reopening_the_file_finds_every_run(db_path: Path) -> None:
    run_ids = []
    with Runtime() as rt, RunStore(db_path) as store:
        register_agents(rt)
        store.attach(rt)
        run_ids = [rt.run(TWO_STAGES, timeout=10).run_id for _ in range(3)]
    with RunStore(db_path) as reopened:
        runs = reopened.list_runs()
        assert [r.run_id for r in runs] == run_ids[::-1]
        assert {r.status for r in runs} == {"completed"}
        assert reopened.stage_output(run_ids[0], "load") == sample_records(4)


def test_events_of_a_run_started_before_attaching_still_make_a_row(
    runtime: Runtime, store: RunStore
) -> None:
    # A store attached to a busy runtime sees events of runs it was not told about.
    store.attach(runtime)
    hub = runtime.hub
    hub.emit(StageStarted, "early", stage="a", agent="x", attempt=1)
    hub.emit(StageProgress, "early", progress=40, stage="a", fraction=0.8)
    hub.emit(StageFinished, "early", stage="a", status="succeeded", attempts=1, duration_s=0.1)
    hub.emit(RunFinished, "early", status="completed", execution_time_s=0.2)
    store.flush()

    detail = store.get_run("early")
    assert detail is not None
    assert detail.run.status == "completed"
    assert detail.run.progress == 100
    assert [(s.stage, s.status) for s in detail.stages] == [("a", "succeeded")]
    assert len(detail.events) == 4


# -- the value codec ------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.decimals(allow_nan=False)
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.dates()
    | st.datetimes()
    | st.datetimes(timezones=st.just(dt.UTC))
    | st.times()
    | st.timedeltas()
    | st.uuids()
)
keys = st.text(max_size=6) | st.sampled_from(["$decimal", "$map", "$records", "$"])
values = st.recursive(
    scalars | st.frozensets(st.integers() | st.text(max_size=4), max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)


def _round_trip(value: object) -> object:
    files: dict[str, Records] = {}

    def sink(records: Records) -> str:
        ref = uuid.uuid4().hex
        files[ref] = records
        return ref

    encoded = encode_value(value, records=sink)
    assert encoded.exact
    return decode_value(encoded.json, records=files.__getitem__)


@given(values)
def test_any_frozen_value_round_trips_through_tagged_json_exactly(value: object) -> None:
    frozen = freeze(value)
    assert _round_trip(frozen) == frozen


def test_decimal_places_and_records_inside_values_round_trip() -> None:
    value = freeze(
        {
            "total": decimal.Decimal("12.30"),
            "rows": sample_records(3),
            "nested": [{"$decimal": "not a tag"}, float("inf")],
        }
    )
    back = _round_trip(value)
    assert back == value
    assert isinstance(back, FrozenMap)
    assert str(back["total"]) == "12.30"
    assert isinstance(back["rows"], Records)
