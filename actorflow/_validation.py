"""Workflow validation for a runtime: against its registered agents (each checking its
stages' params), cached per spec, and the checks of ``resume_from`` and ``keep_outputs``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from actorflow.actors import Agent
from actorflow.contracts import (
    STAGE_TERMINAL,
    FrozenMap,
    Problem,
    StageOutcome,
    WorkflowSpec,
    WorkflowValidationError,
    every_problem,
    freeze,
    load_workflow,
    too_deep,
)

from ._param_checks import check_params, stage_param_problems

WorkflowSource = WorkflowSpec | str | Path | Mapping[str, Any]


class Validator:
    """What a runtime validates workflows against: its agents' names and param checkers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._agents: frozenset[str] = frozenset()
        # Agents that check their stages' params (Agent.check_params), by name.
        self._checkers: dict[str, Agent] = {}
        # Agents that declare ``cacheable = False``: their stages cannot be cached.
        self._uncacheable: frozenset[str] = frozenset()
        # Bumped by every registration: a validation holds for one set of agents.
        self._registrations = 0
        # id(spec) -> (spec, registrations it was validated under); the spec is held so
        # that its id cannot be reused by another object.
        self._validated: dict[int, tuple[WorkflowSpec, int]] = {}

    @property
    def agents(self) -> frozenset[str]:
        with self._lock:
            return self._agents

    def registered(self, name: str, checker: Agent | None, *, cacheable: bool = True) -> None:
        """Agent ``name`` was (re)registered; ``checker`` checks its stages' params;
        ``cacheable``: its stages may be cached."""
        with self._lock:
            self._agents = self._agents | {name}
            if cacheable:
                self._uncacheable = self._uncacheable - {name}
            else:
                self._uncacheable = self._uncacheable | {name}
            self._registrations += 1
            if checker is None:
                self._checkers.pop(name, None)
            else:
                self._checkers[name] = checker

    def validate(self, workflow: WorkflowSource) -> WorkflowSpec:
        """Load (if needed) and validate a workflow against the registered agents, each
        of which also checks its stages' params (``Agent.check_params``).

        Raises:
            WorkflowValidationError: naming the stages and fields at fault.
        """
        if not isinstance(workflow, WorkflowSpec):
            with self._lock:
                agents, checkers = self._agents, dict(self._checkers)
            origin = str(workflow) if isinstance(workflow, (str, Path)) else None
            try:
                spec = load_workflow(workflow, agents=agents)
            except WorkflowValidationError as exc:
                # Loading stops at the first broken part; the diagnosis goes on.
                raise _diagnosed(exc, workflow, agents, checkers, origin) from None
            check_params(spec, checkers, source=origin)
            self._check_cache(spec, origin)
            return spec
        # Services submit the same spec object over and over; a spec is immutable, so
        # its validation holds until an agent is registered.
        key = id(workflow)
        with self._lock:
            cached = self._validated.get(key)
            registrations = self._registrations
            agents, checkers = self._agents, dict(self._checkers)
        if cached is not None and cached[0] is workflow and cached[1] == registrations:
            return workflow
        load_workflow(workflow, agents=agents)
        check_params(workflow, checkers)
        self._check_cache(workflow, None)
        with self._lock:
            if len(self._validated) >= 256:
                self._validated.pop(next(iter(self._validated)))
            self._validated[key] = (workflow, registrations)
        return workflow

    def _check_cache(self, spec: WorkflowSpec, origin: str | None) -> None:
        """Refuse ``cache`` on the stages of agents that declare ``cacheable = False``."""
        with self._lock:
            uncacheable = self._uncacheable
        problems = [
            Problem(
                stage=stage.name,
                field="cache_ttl_s" if not stage.cache else "cache",
                message=f"agent {stage.agent!r} declares that its output may differ for the "
                "same request (cacheable = False): its stages cannot be cached",
            )
            for stage in spec.stages
            if stage.cached and stage.agent in uncacheable
        ]
        if problems:
            raise WorkflowValidationError(problems, source=origin)


def _diagnosed(
    error: WorkflowValidationError,
    workflow: str | Path | Mapping[str, Any],
    agents: frozenset[str],
    checkers: Mapping[str, Agent],
    origin: str | None,
) -> WorkflowValidationError:
    """``error`` with every problem of the document (in file order), when it can be read."""
    raw = workflow_document(workflow)
    if raw is None:
        return error  # not a readable document: the loader's error is the whole story
    problems = every_problem(
        raw, agents=agents, check_stage=lambda stage: stage_param_problems(stage, checkers)
    )
    return WorkflowValidationError(problems, source=origin) if problems else error


def workflow_document(workflow: str | Path | Mapping[str, Any]) -> dict[str, Any] | None:
    """The workflow's decoded top-level table, or ``None`` when it cannot be read (the
    loader then says why)."""
    if isinstance(workflow, Mapping):
        return dict(workflow)
    path = Path(workflow)
    decoders: dict[str, Callable[[bytes], Any]] = {
        ".toml": msgspec.toml.decode,
        ".json": msgspec.json.decode,
    }
    decode = decoders.get(path.suffix.lower())
    if decode is None:
        return None
    try:
        raw = decode(path.read_bytes())
    except (OSError, msgspec.DecodeError, RecursionError):
        return None
    return raw if isinstance(raw, dict) and too_deep(raw) is None else None


def _unknown_stages(spec: WorkflowSpec, names: Iterable[str], *, field: str) -> list[Problem]:
    """A problem for each of ``names`` that is not a stage of ``spec``."""
    stages = {stage.name for stage in spec.stages}
    return [
        Problem(stage=name, field=field, message="the workflow has no such stage")
        for name in names
        if name not in stages
    ]


def check_resume(spec: WorkflowSpec, resume_from: Mapping[str, StageOutcome]) -> FrozenMap:
    """Outcomes a resumed run may start from: terminal, of its stages, closed under deps.

    Raises:
        WorkflowValidationError: naming each stage whose outcome cannot be reused.
    """
    problems = _unknown_stages(spec, resume_from, field="resume_from")
    for stage in spec.stages:
        outcome = resume_from.get(stage.name)
        if outcome is None:
            continue
        if outcome.stage != stage.name or outcome.status not in STAGE_TERMINAL:
            message = (
                "expected a terminal outcome of this stage, "
                f"got one of stage {outcome.stage!r} {outcome.status}"
            )
        elif stage.required and not outcome.succeeded:
            message = f"a required stage that {outcome.status} would have failed the run"
        elif missing := [dep for dep in stage.depends_on if dep not in resume_from]:
            message = f"its dependencies {missing} have no outcome to resume from"
        else:
            continue
        problems.append(Problem(stage=stage.name, field="resume_from", message=message))
    if problems:
        raise WorkflowValidationError(problems, source=f"resume of workflow {spec.name!r}")
    # Outputs cross into agents like any other, so they are frozen like any other.
    return FrozenMap(
        {
            name: msgspec.structs.replace(o, output=freeze(o.output, where=f"{name}.output"))
            for name, o in resume_from.items()
        }
    )


def check_keep(spec: WorkflowSpec, keep_outputs: Collection[str]) -> frozenset[str]:
    """``keep_outputs`` as a set of the workflow's stage names.

    Raises:
        WorkflowValidationError: naming each name that is not a stage of the workflow.
    """
    if isinstance(keep_outputs, str):
        keep_outputs = (keep_outputs,)  # one name, not its letters
    problems = _unknown_stages(spec, keep_outputs, field="keep_outputs")
    if problems:
        raise WorkflowValidationError(problems, source=f"run of workflow {spec.name!r}")
    return frozenset(keep_outputs)
