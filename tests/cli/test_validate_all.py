"""``actorflow validate`` reports every problem of a file in one pass, in file order, and
agents' own ``check_params`` may raise ``WorkflowValidationError`` with a message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from actorflow import Problem, Runtime, WorkflowValidationError
from tests.cli.cli_agents import Threshold

Invoke = Callable[..., Result]
WriteWorkflow = Callable[..., Path]
AGENTS = "tests.cli.cli_agents:register"

# Five problems: a stage's field of the wrong type (structure), an unknown agent, a
# dependency on no stage, and two params problems found by the agent's own check.
BAD = """
name = "bad"

[[stages]]
name = "first"
agent = "threshold"
retries = "twice"
params = { limit = "ten" }

[[stages]]
name = "second"
agent = "nobody"

[[stages]]
name = "third"
agent = "threshold"
depends_on = ["ghost"]
params = { limit = 3, unit = "k", scale = 2 }
"""


def test_validate_reports_every_problem_of_a_file_in_file_order(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    result = invoke("validate", str(write_workflow(BAD)), "--agents", AGENTS)

    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert "Traceback" not in result.output
    expected = [
        ("stage 'first'", "field 'retries'", "Expected `int`"),
        ("stage 'first'", "field 'params.limit'", "must be a whole number"),
        ("stage 'second'", "field 'agent'", "unknown agent 'nobody'"),
        ("stage 'third'", "field 'depends_on'", "unknown stage 'ghost'"),
        ("stage 'third'", "field 'params.unit'", "not both"),
        ("stage 'third'", "field 'params.scale'", "not both"),
    ]
    assert len(lines) == len(expected) + 1, lines
    for line, fragments in zip(lines, expected, strict=False):
        assert all(fragment in line for fragment in fragments), (line, fragments)
    assert lines[-1] == "invalid: 6 problems"


def test_a_message_from_check_params_is_one_problem_naming_stage_and_field() -> None:
    with Runtime() as runtime:
        runtime.register_agent("threshold", Threshold)
        with pytest.raises(WorkflowValidationError) as caught:
            runtime.validate(
                {"name": "w", "stages": [{"name": "s", "agent": "threshold", "params": {}}]}
            )
    assert caught.value.problems == (
        Problem(stage="s", field="params.limit", message="must be a whole number"),
    )


def test_the_error_takes_a_message_a_problem_or_problems_and_nothing_else() -> None:
    assert WorkflowValidationError("bad").problems == (Problem(message="bad"),)
    one = Problem(message="bad", field="x")
    assert WorkflowValidationError(one).problems == (one,)
    assert WorkflowValidationError([one, one]).problems == (one, one)
    with pytest.raises(TypeError, match="a message or Problem objects"):
        WorkflowValidationError(["bad"])  # type: ignore[list-item]


def test_a_problem_both_the_workflow_and_its_agent_find_is_reported_once(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    # The workflow's validation checks params.contract, and so does the processor.
    workflow = write_workflow(
        """
name = "sales"

[[stages]]
name = "process"
agent = "processor"

[[stages.params.contract.fields]]
name = "amount"
type = "moneyy"
"""
    )
    result = invoke("validate", str(workflow))

    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2, lines
    assert "field 'params.contract.fields[0].type'" in lines[0]
    assert lines[-1] == "invalid: 1 problem"
