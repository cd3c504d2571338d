"""Figures about the service for the overview, health and agents routes."""

from __future__ import annotations

import asyncio
import time

from actorflow import __version__
from actorflow.actors import AgentInfo
from actorflow.api_schema import (
    AgentCapability,
    AgentList,
    AgentState,
    AgentStatsBody,
    Health,
    Stats,
    WorkflowDefinitionList,
)
from actorflow.contracts import SEED_AGENT_NAMES

from ._convert import api_status
from ._service import WebService


async def agents(service: WebService) -> AgentList:
    """Every agent with its live statistics and its recorded history."""
    infos = await asyncio.to_thread(service.runtime.agents)
    recorded = {}
    if service.store is not None:
        stats = await asyncio.to_thread(service.store.stats)
        recorded = {a.agent: a for a in stats.agents}
    found: dict[str, AgentCapability] = {}
    names = {info.name for info in infos}
    for info in infos:
        finished = info.successes + info.failures
        past = recorded.get(info.name)
        found[info.name] = AgentCapability(
            role=info.role,
            expertise=list(info.expertise),
            model=info.model,
            name=info.name,
            # The seed's names stages may use for it (unless an agent has that name).
            aliases=sorted(
                seed
                for seed, ours in SEED_AGENT_NAMES.items()
                if ours == info.name and seed not in names
            ),
            description=info.description,
            concurrency=info.concurrency,
            backend="ray" if info.backend == "ray" else "pykka",
            healthy=info.healthy,
            problem=info.problem,
            stats=AgentStatsBody(
                executions=info.executions,
                successes=info.successes,
                failures=info.failures,
                success_rate=info.successes / finished if finished else None,
                mean_duration_s=info.mean_duration_s,
                restarts=info.restarts,
                busy=info.busy,
                waiting=info.waiting,
                recorded_executions=past.executions if past else None,
                recorded_success_rate=past.success_rate if past else None,
            ),
        )
    return AgentList(agents=found, count=len(found))


def _state(info: AgentInfo) -> AgentState:
    """``unavailable`` if unhealthy, ``busy`` when every actor of its pool is working."""
    if not info.healthy:
        return "unavailable"
    return "busy" if info.busy >= info.concurrency else "ready"


async def health(service: WebService) -> Health:
    """Agents ready, runs under way and recorded."""
    infos = await asyncio.to_thread(service.runtime.agents)
    ready = sum(1 for info in infos if info.healthy)
    total = await _total_runs(service)
    return Health(
        status="healthy" if ready == len(infos) else "degraded",
        active_workflows=service.tracker.active(),
        total_workflows=total,
        agents={info.name: _state(info) for info in infos},
        agents_ready=ready,
        agents_total=len(infos),
        version=__version__,
        uptime_s=round(time.time() - service.started_at, 3),
    )


async def _total_runs(service: WebService) -> int:
    if service.store is None:
        return sum(1 for _ in service.tracker)
    stats = await asyncio.to_thread(service.store.stats)
    return max(stats.runs_total, sum(1 for _ in service.tracker))


async def stats(service: WebService) -> Stats:
    """Dashboard figures, from the store when there is one, else from memory."""
    if service.store is not None:
        found = await asyncio.to_thread(service.store.stats)
        by_status: dict[str, int] = {}
        for name, count in found.by_status.items():
            key = api_status(name)
            by_status[key] = by_status.get(key, 0) + int(count)
        return Stats(
            runs_today=found.runs_today,
            runs_total=found.runs_total,
            active=service.tracker.active(),
            success_rate=found.success_rate,
            mean_execution_time_s=found.mean_execution_time_s,
            by_status=by_status,
        )
    runs = list(service.tracker)
    counts: dict[str, int] = {}
    for tracked in runs:
        counts[tracked.status] = counts.get(tracked.status, 0) + 1
    finished = sum(v for k, v in counts.items() if k != "processing")
    times = [t.execution_time() for t in runs if t.status == "completed"]
    return Stats(
        runs_today=len(runs),
        runs_total=len(runs),
        active=service.tracker.active(),
        success_rate=counts.get("completed", 0) / finished if finished else None,
        mean_execution_time_s=sum(times) / len(times) if times else None,
        by_status=counts,
    )


def definitions(service: WebService) -> WorkflowDefinitionList:
    """The workflows execute accepts by name, and whether their agents are there."""
    return WorkflowDefinitionList(
        workflows=service.catalog.definitions(service.runtime.agent_names)
    )
