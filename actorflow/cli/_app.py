"""The ``actorflow`` command group: global options, logging, and errors as one-liners."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from actorflow import __version__
from actorflow.logging import LOG_FORMATS, LOG_LEVELS, configure_logging
from actorflow.store import StoreError

from ._errors import CliError

__all__ = ["Settings", "cli", "pass_settings"]


@dataclass(frozen=True, slots=True)
class Settings:
    """The global options, for the commands.

    Attributes:
        db: the run store's file (``None``: ``ACTORFLOW_DB`` or the default).
        db_timeout_s: how long to wait for a locked run store.
    """

    db: Path | None
    db_timeout_s: float


pass_settings = click.make_pass_decorator(Settings)


class _Group(click.Group):
    """Turns store errors raised anywhere below into ``error: ...`` and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StoreError as exc:
            raise CliError(str(exc)) from None


_HELP = """Run business data workflows as an event-driven actor system.

Workflows are TOML or JSON files naming stages and the agents that perform them
(built in: extractor, processor, insights; add your own with --agents). Every run
is recorded in a SQLite run store (--db), and runs left unfinished by a process
that died are resumed by the next `actorflow run`.

\b
Examples:
  actorflow run workflow.toml --input '{"month": "2024-05"}' --output results/
  actorflow run workflow.toml --input @input.json --set rules.min_revenue=0.01
  actorflow run workflow.toml --agents myagents:register --json > run.json
  actorflow validate workflow.toml
  actorflow infer orders.csv                     # a table's contract, as TOML
  actorflow runs list --status failed --limit 5
  actorflow runs show 0f8c2b...
  actorflow --db ./runs.db agents

Exit codes: 0 success, 1 the run failed, 2 invalid input, 130 interrupted.
"""


@click.group(cls=_Group, help=_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ACTORFLOW_DB",
    help="Run store file (SQLite). Default: $ACTORFLOW_DB, else "
    "$XDG_DATA_HOME/actorflow/runs.db (~/.local/share/actorflow/runs.db).",
)
@click.option(
    "--db-timeout",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Seconds to wait for a run store locked by another program.",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default="warning",
    show_default=True,
    envvar="ACTORFLOW_LOG_LEVEL",
    help="Least severe log lines shown (on stderr).",
)
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="console",
    show_default=True,
    envvar="ACTORFLOW_LOG_FORMAT",
    help="console: for people; json: one JSON object per line, for machines.",
)
@click.version_option(__version__, "--version", prog_name="actorflow")
@click.pass_context
def cli(
    ctx: click.Context, db: Path | None, db_timeout: float, log_level: str, log_format: str
) -> None:
    configure_logging(log_level, log_format)
    ctx.obj = Settings(db=db, db_timeout_s=db_timeout)
