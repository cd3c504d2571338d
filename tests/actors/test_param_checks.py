"""Agents check their stages' params before a run starts (``Agent.check_params``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from actorflow import Agent, Runtime, StageRequest, WorkflowValidationError, signals
from actorflow.contracts import Problem, load_workflow


class Sized(Agent):
    """Needs ``params.size``, a positive whole number."""

    made: ClassVar[int] = 0
    set_up: ClassVar[int] = 0

    def __init__(self) -> None:
        type(self).made += 1

    def setup(self) -> None:
        type(self).set_up += 1

    def check_params(self, params: Mapping[str, Any], *, stage: str) -> None:
        size = params.get("size")
        if not isinstance(size, int) or size < 1:
            raise WorkflowValidationError(
                [Problem(message=f"must be a positive whole number, got {size!r}",
                         field="params.size")]
            )  # fmt: skip

    def perform(self, request: StageRequest) -> Any:
        return request.params["size"] * 2


class Picky(Agent):
    """Refuses any params with a plain ValueError."""

    def check_params(self, params: Mapping[str, Any], *, stage: str) -> None:
        if params:
            raise ValueError(f"takes no params, got {sorted(params)}")

    def perform(self, request: StageRequest) -> Any:
        return "ok"


class Lenient(Agent):
    def perform(self, request: StageRequest) -> Any:
        return dict(request.params)


def _wf(*stages: dict[str, Any]) -> dict[str, Any]:
    return {"name": "wf", "stages": list(stages)}


def test_bad_params_are_refused_at_submit_naming_stage_and_field(runtime: Runtime) -> None:
    runtime.register_agent("sized", Sized)
    runtime.register_agent("picky", Picky)
    started: list[str] = []

    def on_start(run_id: str, **_: Any) -> None:
        started.append(run_id)

    signals.run_started.connect(on_start)
    try:
        with pytest.raises(WorkflowValidationError) as refused:
            runtime.submit(
                _wf(
                    {"name": "a", "agent": "sized", "params": {"size": 0}},
                    {"name": "b", "agent": "picky", "params": {"x": 1}},
                    {"name": "c", "agent": "sized", "params": {"size": 3}},
                )
            )
    finally:
        signals.run_started.disconnect(on_start)
    problems = {(p.stage, p.field, p.message) for p in refused.value.problems}
    assert problems == {
        ("a", "params.size", "must be a positive whole number, got 0"),
        ("b", "params", "takes no params, got ['x']"),
    }
    assert started == []  # refused before anything ran


def test_good_params_run_and_the_checking_instance_is_never_set_up(runtime: Runtime) -> None:
    Sized.made = Sized.set_up = 0
    runtime.register_agent("sized", Sized, concurrency=2)
    result = runtime.run(_wf({"name": "a", "agent": "sized", "params": {"size": 4}}), timeout=10)
    assert result.output("a") == 8
    assert Sized.made == 3  # two actors, and the one that checks params
    assert Sized.set_up <= 2


def test_validate_checks_params_too(runtime: Runtime) -> None:
    runtime.register_agent("sized", Sized)
    with pytest.raises(WorkflowValidationError, match=r"stage 'a', field 'params\.size'"):
        runtime.validate(_wf({"name": "a", "agent": "sized", "params": {"size": "big"}}))


def test_an_agent_without_checks_takes_any_params(runtime: Runtime) -> None:
    runtime.register_agent("lenient", Lenient)
    result = runtime.run(_wf({"name": "a", "agent": "lenient", "params": {"any": [1]}}))
    assert result.ok


def test_a_validated_spec_is_checked_again_once_its_agent_is_replaced(runtime: Runtime) -> None:
    runtime.register_agent("x", Lenient)
    spec = load_workflow(_wf({"name": "a", "agent": "x", "params": {"size": 0}}))
    assert runtime.validate(spec) is spec
    runtime.register_agent("x", Sized)
    with pytest.raises(WorkflowValidationError, match="must be a positive whole number"):
        runtime.validate(spec)
