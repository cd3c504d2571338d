"""The stage cache: a stage with ``cache = true`` is not run again while nothing it
depends on changed."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow import Runtime
from actorflow.contracts import Records, RecordsWriter, StageFinished
from actorflow.store import RunStore
from actorflow.store._cache import digest
from tests.event_recorder import EventRecorder
from tests.store.retry_agents import Counted, calls, register


def chain(tmp: Path, *, cache: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    """a → b → c, each cached (``cache``: the stage's cache fields), ``params`` added to
    stage b."""
    stages = []
    for name, deps in (("a", []), ("b", ["a"]), ("c", ["b"])):
        extra = params if name == "b" else {}
        stages.append({"name": name, "agent": "counted", "depends_on": deps,
                       "params": {"counter": str(tmp / "calls.txt"), **extra},
                       **(cache or {"cache": True})})  # fmt: skip
    return {"name": "cached", "stages": stages}


@pytest.fixture
def recorded(runtime: Runtime, store: RunStore) -> Runtime:
    register(runtime)
    store.attach(runtime)
    return runtime


def run(runtime: Runtime, store: RunStore, workflow: dict[str, Any], **input: Any) -> Any:
    result = runtime.run(workflow, input, timeout=30)
    assert result.status == "completed"
    store.flush()
    return result


def outputs(result: Any) -> dict[str, list[dict[str, Any]]]:
    return {name: result.output(name).to_dicts() for name in result.stages}


def test_a_second_run_of_an_unchanged_workflow_runs_no_cached_stage(
    recorded: Runtime, store: RunStore, tmp_path: Path
) -> None:
    recorder = EventRecorder(recorded)
    first = run(recorded, store, chain(tmp_path), month="05")
    second = run(recorded, store, chain(tmp_path), month="05")

    assert calls(tmp_path / "calls.txt") == ["a", "b", "c"]
    assert outputs(second) == outputs(first)
    finished = [e for e in recorder.events(second.run_id) if isinstance(e, StageFinished)]
    assert {e.stage: e.cached for e in finished} == {"a": True, "b": True, "c": True}
    detail = store.get_run(second.run_id)
    assert detail is not None
    assert all(s.cached and s.has_output for s in detail.stages)
    assert store.stage_output(second.run_id, "c").to_dicts() == outputs(first)["c"]
    assert {(e.run_id, e.stage) for e in store.cache_entries()} == {
        (first.run_id, name) for name in "abc"
    }


def test_a_changed_param_misses_that_stage_and_what_depends_on_it(
    recorded: Runtime, store: RunStore, tmp_path: Path
) -> None:
    run(recorded, store, chain(tmp_path))
    run(recorded, store, chain(tmp_path, extra=1))
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c", "b"]
    # c's dependency's output is the same (the param does not change b's rows): a hit.


def test_a_changed_input_misses_every_stage(
    recorded: Runtime, store: RunStore, tmp_path: Path
) -> None:
    run(recorded, store, chain(tmp_path), month="05")
    run(recorded, store, chain(tmp_path), month="06")
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c"] * 2
    run(recorded, store, chain(tmp_path), month="06")  # and that input is cached now
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c"] * 2


def test_a_changed_dependency_output_misses(
    recorded: Runtime, store: RunStore, tmp_path: Path
) -> None:
    uncached_a = chain(tmp_path)
    uncached_a["stages"][0] = {**uncached_a["stages"][0], "cache": False}
    run(recorded, store, uncached_a)
    # a runs again (not cached) and gives the same rows: b and c hit.
    run(recorded, store, uncached_a)
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c", "a"]
    # a's output changes (its params change its rows): b and c miss.
    changed = chain(tmp_path)
    changed["stages"][0] = {**changed["stages"][0], "cache": False,
                            "params": {**changed["stages"][0]["params"], "rows": 2}}  # fmt: skip
    run(recorded, store, changed)
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c", "a", "a", "b", "c"]


class CountedV2(Counted):
    version = "2"


def test_a_new_agent_version_misses(recorded: Runtime, store: RunStore, tmp_path: Path) -> None:
    run(recorded, store, chain(tmp_path))
    recorded.register_agent("counted", CountedV2)
    run(recorded, store, chain(tmp_path))
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c"] * 2
    run(recorded, store, chain(tmp_path))  # version 2 is cached now
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c"] * 2


def test_no_cache_runs_every_stage(recorded: Runtime, store: RunStore, tmp_path: Path) -> None:
    run(recorded, store, chain(tmp_path))
    result = recorded.run(chain(tmp_path), timeout=30, cache=False)
    assert result.status == "completed"
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c"] * 2
    run(recorded, store, chain(tmp_path))  # the cache is still there for the others
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c"] * 2


def test_an_expired_entry_is_a_miss(
    recorded: Runtime, store: RunStore, tmp_path: Path, db_path: Path
) -> None:
    run(recorded, store, chain(tmp_path, cache={"cache_ttl_s": 3600}))
    with sqlite3.connect(db_path) as conn:  # an hour and a second later
        conn.execute("UPDATE cache SET expires_at = expires_at - 3601")
    run(recorded, store, chain(tmp_path, cache={"cache_ttl_s": 3600}))
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c"] * 2
    run(recorded, store, chain(tmp_path, cache={"cache_ttl_s": 3600}))  # renewed: hits
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c"] * 2


def test_an_entry_whose_output_is_gone_or_corrupt_is_a_miss_not_an_error(
    recorded: Runtime, store: RunStore, tmp_path: Path
) -> None:
    first = run(recorded, store, chain(tmp_path))
    (a_file,) = store.output_files(first.run_id, "a")
    a_file.unlink()
    (b_file,) = store.output_files(first.run_id, "b")
    b_file.write_bytes(b"not parquet")
    second = run(recorded, store, chain(tmp_path))
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c", "a", "b"]  # c: same input rows
    assert outputs(second) == outputs(first)
    # Misses store new entries: a third run hits everything.
    run(recorded, store, chain(tmp_path))
    assert calls(tmp_path / "calls.txt") == ["a", "b", "c", "a", "b"]


@st.composite
def dags_and_changes(draw: st.DrawFn) -> tuple[list[list[int]], str, int]:
    """A DAG (each stage's dependencies among the earlier ones) and one change: ``none``,
    ``input``, ``param`` (a param that does not change the stage's rows) or ``rows``
    (one that does), on stage ``k``."""
    n = draw(st.integers(min_value=1, max_value=5))
    deps = [sorted(draw(st.sets(st.integers(0, i - 1), max_size=i))) if i else [] for i in range(n)]
    change = draw(st.sampled_from(["none", "input", "param", "rows"]))
    return deps, change, draw(st.integers(0, n - 1))


@settings(max_examples=25)
@given(case=dags_and_changes())
def test_a_stage_is_reused_exactly_when_nothing_it_depends_on_changed(
    recorded: Runtime, store: RunStore, tmp_path: Path, case: tuple[list[list[int]], str, int]
) -> None:
    deps, change, k = case
    counter = tmp_path / f"calls-{uuid.uuid4().hex}.txt"  # keys of other examples differ

    def workflow(changed: bool) -> dict[str, Any]:
        stages = []
        for i, depends in enumerate(deps):
            params: dict[str, Any] = {"counter": str(counter)}
            if changed and i == k and change == "param":
                params["unused"] = 1
            if changed and i == k and change == "rows":
                params["rows"] = 2
            stages.append({"name": f"s{i}", "agent": "counted", "cache": True,
                           "depends_on": [f"s{d}" for d in depends], "params": params})  # fmt: skip
        return {"name": "random", "stages": stages}

    first = run(recorded, store, workflow(False), month="05")
    counter.unlink()
    second = run(recorded, store, workflow(True), month="06" if change == "input" else "05")

    names = [f"s{i}" for i in range(len(deps))]
    if change == "input":
        expected = set(names)
    elif change == "param":
        expected = {f"s{k}"}
    elif change == "rows":
        expected = {f"s{k}"}
        for i, depends in enumerate(deps):  # dependencies come first
            if any(f"s{d}" in expected for d in depends):
                expected.add(f"s{i}")
    else:
        expected = set()
    assert set(calls(counter)) == expected
    assert len(calls(counter)) == len(expected)
    if change in ("none", "param"):
        assert outputs(second) == outputs(first)


def test_records_on_disk_are_digested_by_content_as_records_in_memory(tmp_path: Path) -> None:
    frame = pl.DataFrame({"id": [f"r{i}" for i in range(1000)], "n": list(range(1000))})
    writer = RecordsWriter(tmp_path)
    for start in range(0, 1000, 300):  # several files
        writer.write(frame.slice(start, 300))
    on_disk = writer.finish()
    assert on_disk.on_disk
    in_memory = Records(frame)
    assert digest(on_disk) == digest(in_memory)
    assert digest({"records": on_disk}) == digest({"records": in_memory})
    changed = Records(frame.with_columns(pl.when(pl.col("n") == 999).then(0).otherwise("n")))
    assert digest(changed) != digest(in_memory)
    assert digest(Records(frame.reverse())) != digest(in_memory)  # order counts
