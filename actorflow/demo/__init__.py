"""The bundled revenue example: its workflow, sample data and local Megaphone-style API.

from actorflow.demo import DEFAULT_INPUT, MegaphoneServer, revenue_workflow

from actorflow import Runtime, register_builtin_agents

with MegaphoneServer() as api, Runtime() as rt:
    register_builtin_agents(rt)
    result = rt.run(revenue_workflow(api.url), input=DEFAULT_INPUT)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from string import Template
from typing import Any

import msgspec
from rich.console import Console

from actorflow.contracts import WorkflowSpec, load_workflow

from ._example import DATA_DIR, VARIABLE_HINTS, WORKFLOW_FILE, serve_api, write_example
from ._server import MegaphoneServer

#: The run input of the revenue example: the month being processed and the
#: validation rules the processing stage applies.
DEFAULT_INPUT: dict[str, Any] = {
    "processing_month": "2024-05",
    "validation_rules": {
        "min_revenue": 0.01,
        "max_revenue": 100000,
        "required_fields": ["podcast_name", "revenue", "date"],
    },
}


def revenue_workflow(megaphone_url: str, data_dir: Path = DATA_DIR) -> WorkflowSpec:
    """The revenue workflow, reading the API at ``megaphone_url`` and the CSV in ``data_dir``."""

    def toml_text(value: str) -> str:
        return json.dumps(value)[1:-1]  # JSON string escapes are valid TOML basic-string ones

    text = Template(WORKFLOW_FILE.read_text(encoding="utf-8")).substitute(
        MEGAPHONE_URL=toml_text(megaphone_url), DATA_DIR=toml_text(str(data_dir))
    )
    return load_workflow(msgspec.toml.decode(text.encode()))


def main(
    *, console: Console, output: Path | None, db: Path, run_workflow: Callable[..., int]
) -> int:
    """``actorflow demo``: the revenue workflow on the bundled data, with live progress.

    Starts the local Megaphone-style API, runs the workflow through ``run_workflow`` (the
    CLI's, handed in so that the example does not import the CLI: the same display, run
    store and result files as ``actorflow run``), and returns the exit code.
    """
    with MegaphoneServer() as api:
        console.print(
            f"[bold]actorflow demo[/bold]: revenue from a Megaphone-style API ({api.url}) "
            f"and an Audiomax CSV ({DATA_DIR / 'audiomax.csv'})"
        )
        return run_workflow(
            revenue_workflow(api.url), DEFAULT_INPUT, db=db, output=output, console=console
        )


__all__ = [
    "DATA_DIR",
    "DEFAULT_INPUT",
    "VARIABLE_HINTS",
    "WORKFLOW_FILE",
    "MegaphoneServer",
    "main",
    "revenue_workflow",
    "serve_api",
    "write_example",
]
