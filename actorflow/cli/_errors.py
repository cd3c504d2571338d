"""``CliError``: bad input, said in one line per problem on stderr, with exit code 2."""

from __future__ import annotations

from typing import IO, Any

import click

from actorflow.contracts import WorkflowValidationError, shorten

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "CliError",
    "workflow_lines",
]

EXIT_OK = 0
#: the run ran and did not complete (failed, cancelled, timed out).
EXIT_FAILED = 1
#: invalid input: a workflow, ``--input``, a run id, the store, an option.
EXIT_INVALID = 2
#: the user pressed Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

#: Characters of one error line: what messages quote is capped where they are built
#: (``actorflow.contracts.quote``); this bounds any other text an error passes on.
MAX_LINE = 1000
#: Problems of an invalid workflow shown, one line each.
MAX_PROBLEM_LINES = 20


class CliError(click.ClickException):
    """A problem with what the user gave us: printed as ``error: ...`` lines, no traceback.

    Args:
        lines: one line per problem, each understandable on its own.
    """

    exit_code = EXIT_INVALID

    def __init__(self, *lines: str) -> None:
        # Multi-line messages (a workflow's problems) become several error lines.
        self.lines = tuple(
            shorten(part, MAX_LINE) for line in lines for part in line.splitlines() if part.strip()
        )
        super().__init__("\n".join(self.lines))

    def show(self, file: IO[Any] | None = None) -> None:
        for line in self.lines:
            click.echo(f"error: {line}", err=file is None, file=file)


def workflow_lines(error: WorkflowValidationError) -> tuple[str, ...]:
    """One line per problem of an invalid workflow, each naming the file, stage and field."""
    if not error.problems:
        return (str(error),)
    prefix = f"{error.source}: " if error.source else ""
    lines = [f"{prefix}{problem}" for problem in error.problems[:MAX_PROBLEM_LINES]]
    if len(error.problems) > MAX_PROBLEM_LINES:
        lines.append(f"{prefix}and {len(error.problems) - MAX_PROBLEM_LINES:,} more problems")
    return tuple(lines)
