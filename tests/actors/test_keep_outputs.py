"""``keep_outputs``: a run lets go of the outputs no stage needs any more."""

from __future__ import annotations

import gc
import weakref
from typing import Any, ClassVar

import msgspec
import pytest

from actorflow import (
    Agent,
    OutputReleasedError,
    Runtime,
    StageRequest,
    WorkflowValidationError,
)

CHAIN = {
    "name": "chain",
    "stages": [
        {"name": "a", "agent": "table"},
        {"name": "b", "agent": "count", "depends_on": ["a"], "retries": 2,
         "retry_backoff_s": 0.001},
        {"name": "c", "agent": "probe", "depends_on": ["b"]},
    ],
}  # fmt: skip


class Table(msgspec.Struct, frozen=True, weakref=True):
    """An output that can be watched: a later stage can tell whether it is gone."""

    values: tuple[int, ...]


class MakeTable(Agent):
    """Makes a table and remembers it weakly."""

    made: ClassVar[list[weakref.ref[Table]]] = []

    def perform(self, request: StageRequest) -> Any:
        table = Table(tuple(range(1000)))
        type(self).made.append(weakref.ref(table))
        return table


class Count(Agent):
    """Counts the table's rows; fails its first attempt when the input says so (a retry
    reads the table again)."""

    def perform(self, request: StageRequest) -> Any:
        if request.input.get("fail_first") and request.attempt == 1:
            raise OSError("flaky disk")
        return len(request.output("a").values)


class Probe(Agent):
    """Says whether stage a's table is still alive somewhere."""

    def perform(self, request: StageRequest) -> Any:
        gc.collect()
        return {"a_alive": MakeTable.made[-1]() is not None, "count": request.output("b")}


@pytest.fixture
def chain_runtime(runtime: Runtime) -> Runtime:
    runtime.register_agent("table", MakeTable)
    runtime.register_agent("count", Count)
    runtime.register_agent("probe", Probe)
    return runtime


def test_by_default_every_output_stays_in_the_result(chain_runtime: Runtime) -> None:
    result = chain_runtime.run(CHAIN, timeout=10)
    assert len(result.output("a").values) == 1000
    assert result.output("c")["a_alive"] is True


def test_an_output_no_stage_needs_is_let_go_during_the_run(chain_runtime: Runtime) -> None:
    result = chain_runtime.run(CHAIN, timeout=10, keep_outputs=["c"])
    assert result.ok
    assert result.output("c") == {"a_alive": False, "count": 1000}  # gone before c ran
    assert result.outcome("a").output_released
    assert result.outcome("b").output_released
    assert not result.outcome("c").output_released
    with pytest.raises(OutputReleasedError, match=r"stage 'a'.*keep_outputs"):
        result.output("a")


def test_an_output_stays_while_a_dependent_may_retry(chain_runtime: Runtime) -> None:
    result = chain_runtime.run(CHAIN, {"fail_first": True}, timeout=10, keep_outputs=["b"])
    assert result.ok, result.error
    assert result.outcome("b").attempts == 2
    assert result.output("b") == 1000  # the retry read a's table again


def test_keep_outputs_must_name_stages_of_the_workflow(chain_runtime: Runtime) -> None:
    with pytest.raises(WorkflowValidationError, match="stage 'z', field 'keep_outputs'"):
        chain_runtime.submit(CHAIN, keep_outputs=["c", "z"])


def test_one_name_is_one_stage_not_its_letters(chain_runtime: Runtime) -> None:
    result = chain_runtime.run(CHAIN, timeout=10, keep_outputs="c")
    assert result.output("c")["count"] == 1000
