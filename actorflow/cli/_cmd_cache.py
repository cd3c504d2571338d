"""``actorflow cache list|clear``: the stage cache kept in the run store."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from rich.table import Table

from ._app import Settings, cli, pass_settings
from ._console import make_console
from ._store import open_existing_store, store_path

__all__ = ["cache"]


def _when(at: float | None) -> str:
    if at is None:
        return "never"
    return dt.datetime.fromtimestamp(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")


@cli.group(
    epilog="""\b
Examples:
  actorflow cache list
  actorflow cache clear --stage clean
"""
)
def cache() -> None:
    """The stage cache: outputs of stages with cache = true, reused while nothing they
    depend on changed (their agent and its version, task, params, the run input and
    their dependencies' outputs)."""


@cache.command("list")
@click.option("--json", "json_output", is_flag=True, help="Print the entries as one JSON array.")
@pass_settings
def list_cache(settings: Settings, json_output: bool) -> None:
    """List the cache's entries, newest first: the stage and run whose output each is."""
    store = open_existing_store(settings.db, timeout_s=settings.db_timeout_s)
    entries = () if store is None else store.cache_entries()
    if store is not None:
        store.close()
    if json_output:
        rows = [
            {"key": e.key, "run_id": e.run_id, "stage": e.stage, "agent": e.agent,
             "created_at": e.created_at, "expires_at": e.expires_at}
            for e in entries
        ]  # fmt: skip
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    console = make_console()
    if not entries:
        console.print(
            f"no cache entries in {store_path(settings.db)}", markup=False, soft_wrap=True
        )
        return
    table = Table()
    for column in ("key", "stage", "agent", "run id", "stored", "expires"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(
            e.key[:16], e.stage, e.agent, e.run_id, _when(e.created_at), _when(e.expires_at)
        )
    console.print(table)


@cache.command("clear")
@click.option("--stage", help="Only the entries of stages with this name.")
@pass_settings
def clear_cache(settings: Settings, stage: str | None) -> None:
    """Delete the cache's entries (the runs keep their outputs): the next run of each
    cached stage runs it."""
    store = open_existing_store(settings.db, timeout_s=settings.db_timeout_s)
    removed = 0
    if store is not None:
        with store:
            removed = store.clear_cache(stage=stage)
    make_console().print(
        f"removed {removed} cache entr{'y' if removed == 1 else 'ies'}",
        markup=False,
        soft_wrap=True,
    )
