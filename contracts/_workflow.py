"""Workflow and stage specifications: what to run, in which order, with which limits."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from ._freeze import FrozenMap, freeze

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")


class StageSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One step of a workflow, performed by one agent.

    Attributes:
        name: unique within the workflow.
        agent: the agent kind that performs it (``extractor``, ``processor``, ...).
        task: free text handed to the agent (some agents derive operations from it).
        depends_on: names of stages whose outcomes this stage receives.
        parallel_group: stages sharing a group run together in a sequential workflow.
        required: a required stage that fails fails the run; an optional one does not.
        timeout_s: limit of one attempt, in seconds; ``None`` for no limit.
        retries: attempts after the first, for retryable errors only.
        retry_backoff_s: first retry delay; it doubles on each retry, with jitter.
        retry_backoff_max_s: upper bound of one retry delay.
        params: agent-specific settings, deeply frozen.
        cache: reuse a stored output of this stage when nothing it depends on changed
            (its agent and version, task, params, the run input and its dependencies'
            outputs); refused for an agent that declares ``cacheable = False``.
        cache_ttl_s: how long a cached output may be reused, in seconds; setting it
            turns ``cache`` on. ``None``: for as long as the output is stored.
    """

    name: str
    agent: str
    task: str = ""
    depends_on: tuple[str, ...] = ()
    parallel_group: str | None = None
    required: bool = True
    timeout_s: float | None = 300.0
    retries: int = 0
    retry_backoff_s: float = 1.0
    retry_backoff_max_s: float = 60.0
    # Declared as a dict so plain msgspec decoding works without hooks; the value is
    # always a FrozenMap (a read-only dict subclass) once constructed.
    params: dict[str, Any] = msgspec.field(default_factory=FrozenMap)
    cache: bool = False
    cache_ttl_s: float | None = None

    @property
    def cached(self) -> bool:
        """Whether the stage opted in to caching (``cache`` or ``cache_ttl_s``)."""
        return self.cache or self.cache_ttl_s is not None

    def __post_init__(self) -> None:
        deps: object = self.depends_on  # callers may pass a list despite the annotation
        if not isinstance(deps, tuple):
            msgspec.structs.force_setattr(self, "depends_on", tuple(self.depends_on))
        frozen = freeze(self.params, where="params")
        if frozen is not self.params:
            msgspec.structs.force_setattr(self, "params", frozen)


class WorkflowSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named DAG of stages.

    Attributes:
        name: the workflow's name.
        stages: in declaration order; the order sequential workflows follow.
        parallel: start every ready stage at once instead of one step at a time.
        timeout_s: limit of the whole run, in seconds; ``None`` for no limit.
        description: free text for people.
    """

    name: str
    stages: tuple[StageSpec, ...]
    parallel: bool = False
    timeout_s: float | None = None
    description: str = ""

    def __post_init__(self) -> None:
        stages: object = self.stages  # callers may pass a list despite the annotation
        if not isinstance(stages, tuple):
            msgspec.structs.force_setattr(self, "stages", tuple(self.stages))

    def stage(self, name: str) -> StageSpec:
        """Return the stage called ``name``.

        Raises:
            KeyError: no such stage.
        """
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"workflow {self.name!r} has no stage {name!r}")


def dec_hook(tp: type, obj: Any) -> Any:
    """msgspec decoding hook for our own immutable containers."""
    if tp is FrozenMap:
        if not isinstance(obj, dict):
            raise TypeError(f"Expected `object`, got `{type(obj).__name__}`")
        return freeze(obj)
    raise NotImplementedError(f"cannot decode {tp!r}")


def name_is_valid(name: str) -> bool:
    """Stage, agent and workflow names: a letter or ``_`` first, then ``[A-Za-z0-9_.-]``."""
    return bool(_NAME.match(name))
