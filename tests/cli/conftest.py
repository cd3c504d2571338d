"""Fixtures of the CLI tests: a run store in ``tmp_path``, workflow files, a CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from actorflow.cli import cli
from actorflow.logging import reset_logging


@pytest.fixture(autouse=True)
def _unconfigure_logging() -> Iterator[None]:
    """Each CLI invocation configures logging for the process: undo it after the test."""
    yield
    reset_logging()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store" / "runs.db"


@pytest.fixture
def write_workflow(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "workflow.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def invoke(db: Path) -> Callable[..., Result]:
    """``invoke(*args)``: the CLI in-process with ``--db`` set, stdout and stderr apart."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, db_path: Path | None = None) -> Result:
        return runner.invoke(
            cli, ["--db", str(db_path or db), *args], input=input, catch_exceptions=True
        )

    return run
