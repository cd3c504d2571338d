"""``actorflow serve``: the REST API, the live progress stream and the dashboard."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from actorflow.contracts import ActorflowError, WorkflowSpec, WorkflowValidationError

from ._agents_hooks import load_agent_hooks
from ._app import Settings, cli, pass_settings
from ._cmd_run import agents_option, backend_options, check_backend_options
from ._console import make_console
from ._errors import CliError, workflow_lines
from ._store import store_path


@cli.command(
    epilog="""\b
Examples:
  actorflow serve                          # http://127.0.0.1:8000/
  actorflow serve --port 8080 --workflow revenue.toml
  actorflow serve --workflow wf.toml --agents mypackage.agents:register
  actorflow serve --demo                   # with the revenue example's workflow and API
  ACTORFLOW_API_TOKEN=secret actorflow serve --host 0.0.0.0
  actorflow serve --backend ray --ray-address 10.0.0.5:6379
"""
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--workflow",
    "workflows",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A workflow file to offer by name (repeatable).",
)
@click.option("--demo", is_flag=True, help="Offer the revenue example, with its local API.")
@agents_option
@backend_options
@pass_settings
def serve(  # noqa: PLR0917 - click passes every option as an argument
    settings: Settings,
    host: str,
    port: int,
    workflows: tuple[Path, ...],
    demo: bool,
    agent_specs: tuple[str, ...],
    backend: str,
    ray_address: str | None,
) -> None:
    """Serve the REST API (/v1/...), server-sent events and the dashboard.

    Binds to 127.0.0.1 unless told otherwise; any other address needs an API token
    (ACTORFLOW_API_TOKEN). History comes from the run store (--db), so it survives
    restarts. Stops cleanly on Ctrl-C or SIGTERM.
    """
    # Lazy: the web stack loads only for this command; actorflow.demo imports the CLI.
    from actorflow.web import run_server  # noqa: PLC0415

    placement = check_backend_options(backend, ray_address)
    hooks = load_agent_hooks(agent_specs)
    console = make_console()
    offered: list[Path | WorkflowSpec] = list(workflows)
    with contextlib.ExitStack() as stack:
        if demo:
            from actorflow.demo import MegaphoneServer, revenue_workflow  # noqa: PLC0415

            api = stack.enter_context(MegaphoneServer())
            offered.append(revenue_workflow(api.url))

        def ready(url: str) -> None:
            console.print(f"actorflow serving on {url} (Ctrl-C to stop)", markup=False)

        try:
            run_server(
                host,
                port,
                store_path(settings.db),
                workflows=offered,
                ready=ready,
                backend=placement,
                ray_address=ray_address,
                agents=[hook.apply for hook in hooks],
            )
        except WorkflowValidationError as exc:
            raise CliError(*workflow_lines(exc)) from None
        except (ActorflowError, OSError) as exc:
            raise CliError(str(exc)) from None
