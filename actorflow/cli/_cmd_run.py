"""``actorflow run``, ``actorflow validate`` and ``actorflow demo``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from actorflow._backends import BackendName
from actorflow.contracts import WorkflowValidationError

from ._agents_hooks import load_agent_hooks, runtime_with_agents
from ._app import Settings, cli, pass_settings
from ._console import make_console
from ._demo import demo_module, run_demo
from ._errors import EXIT_INVALID, CliError, workflow_lines
from ._execute import named, run_workflow
from ._inputs import parse_input
from ._store import store_path
from ._variables import expand_variables

__all__ = ["agents_option", "backend_options", "check_backend_options", "demo", "run", "validate"]

_WORKFLOW = click.argument(
    "workflow", type=click.Path(dir_okay=False, path_type=Path), metavar="WORKFLOW"
)


def agents_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--agents module:callable`` (repeatable), shared by the commands that need agents."""
    return click.option(
        "--agents",
        "agent_specs",
        multiple=True,
        metavar="MODULE:CALLABLE",
        help="Register your own agents: CALLABLE(runtime) is called after the built-in "
        "agents are registered. MODULE is importable from the current folder or a "
        "path to a .py file. Repeatable.",
    )(func)


def backend_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--backend pykka|ray`` and ``--ray-address``, shared by ``run`` and ``serve``."""
    func = click.option(
        "--ray-address",
        metavar="HOST:PORT",
        help="With --backend ray: the Ray cluster's head (GCS address, port 6379 by "
        "default) or 'auto'. Without it a local Ray is started and stopped with us.",
    )(func)
    return click.option(
        "--backend",
        type=click.Choice(["pykka", "ray"]),
        default="pykka",
        show_default=True,
        help="Where the agents run: threads of this process (pykka) or Ray actors (ray; "
        "needs pip install 'actorflow[ray]'). Runs are driven from this process.",
    )(func)


def check_backend_options(backend: str, ray_address: str | None) -> BackendName:
    """The ``--backend`` choice, once ``--ray-address`` is known to go with it.

    Raises:
        CliError: ``--ray-address`` without ``--backend ray``.
    """
    if ray_address is not None and backend != "ray":
        raise CliError("--ray-address needs --backend ray")
    return "ray" if backend == "ray" else "pykka"


@cli.command(
    epilog="""\b
Examples:
  actorflow run revenue.toml --input '{"processing_month": "2024-05"}'
  actorflow run revenue.toml --input @input.json --output results/
  actorflow run wf.toml --set month=2024-05 --set rules.min_revenue=0.01
  actorflow run wf.toml --agents myagents:register --json | jq .status
  actorflow run revenue.toml --backend ray                # agents on a local Ray
  actorflow run revenue.toml --backend ray --ray-address 10.0.0.5:6379
"""
)
@_WORKFLOW
@click.option(
    "--input",
    "input_text",
    metavar="JSON|@FILE",
    help="The run's input: a JSON object, @file holding one, or @- for stdin. "
    "Fractions are read as exact decimals.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set one input key (a.b=... for a nested one), after --input. VALUE is read "
    "as JSON when it is JSON, else as text. Repeatable.",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the results: records as CSV and Parquet, other outputs as JSON, "
    "insights as Markdown and SVG charts, and run.json.",
)
@click.option(
    "--json",
    "json_output",
    is_flag=True,
    help="Print the run as one JSON document on stdout, and nothing else.",
)
@click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    help="Run every stage, even those with cache = true (and store no cache entry).",
)
@agents_option
@backend_options
@pass_settings
def run(  # noqa: PLR0917 - click passes every option as an argument
    settings: Settings,
    workflow: Path,
    input_text: str | None,
    sets: tuple[str, ...],
    output: Path | None,
    json_output: bool,
    no_cache: bool,
    agent_specs: tuple[str, ...],
    backend: str,
    ray_address: str | None,
) -> None:
    """Run WORKFLOW (a .toml or .json file) with live progress.

    Shows an overall bar and one bar per stage (plain lines when stdout is not a
    terminal), then a table of the stages and the insights, if the run made any.
    The run is recorded in the run store. Exits with 0 when the run completed, 1 when
    it failed or was cancelled, 2 for an invalid workflow or input.
    """
    placement = check_backend_options(backend, ray_address)
    data = parse_input(input_text, sets)
    hooks = load_agent_hooks(agent_specs)
    code = run_workflow(
        workflow,
        data,
        db=settings.db,
        output=output,
        json_output=json_output,
        agents=hooks,
        db_timeout_s=settings.db_timeout_s,
        backend=placement,
        ray_address=ray_address,
        cache=not no_cache,
    )
    raise SystemExit(code)


@cli.command(
    epilog="""\b
Examples:
  actorflow validate workflow.toml
  actorflow validate workflow.json --agents myagents:register
"""
)
@_WORKFLOW
@agents_option
def validate(workflow: Path, agent_specs: tuple[str, ...]) -> None:
    """Check WORKFLOW against the built-in agents and yours, and explain every problem.

    Prints one line per problem, naming the stage and the field at fault, and exits
    with 2; prints a one-line summary and exits with 0 when the workflow is valid.
    """
    hooks = load_agent_hooks(agent_specs)
    console = make_console()
    try:
        with runtime_with_agents(hooks) as runtime:
            spec = runtime.validate(expand_variables(workflow))
    except WorkflowValidationError as exc:
        lines = workflow_lines(named(exc, workflow))
        for line in lines:
            console.print(line, markup=False, soft_wrap=True)
        count = len(lines)
        console.print(
            f"invalid: {count} problem{'s' if count != 1 else ''}", markup=False, soft_wrap=True
        )
        raise SystemExit(EXIT_INVALID) from None
    order = " → ".join(stage.name for stage in spec.stages)
    console.print(
        f"{workflow}: valid workflow {spec.name!r}, {len(spec.stages)} stages: {order}",
        markup=False,
        soft_wrap=True,
    )


@cli.command(
    epilog="""\b
Examples:
  actorflow demo
  actorflow demo --output demo-results/
  actorflow demo --workflow revenue/        # the workflow and its data, to run yourself
  actorflow demo --api                      # the API that workflow reads
"""
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo's results (records, insights, charts).",
)
@click.option(
    "--workflow",
    "write_to",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the revenue workflow (revenue.toml), its input (input.json) and its data "
    "(data/) to this folder, for `actorflow run`, and say how to run it. Runs nothing.",
)
@click.option(
    "--api",
    is_flag=True,
    help="Serve the demo's Megaphone-style API until Ctrl-C, printing the MEGAPHONE_URL "
    "that a workflow written by --workflow reads. Runs nothing.",
)
@pass_settings
def demo(settings: Settings, output: Path | None, write_to: Path | None, api: bool) -> None:
    """Run the bundled revenue example end to end, with live progress.

    It extracts revenue from a local JSON API and a CSV file, cleans and checks it,
    and shows the insights. The run is recorded in the run store like any other.
    """
    console = make_console()
    module = demo_module()
    if module is None:
        raise CliError("the revenue demo is not installed")
    if write_to is not None and api:
        raise CliError("give --workflow or --api, not both")
    if api:
        raise SystemExit(module.serve_api(console))
    if write_to is not None:
        try:
            workflow = module.write_example(write_to, module.DEFAULT_INPUT)
        except OSError as exc:
            raise CliError(
                f"cannot write to --workflow {write_to}: {exc.strerror or exc}"
            ) from None
        inputs = workflow.parent / "input.json"
        for line in (
            f"wrote {workflow}, {inputs} and {workflow.parent / 'data'}; to run it:",
            "  actorflow demo --api          # in another terminal; prints the line below",
            "  export MEGAPHONE_URL=http://127.0.0.1:PORT/megaphone/page_1.json",
            f"  actorflow run {workflow} --input @{inputs}",
        ):
            console.print(line, markup=False, soft_wrap=True)
        raise SystemExit(0)
    code = run_demo(console, output=output, db=store_path(settings.db))
    if code is None:
        raise CliError("the revenue demo is not installed")
    raise SystemExit(code)
