"""Every scheduling rule of DESIGN.md as an invariant over random workflows.

Random DAGs (shapes, sequential or parallel, groups, required or optional, retries) whose
stages follow random scripts (success, I/O errors, validation errors, hangs that time
out, actor crashes), sometimes cancelled mid-run, run on a real runtime; the events and
the result must satisfy every rule whatever the interleaving.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow import Runtime
from actorflow.contracts import (
    Event,
    RunFinished,
    RunResult,
    StageFinished,
    StageRetrying,
    StageStarted,
    WorkflowSpec,
    workflow_problems,
)
from tests.scripted_agents import Scripted

STEPS = ["ok", "slow", "slow", "io", "value", "hang", "crash"]


@st.composite
def workflows(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 6))
    parallel = draw(st.booleans())
    stages: list[dict[str, Any]] = []
    group_start: dict[str, int] = {}
    for i in range(n):
        group = draw(st.sampled_from([None, None, "g1", "g2", "g2"]))
        if group is not None:
            group_start.setdefault(group, i)
        earlier = [f"s{j}" for j in range(i)]
        deps = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3)) if earlier else []
        if group is not None:
            # A group runs together: no dependency inside it, and (sequentially) none on a
            # stage declared after the group started.
            members = {s["name"] for s in stages if s.get("parallel_group") == group}
            limit = i if parallel else group_start[group]
            deps = [d for d in deps if d not in members and int(d[1:]) < limit]
        script = draw(st.lists(st.sampled_from(STEPS), min_size=1, max_size=3))
        stages.append(
            {
                "name": f"s{i}",
                "agent": "s",
                "depends_on": deps,
                "parallel_group": group,
                "required": draw(st.booleans()),
                "retries": draw(st.integers(0, 2)),
                "retry_backoff_s": 0.001,
                "retry_backoff_max_s": 0.002,
                "timeout_s": 0.05 if "hang" in script else 10.0,
                "params": {"script": script},
            }
        )
    return {"name": "prop", "parallel": parallel, "stages": stages}


def predicted(script: list[str], retries: int) -> tuple[str, int]:
    """What a stage that runs to its end must end as, and after how many attempts."""
    for attempt in range(1, retries + 2):
        step = script[min(attempt, len(script)) - 1]
        if step in ("ok", "slow"):
            return "succeeded", attempt
        if step == "value":
            return "failed", attempt
    last = script[min(retries + 1, len(script)) - 1]
    return ("timed_out" if last == "hang" else "failed"), retries + 1


def steps_of(spec: WorkflowSpec) -> dict[str, int]:
    step: dict[str, int] = {}
    group_step: dict[str, int] = {}
    count = 0
    for stage in spec.stages:
        group = stage.parallel_group
        if group is not None and group in group_step:
            step[stage.name] = group_step[group]
            continue
        if group is not None:
            group_step[group] = count
        step[stage.name] = count
        count += 1
    return step


def run_once(
    raw: dict[str, Any], cancel_at: int | None, runtime: Runtime | None = None
) -> tuple[WorkflowSpec, list[Event], RunResult, bool]:
    """Run ``raw`` on a new runtime, or on ``runtime`` (which has agent ``s`` with at
    least as many actors as the workflow has stages); cancel it once ``cancel_at``
    attempts started."""
    spec = msgspec.convert(raw, WorkflowSpec)
    assert not workflow_problems(spec, agents={"s"}), workflow_problems(spec)
    events: list[Event] = []
    finished = threading.Event()
    cancelled = threading.Event()
    with contextlib.ExitStack() as stack:
        if runtime is None:
            rt = stack.enter_context(Runtime())
            rt.register_agent("s", Scripted, concurrency=len(spec.stages), max_restarts=1000)
        else:
            rt = runtime
        run_id = f"run-{uuid.uuid4().hex}"

        def listen(event: Event) -> None:
            events.append(event)
            started = sum(isinstance(e, StageStarted) for e in events)
            if cancel_at is not None and started == cancel_at and not cancelled.is_set():
                cancelled.set()
                rt.cancel(run_id, "property test cancel")
            if isinstance(event, RunFinished):
                finished.set()

        _, close = rt.hub.subscribe(run_id, listen)
        result = rt.submit(spec, run_id=run_id).result(30)
        assert finished.wait(10)
        close()
    return spec, events, result, cancelled.is_set()


@settings(max_examples=60)
@given(raw=workflows(), cancel_at=st.none() | st.integers(1, 4))
def test_scheduling_rules_hold_on_random_workflows(
    raw: dict[str, Any], cancel_at: int | None
) -> None:
    assert_scheduling_rules(*run_once(raw, cancel_at))


def assert_scheduling_rules(
    spec: WorkflowSpec, events: list[Event], result: RunResult, cancel_requested: bool
) -> None:
    """Every rule of DESIGN.md, checked on one run's events and result."""
    by_name = {s.name: s for s in spec.stages}

    # Rule 5: one terminal event, last; sequence and progress only move forward.
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert sum(isinstance(e, RunFinished) for e in events) == 1
    assert isinstance(events[-1], RunFinished)
    progress = [e.progress for e in events]
    assert progress == sorted(progress)
    assert (progress[-1] == 100) == (result.status == "completed")
    assert all(p < 100 for p in progress[:-1])

    finished_at: dict[str, int] = {}
    open_attempts: set[str] = set()
    step = steps_of(spec)
    first_finish = next(
        (i for i, e in enumerate(events) if isinstance(e, StageFinished)), len(events)
    )
    for index, event in enumerate(events):
        if isinstance(event, StageStarted):
            stage = by_name[event.stage]
            # Rule 1: dependencies are terminal, and required ones succeeded.
            for dep in stage.depends_on:
                assert dep in finished_at, f"{stage.name} started before {dep} finished"
                dep_status = result.outcome(dep).status
                assert dep_status == "succeeded" or not by_name[dep].required
            # Rule 2: sequentially, one step at a time; in parallel, roots start at once.
            if not spec.parallel:
                assert all(step[other] == step[stage.name] for other in open_attempts)
                assert all(s in finished_at for s, k in step.items() if k < step[stage.name])
            elif not stage.depends_on and event.attempt == 1:
                assert index < first_finish
            open_attempts.add(event.stage)
        elif isinstance(event, StageRetrying):
            open_attempts.discard(event.stage)
        elif isinstance(event, StageFinished):
            assert event.stage not in finished_at, f"{event.stage} finished twice"
            finished_at[event.stage] = index
            open_attempts.discard(event.stage)
            # Rule 3: after a required failure nothing new starts.
            if (
                event.status not in ("succeeded", "cancelled", "skipped")
                and by_name[event.stage].required
            ):
                assert not any(isinstance(e, StageStarted) for e in events[index + 1 :])

    # Every stage ends in exactly one terminal state, the one its events announced.
    assert set(finished_at) == set(by_name)
    for event in events:
        if isinstance(event, StageFinished):
            assert result.outcome(event.stage).status == event.status

    for stage in spec.stages:
        outcome = result.outcome(stage.name)
        starts = sum(isinstance(e, StageStarted) and e.stage == stage.name for e in events)
        if outcome.status in ("succeeded", "failed", "timed_out"):
            # Rules 3-4: retries only for retryable errors, timeouts retried, then final.
            assert (outcome.status, outcome.attempts) == predicted(
                list(stage.params["script"]), stage.retries
            )
            assert starts == outcome.attempts
        else:
            assert result.status != "completed"
            if outcome.status == "skipped":
                assert starts == 0

    required_failed = any(
        result.outcome(s.name).status in ("failed", "timed_out") and s.required for s in spec.stages
    )
    if result.status == "completed":
        assert all(
            result.outcome(s.name).status == "succeeded" or not s.required for s in spec.stages
        )
        # Optional failures let their dependents run.
        assert all(result.outcome(s.name).status != "skipped" for s in spec.stages)
    elif result.status == "failed":
        assert required_failed
    else:
        assert result.status == "cancelled"
        assert cancel_requested
    assert set(result.completed_stages) == {
        s.name for s in spec.stages if result.outcome(s.name).status == "succeeded"
    }
