"""``RunStore.retry``: a new run of a finished run that takes over what succeeded."""

from __future__ import annotations

from pathlib import Path

import pytest

from actorflow import Runtime
from actorflow.contracts import StageFinished, StageStarted
from actorflow.store import RetryError, RunStore
from tests.event_recorder import EventRecorder
from tests.store.retry_agents import GATE, calls, register, workflow


@pytest.fixture
def failed_run(runtime: Runtime, store: RunStore, tmp_path: Path) -> str:
    """A run whose stage c failed (after a, b and e succeeded); the marker is gone."""
    register(runtime)
    store.attach(runtime)
    (tmp_path / "fail").touch()
    result = runtime.run(workflow(tmp_path), {"month": "2024-05"}, timeout=30)
    assert result.status == "failed"
    assert calls(tmp_path / "calls.txt") == ["a", "b", "e", "c"]
    (tmp_path / "fail").unlink()
    (tmp_path / "calls.txt").unlink()
    store.flush()
    return result.run_id


def test_a_retry_runs_only_what_did_not_succeed_and_takes_over_the_rest(
    runtime: Runtime, store: RunStore, failed_run: str, tmp_path: Path
) -> None:
    recorder = EventRecorder(runtime)
    handle = store.retry(runtime, failed_run)
    result = handle.result(timeout=30)
    assert result.status == "completed"
    assert calls(tmp_path / "calls.txt") == ["c", "d"]
    # d's rows come through c from a and b, whose outputs were read back from the store.
    assert [row["stage"] for row in result.output("d").to_dicts()] == ["a", "b", "c", "d"]
    events = recorder.events(handle.run_id)
    assert sorted(e.stage for e in events if isinstance(e, StageStarted)) == ["c", "d"]
    finished = {e.stage: e.reused for e in events if isinstance(e, StageFinished)}
    assert finished == {"a": True, "b": True, "e": True, "c": False, "d": False}
    store.flush()
    detail = store.get_run(handle.run_id)
    assert detail is not None
    assert detail.run.retry_of == failed_run
    assert {s.stage: s.reused for s in detail.stages} == finished
    assert all(s.has_output for s in detail.stages)
    assert store.stage_output(handle.run_id, "b").to_dicts() == result.output("b").to_dicts()
    original = store.get_run(failed_run)
    assert original is not None
    assert original.retries == (handle.run_id,)
    assert [r.run_id for r in store.list_runs(retries_of=failed_run)] == [handle.run_id]


def test_from_stage_reruns_that_stage_and_everything_downstream(
    runtime: Runtime, store: RunStore, failed_run: str, tmp_path: Path
) -> None:
    retried = store.retry(runtime, failed_run).result(timeout=30)
    (tmp_path / "calls.txt").unlink()
    store.flush()
    # A retry of a retry: its reused stages' outputs are found through the first one.
    again = store.retry(runtime, retried.run_id, from_stage="b").result(timeout=30)
    assert again.status == "completed"
    assert calls(tmp_path / "calls.txt") == ["b", "c", "d"]
    assert again.output("d").to_dicts() == retried.output("d").to_dicts()
    store.flush()
    detail = store.get_run(again.run_id)
    assert detail is not None
    assert [s.stage for s in detail.stages if s.reused] == ["a", "e"]


def test_a_retry_works_in_a_new_process_from_the_stored_outputs(
    store: RunStore, db_path: Path, failed_run: str, tmp_path: Path
) -> None:
    store.close()
    with RunStore(db_path) as reopened, Runtime() as fresh:
        register(fresh)
        reopened.attach(fresh)
        result = reopened.retry(fresh, failed_run).result(timeout=30)
    assert result.status == "completed"
    assert calls(tmp_path / "calls.txt") == ["c", "d"]
    assert [row["stage"] for row in result.output("d").to_dicts()] == ["a", "b", "c", "d"]


def test_retrying_an_unknown_run_says_so(runtime: Runtime, store: RunStore) -> None:
    register(runtime)
    with pytest.raises(RetryError, match=r"cannot retry run 'nope': no such run"):
        store.retry(runtime, "nope")


def test_retrying_from_an_unknown_stage_lists_the_stages(
    runtime: Runtime, store: RunStore, failed_run: str
) -> None:
    with pytest.raises(RetryError, match=r"has no such stage \(its stages: a, b, e, c, d\)"):
        store.retry(runtime, failed_run, from_stage="zz")


def test_retrying_when_a_stored_output_was_deleted_names_the_stage(
    runtime: Runtime, store: RunStore, failed_run: str
) -> None:
    files = store.output_files(failed_run, "b")
    assert files
    for path in files:
        path.unlink()
    with pytest.raises(RetryError, match=r"the stored output of stage 'b' is missing"):
        store.retry(runtime, failed_run)


def test_retrying_a_run_still_under_way_is_refused(runtime: Runtime, store: RunStore) -> None:
    register(runtime)
    store.attach(runtime)
    GATE.clear()
    # Recorded (as pending) before submit returns; it cannot end before the gate opens.
    handle = runtime.submit({"name": "held", "stages": [{"name": "h", "agent": "gated"}]})
    try:
        with pytest.raises(RetryError, match=r"it is still (pending|running); wait for it"):
            store.retry(runtime, handle.run_id)
    finally:
        GATE.set()
    assert handle.result(timeout=30).status == "completed"
