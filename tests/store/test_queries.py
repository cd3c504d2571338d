"""Run lists with filters, newest first, and the dashboard's figures."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from actorflow import Runtime
from actorflow.store import RunStore

OK = {"name": "ok", "stages": [{"name": "a", "agent": "returns"}]}
BAD = {"name": "bad", "stages": [{"name": "a", "agent": "fails"}]}
MIXED = {
    "name": "mixed",
    "stages": [
        {"name": "a", "agent": "returns"},
        {"name": "b", "agent": "fails", "required": False},
    ],
}


@pytest.fixture
def history(recorded: Runtime, store: RunStore) -> list[str]:
    """Six runs, oldest first: ok, bad, ok, mixed, bad, ok."""
    run_ids = [
        recorded.run(workflow, timeout=10).run_id for workflow in (OK, BAD, OK, MIXED, BAD, OK)
    ]
    store.flush()
    return run_ids


def test_runs_are_listed_newest_first(store: RunStore, history: list[str]) -> None:
    assert [r.run_id for r in store.list_runs()] == history[::-1]


def test_runs_are_filtered_by_status_and_workflow(store: RunStore, history: list[str]) -> None:
    failed = store.list_runs(status="failed")
    assert [r.run_id for r in failed] == [history[4], history[1]]
    assert {r.workflow for r in failed} == {"bad"}
    finished = store.list_runs(status=["completed", "failed"], workflow="mixed")
    assert [r.run_id for r in finished] == [history[3]]
    assert store.list_runs(workflow="nope") == ()


def test_runs_are_filtered_by_time_and_limited(store: RunStore, history: list[str]) -> None:
    runs = {r.run_id: r for r in store.list_runs()}
    third = runs[history[2]].started_at
    fifth = runs[history[4]].started_at
    between = store.list_runs(since=third, until=fifth)
    assert [r.run_id for r in between] == [history[3], history[2]]
    # Between two runs' starts: a datetime is rounded to microseconds.
    second = runs[history[1]].started_at
    as_datetime = store.list_runs(since=dt.datetime.fromtimestamp((second + third) / 2, dt.UTC))
    assert [r.run_id for r in as_datetime] == history[:1:-1]
    assert [r.run_id for r in store.list_runs(limit=2)] == history[:3:-1]


def test_stats_count_runs_success_rate_and_mean_execution_time(
    store: RunStore, history: list[str]
) -> None:
    stats = store.stats()
    runs = store.list_runs()
    completed = [r for r in runs if r.status == "completed"]

    assert stats.runs_total == 6
    assert stats.runs_today == 6
    assert stats.by_status == {"completed": 4, "failed": 2}
    assert stats.success_rate == pytest.approx(4 / 6)
    assert stats.mean_execution_time_s == pytest.approx(
        sum(r.execution_time_s or 0.0 for r in completed) / len(completed)
    )


def test_stats_give_each_agent_its_executions_and_success_rate(
    store: RunStore, history: list[str]
) -> None:
    agents = {a.agent: a for a in store.stats().agents}
    assert set(agents) == {"returns", "fails"}
    assert (agents["returns"].executions, agents["returns"].succeeded) == (4, 4)
    assert agents["returns"].success_rate == 1.0
    assert (agents["fails"].executions, agents["fails"].succeeded) == (3, 0)
    assert agents["fails"].success_rate == 0.0
    assert agents["returns"].mean_duration_s is not None


def test_runs_today_count_only_runs_since_local_midnight(
    store: RunStore, history: list[str]
) -> None:
    tomorrow = dt.datetime.now().astimezone() + dt.timedelta(days=1)
    stats = store.stats(now=tomorrow)
    assert stats.runs_today == 0
    assert stats.runs_total == 6


def test_stats_of_a_window_with_no_finished_runs_have_no_rates(
    store: RunStore, history: list[str]
) -> None:
    later = dt.datetime.now().astimezone() + dt.timedelta(hours=1)
    stats = store.stats(since=later)
    assert stats.runs_total == 0
    assert stats.success_rate is None
    assert stats.mean_execution_time_s is None
    assert stats.agents == ()


def test_an_unknown_run_is_none_and_an_unknown_output_a_key_error(store: RunStore) -> None:
    assert store.get_run("nope") is None
    with pytest.raises(KeyError, match="nope"):
        store.stage_output("nope", "a")
    with pytest.raises(KeyError, match="nope"):
        store.run_input("nope")


def test_new_run_ids_start_with_wf(history: list[str]) -> None:
    assert all(re.fullmatch(r"wf_[0-9a-f]{32}", run_id) for run_id in history)


def test_runs_are_found_by_a_prefix_of_their_id_old_and_new(
    recorded: Runtime, store: RunStore
) -> None:
    old = "0f8c2b4e" + "0" * 24  # a 32-hex id of a run recorded before ids began with wf_
    for run_id in (old, "wf_aaaa1111", "wf_aaaa2222", "wf_b"):
        recorded.submit(OK, run_id=run_id).result(timeout=10)
    store.flush()

    assert store.run_ids("0f8c") == (old,)
    assert store.run_ids(old) == (old,)
    assert store.run_ids("wf_aaaa") == ("wf_aaaa1111", "wf_aaaa2222")
    assert store.run_ids("wf_aaaa", limit=1) == ("wf_aaaa1111",)
    # "_" is a LIKE wildcard: the prefix is matched literally, not as a pattern.
    assert store.run_ids("wf_") == ("wf_aaaa1111", "wf_aaaa2222", "wf_b")
    assert store.run_ids("wfx") == ()
    assert store.run_ids("x") == ()
    listed = store.list_runs(id_prefix="wf_aaaa")
    assert [r.run_id for r in listed] == ["wf_aaaa2222", "wf_aaaa1111"]
    assert store.count_runs(id_prefix="wf_aaaa") == 2


def test_runs_are_counted_and_paged_with_the_lists_filters(
    store: RunStore, history: list[str]
) -> None:
    assert store.count_runs() == 6
    assert store.count_runs(status="failed") == 2
    assert store.count_runs(workflow="ok") == 3
    pages = [store.list_runs(limit=4, offset=offset) for offset in (0, 4, 8)]
    assert [[r.run_id for r in page] for page in pages] == [history[:1:-1], history[1::-1], []]
