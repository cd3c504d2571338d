"""The ``actorflow`` command line: run workflows with live progress, browse run history.

Commands: ``run``, ``demo``, ``validate``, ``runs list|show|export``, ``agents``,
``serve``, ``infer``; see
``actorflow --help``. :func:`run_workflow` is the ``run`` command as a function, for
scripts (and the demo) that want the same progress display and result files.
"""

from __future__ import annotations

from . import _cmd_agents, _cmd_cache, _cmd_infer, _cmd_run, _cmd_runs, _cmd_serve  # noqa: F401 - importing registers the commands
from ._app import Settings, cli
from ._errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, CliError
from ._execute import run_workflow
from ._inputs import parse_input
from ._progress import LineProgress, LiveProgress, NoProgress, ProgressDisplay, describe_event
from ._results import ResultWriter, to_jsonable

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "CliError",
    "LineProgress",
    "LiveProgress",
    "NoProgress",
    "ProgressDisplay",
    "ResultWriter",
    "Settings",
    "cli",
    "describe_event",
    "main",
    "parse_input",
    "run_workflow",
    "to_jsonable",
]


def main() -> None:
    """The ``actorflow`` console script."""
    cli(prog_name="actorflow")
