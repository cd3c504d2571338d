"""``actorflow runs list|show|export|retry``: the runs recorded in the run store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, get_args

import click
import msgspec
import polars as pl

from actorflow._ids import SHOWN_CANDIDATES, candidates_text
from actorflow.contracts import RunStatus, encode_event
from actorflow.store import RunDetail, RunStore

from ._agents_hooks import load_agent_hooks
from ._app import Settings, cli, pass_settings
from ._cmd_run import agents_option, backend_options, check_backend_options
from ._console import make_console
from ._document import stored_run_document
from ._errors import CliError
from ._execute import retry_run
from ._inputs import parse_input
from ._progress import describe_event
from ._render import run_detail, runs_table
from ._results import ResultWriter
from ._store import open_existing_store, store_path

__all__ = ["runs"]

_STATUSES = get_args(RunStatus)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def _detail(store: RunStore | None, settings: Settings, run_id: str) -> RunDetail:
    """The run ``run_id`` names: its whole id, or a prefix that only its id starts with."""
    detail = store.get_run(run_id) if store is not None else None
    if detail is not None or store is None:
        return _known(detail, settings, run_id)
    found = store.run_ids(run_id, limit=SHOWN_CANDIDATES + 1)
    if len(found) > 1:
        raise CliError(f"{candidates_text(run_id, found)} in run store {store_path(settings.db)}")
    return _known(store.get_run(found[0]) if found else None, settings, run_id)


def _known(detail: RunDetail | None, settings: Settings, run_id: str) -> RunDetail:
    if detail is None:
        raise CliError(
            f"unknown run id {run_id!r} in run store {store_path(settings.db)} "
            "(`actorflow runs list` shows the recorded runs)"
        )
    return detail


@cli.group(
    epilog="""\b
Examples:
  actorflow runs list --status failed --limit 5
  actorflow runs show wf_0f8c2b4e
  actorflow runs export wf_0f8c2b4e --output results/
  actorflow runs retry wf_0f8c2b4e --from clean
"""
)
def runs() -> None:
    """Runs recorded in the run store (--db): list them, show one, export its results.

    A run is named by its id or any prefix of it that no other run's id starts with.
    """


@runs.command(
    "list",
    epilog="""\b
Examples:
  actorflow runs list
  actorflow runs list --status failed --status interrupted --limit 5
  actorflow runs list --workflow revenue --json | jq '.[0].run_id'
  actorflow runs list wf_0f8c
  actorflow runs list --retries-of wf_0f8c2b4e
""",
)
@click.argument("id_prefix", required=False)
@click.option(
    "--status",
    "statuses",
    type=click.Choice(_STATUSES),
    multiple=True,
    help="Only runs with this status (repeatable).",
)
@click.option("--workflow", help="Only runs of this workflow (by name).")
@click.option(
    "--retries-of",
    metavar="RUN_ID",
    help="Only the retries of this run (its id or a unique prefix).",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Most runs shown."
)
@click.option("--json", "json_output", is_flag=True, help="Print the runs as one JSON array.")
@pass_settings
def list_runs(
    settings: Settings,
    *,
    id_prefix: str | None,
    statuses: tuple[str, ...],
    workflow: str | None,
    retries_of: str | None,
    limit: int,
    json_output: bool,
) -> None:
    """List recorded runs, newest first; with ID_PREFIX, those whose id starts with it."""
    store = open_existing_store(settings.db, timeout_s=settings.db_timeout_s)
    if store is None:
        if retries_of is not None:
            _known(None, settings, retries_of)
        found: tuple[Any, ...] = ()
    else:
        with store:
            original = None if retries_of is None else _detail(store, settings, retries_of)
            found = store.list_runs(
                status=statuses or None,
                workflow=workflow,
                id_prefix=id_prefix,
                retries_of=None if original is None else original.run.run_id,
                limit=limit,
            )
    if json_output:
        _print_json(msgspec.to_builtins(found))
        return
    console = make_console()
    if not found:
        console.print(
            f"no runs recorded in {store_path(settings.db)}", markup=False, soft_wrap=True
        )
        return
    console.print(runs_table(found))


@runs.command(
    "show",
    epilog="""\b
Examples:
  actorflow runs show wf_0f8c2b4e
  actorflow runs show wf_0f8c2b4e --events
  actorflow runs show wf_0f8c2b4e --json
""",
)
@click.argument("run_id")
@click.option("--events", "show_events", is_flag=True, help="Also list the run's events.")
@click.option("--json", "json_output", is_flag=True, help="Print the run as one JSON document.")
@pass_settings
def show_run(settings: Settings, run_id: str, show_events: bool, json_output: bool) -> None:
    """Show RUN_ID (an id or a unique prefix of one): its status, timings, error, and
    each stage with its attempts."""
    store = open_existing_store(settings.db, timeout_s=settings.db_timeout_s)
    try:
        detail = _detail(store, settings, run_id)
    finally:
        if store is not None:
            store.close()
    if json_output:
        data = msgspec.to_builtins(detail)
        data["events"] = [json.loads(encode_event(e)) for e in detail.events]
        _print_json(data)
        return
    console = make_console()
    run_detail(console, detail)
    if show_events:
        for event in detail.events:
            text = describe_event(event)
            if text is not None:
                console.print(
                    f"#{event.seq:<4} [{event.progress:3d}%] {text}", markup=False, soft_wrap=True
                )


@runs.command(
    "export",
    epilog="""\b
Examples:
  actorflow runs export wf_0f8c2b4e --output results/
""",
)
@click.argument("run_id")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the run's results to (created if missing).",
)
@pass_settings
def export_run(settings: Settings, run_id: str, output: Path) -> None:
    """Write RUN_ID's stored stage outputs to a folder (RUN_ID: an id or a unique prefix).

    Records are copied as the stored Parquet files and also written as CSV; other
    outputs become JSON (Decimal as strings); insights also become Markdown and SVG
    charts; run.json describes the run.
    """
    store = open_existing_store(settings.db, timeout_s=settings.db_timeout_s)
    try:
        detail = _detail(store, settings, run_id)
        assert store is not None
        try:
            writer = ResultWriter(output)
        except OSError as exc:
            raise CliError(f"cannot use --output {output}: {exc.strerror or exc}") from None
        data: dict[str, Any] = {}
        try:
            for stage in detail.stages:
                if not stage.has_output:
                    continue
                value = store.stage_output(detail.run.run_id, stage.stage)
                files = store.output_files(detail.run.run_id, stage.stage)
                data[stage.stage] = writer.write_stage(stage.stage, value, parquet=files)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise CliError(f"cannot write the results to {output}: {exc}") from None
        document = stored_run_document(detail, data, output_dir=output, files=writer.files)
        writer.write_json("run.json", document)
    finally:
        if store is not None:
            store.close()
    make_console().print(
        f"exported run {detail.run.run_id}: {len(writer.files)} files in {output}",
        markup=False,
        soft_wrap=True,
    )


@runs.command(
    "retry",
    epilog="""\b
Examples:
  actorflow runs retry wf_0f8c2b4e
  actorflow runs retry wf_0f8c --from clean
  actorflow runs retry wf_0f8c2b4e --input @fixed-input.json --agents myagents:register
""",
)
@click.argument("run_id")
@click.option(
    "--from",
    "from_stage",
    metavar="STAGE",
    help="Also run STAGE and every stage downstream of it again.",
)
@click.option(
    "--input",
    "input_text",
    metavar="JSON|@FILE",
    help="The retry's input instead of the run's (a JSON object, @file or @-). Stages "
    "taken over keep the outputs they made from the old input: use --from to redo them.",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the results, as `actorflow run --output` writes them.",
)
@click.option("--json", "json_output", is_flag=True, help="Print the run as one JSON document.")
@agents_option
@backend_options
@pass_settings
def retry(  # noqa: PLR0917 - click passes every option as an argument
    settings: Settings,
    run_id: str,
    from_stage: str | None,
    input_text: str | None,
    output: Path | None,
    json_output: bool,
    agent_specs: tuple[str, ...],
    backend: str,
    ray_address: str | None,
) -> None:
    """Retry RUN_ID (an id or a unique prefix): a new run of its workflow and input,
    recorded as its retry, with live progress as `actorflow run` shows it.

    Stages that succeeded, and depend on no stage run again, are not run: their stored
    outputs are reused (shown as "reused"). The others run: those that failed, were
    skipped or cancelled, and with --from that stage and everything downstream of it.
    Exits with 0 when the retry completed, 1 when it failed, 2 when RUN_ID is unknown or
    still under way, or a stored output it needs is gone.
    """
    placement = check_backend_options(backend, ray_address)
    data = None if input_text is None else parse_input(input_text)
    hooks = load_agent_hooks(agent_specs)
    code = retry_run(
        run_id,
        from_stage=from_stage,
        input=data,
        db=settings.db,
        output=output,
        json_output=json_output,
        agents=hooks,
        db_timeout_s=settings.db_timeout_s,
        backend=placement,
        ray_address=ray_address,
    )
    raise SystemExit(code)
