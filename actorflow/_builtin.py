"""The built-in agents the shell registers: ``extractor``, ``processor``, ``insights``.

The CLI and the web service call :func:`register_builtin_agents` on their runtime so
that workflows can name these agents without any set-up. An embedding service registers
what it needs itself.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from actorflow.bus import get_logger

from ._runtime import Runtime

__all__ = ["BUILTIN_AGENTS", "BuiltinAgent", "register_builtin_agents"]

_log = get_logger("builtin")


@dataclass(frozen=True, slots=True)
class BuiltinAgent:
    """Where a built-in agent lives and how many actors it gets.

    Attributes:
        name: the name stages use (``agent = "extractor"``).
        module: the module defining it, imported only when registering.
        attribute: the ``Agent`` subclass in that module.
        concurrency: actors in its pool.
    """

    name: str
    module: str
    attribute: str
    concurrency: int


# The extractor waits on I/O most of the time, so more actors than cores pay off; the
# processor and the insights agent are CPU-bound polars work that already uses every core.
BUILTIN_AGENTS: tuple[BuiltinAgent, ...] = (
    BuiltinAgent("extractor", "actorflow.agents.extraction", "ExtractionAgent", 4),
    BuiltinAgent("processor", "actorflow.agents.processing", "ProcessingAgent", 2),
    BuiltinAgent("insights", "actorflow.agents.insights", "InsightsAgent", 1),
)


def register_builtin_agents(runtime: Runtime) -> tuple[str, ...]:
    """Register every built-in agent whose module is installed.

    An agent whose module is not there (a trimmed install, or one not written yet) is
    skipped with a debug log line; one whose module fails to import is skipped with a
    warning naming the error, so one broken agent does not take the others down.

    Args:
        runtime: a started (or startable) runtime.

    Returns:
        The names of the agents registered.
    """
    registered = []
    for agent in BUILTIN_AGENTS:
        try:
            module = importlib.import_module(agent.module)
            cls = getattr(module, agent.attribute)
        except ModuleNotFoundError as exc:
            if exc.name is not None and agent.module.startswith(exc.name):
                _log.debug("built-in agent not installed", agent=agent.name, module=agent.module)
                continue
            _log.warning("built-in agent unavailable", agent=agent.name, error=repr(exc))
            continue
        except (ImportError, AttributeError) as exc:
            _log.warning("built-in agent unavailable", agent=agent.name, error=repr(exc))
            continue
        runtime.register_agent(agent.name, cls, concurrency=agent.concurrency)
        registered.append(agent.name)
    return tuple(registered)
