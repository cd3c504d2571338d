"""Stage params checked by their agents before a run starts (``Agent.check_params``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from actorflow.actors import Agent
from actorflow.bus import get_logger
from actorflow.contracts import Problem, StageSpec, WorkflowSpec, WorkflowValidationError

_log = get_logger("runtime")


def param_checker(name: str, agent: Callable[[], Agent], agent_class: type) -> Agent | None:
    """An instance of the agent to check params with, if its class checks any.

    The instance is only made when the class overrides ``check_params``, and it is never
    set up. A factory that fails here is not refused: its actors will report the same
    failure when they start, where agent failures are handled.
    """
    if getattr(agent_class, "check_params", None) is Agent.check_params:
        return None
    try:
        return agent()
    except Exception as exc:  # noqa: BLE001 - reported by the pool, see above
        _log.warning(
            "agent could not be made to check params; its stages' params go unchecked",
            agent=name,
            error=repr(exc),
        )
        return None


def check_params(
    spec: WorkflowSpec, checkers: Mapping[str, Agent], *, source: str | None = None
) -> None:
    """Ask each stage's agent about the stage's params.

    Args:
        spec: the workflow, valid in every other way.
        checkers: the agents that check params, by agent name.
        source: where the workflow came from (its file), for the error.

    Raises:
        WorkflowValidationError: every problem found, each naming its stage.
    """
    problems = [p for stage in spec.stages for p in stage_param_problems(stage, checkers)]
    if problems:
        raise WorkflowValidationError(problems, source=source)


def stage_param_problems(stage: StageSpec, checkers: Mapping[str, Agent]) -> list[Problem]:
    """The problems the stage's agent finds with its params, each naming the stage."""
    checker = checkers.get(stage.agent)
    if checker is None:
        return []
    try:
        checker.check_params(stage.params, stage=stage.name)
    except WorkflowValidationError as exc:
        return [
            p
            if p.stage is not None
            else Problem(message=p.message, stage=stage.name, field=p.field, source=p.source)
            for p in exc.problems
        ]
    except (ValueError, TypeError) as exc:
        return [Problem(message=str(exc), stage=stage.name, field="params")]
    return []
