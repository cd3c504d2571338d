"""``actorflow agents``: the agents a workflow can use, and how they did in past runs."""

from __future__ import annotations

import json
import sys

import click

from ._agents_hooks import load_agent_hooks, runtime_with_agents
from ._app import Settings, cli, pass_settings
from ._cmd_run import agents_option
from ._console import make_console
from ._render import agents_table
from ._results import to_jsonable
from ._store import open_existing_store

__all__ = ["agents"]


@cli.command(
    epilog="""\b
Examples:
  actorflow agents
  actorflow --db ./runs.db agents --agents myagents:register --json
"""
)
@agents_option
@click.option("--json", "json_output", is_flag=True, help="Print the agents as one JSON array.")
@pass_settings
def agents(settings: Settings, agent_specs: tuple[str, ...], json_output: bool) -> None:
    """List the agents: role, description, expertise, and how they did in past runs.

    Statistics (executions, success rate, mean time per attempt) come from the run
    store's history.
    """
    hooks = load_agent_hooks(agent_specs)
    with runtime_with_agents(hooks) as runtime:
        infos = runtime.agents()
    store = open_existing_store(settings.db, timeout_s=settings.db_timeout_s)
    history = {}
    if store is not None:
        with store:
            history = {stats.agent: stats for stats in store.stats().agents}
    if json_output:
        data = [
            {
                "name": info.name,
                "role": info.role,
                "description": info.description,
                "expertise": list(info.expertise),
                "concurrency": info.concurrency,
                "is_async": info.is_async,
                "backend": info.backend,
                "history": to_jsonable(history.get(info.name)),
            }
            for info in infos
        ]
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    make_console().print(agents_table(infos, history))
