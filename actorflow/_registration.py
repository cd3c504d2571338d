"""What a runtime learns of an agent when it is registered: its class, its description."""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable
from typing import Any

from actorflow.actors import Agent, AgentInfo


def agent_class(agent: Callable[[], Agent]) -> type:
    """The class behind an agent factory, without calling it when that can be avoided."""
    target: Any = agent
    while isinstance(target, functools.partial):
        target = target.func
    if isinstance(target, type):
        return target
    return type(agent())


def agent_version(cls: type) -> str:
    """What a stage's cache key says of its agent: the class's declared ``version``, else
    a digest of its source (editing the class makes a new version), else (no source, as
    for a class made at run time) its qualified name."""
    declared = getattr(cls, "version", None)
    if declared is not None:
        return str(declared)
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return f"{cls.__module__}.{cls.__qualname__}"
    return "src:" + hashlib.sha256(source.encode()).hexdigest()[:16]


def agent_info(name: str, probe_cls: type, *, concurrency: int, backend: str) -> AgentInfo:
    """The agent kind ``name`` as the CLI, the API and the dashboard show it."""
    perform = getattr(probe_cls, "perform", None)
    return AgentInfo(
        name=name,
        role=getattr(probe_cls, "role", "") or name,
        description=getattr(probe_cls, "description", "") or (probe_cls.__doc__ or "").strip(),
        expertise=tuple(getattr(probe_cls, "expertise", ())),
        concurrency=concurrency,
        is_async=inspect.iscoroutinefunction(perform),
        backend=backend,
        model=_model_of(probe_cls),
    )


def _model_of(probe_cls: type) -> str | None:
    """The agent's chat model (``Agent.model_name``); a class that fails to say has none."""
    model_name = getattr(probe_cls, "model_name", None)
    if model_name is None:
        return None
    try:
        found = model_name()
    except Exception:  # noqa: BLE001 - the agent's own code: describing it must not fail
        return None
    return found if isinstance(found, str) and found else None
