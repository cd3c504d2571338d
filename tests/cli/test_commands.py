"""``validate``, ``agents``, ``demo``, ``--help`` and ``--version``."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from actorflow import __version__
from actorflow.cli import cli
from tests.cli.cli_helpers import SALES_WORKFLOW, assert_one_line_error

AGENTS = "tests.cli.cli_agents:register"

Invoke = Callable[..., Result]
WriteWorkflow = Callable[..., Path]


def test_validate_accepts_a_valid_workflow_in_one_line(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    path = write_workflow(SALES_WORKFLOW)

    result = invoke("validate", str(path), "--agents", AGENTS)

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{path}: valid workflow 'sales', 4 stages: sales → flaky → report → chat\n"
    )


def test_validate_explains_every_problem_in_one_line_each_and_exits_2(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    path = write_workflow(
        """
name = "bad"
[[stages]]
name = "a"
agent = "nobody"
[[stages]]
name = "b"
agent = "extractor"
depends_on = ["ghost"]
"""
    )

    result = invoke("validate", str(path))

    assert result.exit_code == 2
    first, second, last = result.stdout.splitlines()
    # (the list of known agents that follows depends on which built-ins are installed)
    assert first.startswith(f"{path}: stage 'a', field 'agent': unknown agent 'nobody' (known: ")
    assert "extractor" in first
    assert second == f"{path}: stage 'b', field 'depends_on': unknown stage 'ghost'"
    assert last == "invalid: 2 problems"
    assert "Traceback" not in result.output


def test_validate_reports_params_the_agents_refuse(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    path = write_workflow(
        """
name = "params"
[[stages]]
name = "extract"
agent = "extractor"
params = { sources = [{ type = "api", name = "crm", url = "ftp://x" }] }
[[stages]]
name = "process"
agent = "processor"
depends_on = ["extract"]
params = { operations = ["cleanup"] }
"""
    )

    result = invoke("validate", str(path))

    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"{path}: source 'crm', stage 'extract', field 'params.sources[0]': url"
    )
    assert lines[1].startswith(f"{path}: stage 'process', field 'params.operations': unknown")
    assert lines[-1] == "invalid: 2 problems"


def test_validate_names_the_stages_of_a_cycle(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    path = write_workflow(
        """
name = "loop"
parallel = true
[[stages]]
name = "a"
agent = "table"
depends_on = ["b"]
[[stages]]
name = "b"
agent = "table"
depends_on = ["a"]
"""
    )

    result = invoke("validate", str(path), "--agents", AGENTS)

    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{path}: stage 'a', field 'depends_on': dependency cycle: a -> b -> a",
        "invalid: 1 problem",
    ]


def test_validate_of_a_missing_file_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("validate", str(tmp_path / "missing.toml"))

    assert result.exit_code == 2
    assert "cannot read workflow file" in result.stdout


def test_agents_lists_built_in_and_user_agents_with_their_history(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    fresh = json.loads(invoke("agents", "--agents", AGENTS, "--json").stdout)
    by_name = {agent["name"]: agent for agent in fresh}
    assert "extractor" in by_name  # built in
    assert by_name["table"]["role"] == "extractor"
    assert by_name["table"]["expertise"] == ["sales", "money"]
    assert by_name["table"]["description"].startswith("Returns sales records")
    assert by_name["table"]["backend"] == "pykka"
    assert by_name["flaky"]["history"] is None  # no store yet: no history

    assert invoke("run", str(write_workflow(SALES_WORKFLOW)), "--agents", AGENTS).exit_code == 0
    after = {
        a["name"]: a for a in json.loads(invoke("agents", "--agents", AGENTS, "--json").stdout)
    }

    flaky = after["flaky"]["history"]
    assert (flaky["executions"], flaky["succeeded"], flaky["success_rate"]) == (2, 1, 0.5)
    table = invoke("agents", "--agents", AGENTS)
    assert table.exit_code == 0
    assert "Returns sales records" in table.stdout
    assert "50%" in table.stdout


def test_demo_says_in_one_line_when_it_is_not_installed(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "actorflow.demo", None)  # makes the import fail

    assert_one_line_error(invoke("demo"), "the revenue demo is not installed")


def test_demo_hands_console_output_and_store_to_the_demo_and_returns_its_exit_code(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, db: Path, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []

    def main(**kwargs: Any) -> int:
        calls.append(kwargs)
        kwargs["console"].print("demo ran")
        return 1

    demo = types.ModuleType("actorflow.demo")
    demo.main = main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "actorflow.demo", demo)

    result = invoke("demo", "--output", str(tmp_path / "out"))

    assert result.exit_code == 1
    assert result.stdout == "demo ran\n"
    ((kwargs),) = calls
    assert kwargs["db"] == db
    assert kwargs["output"] == tmp_path / "out"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["validate"],
        ["demo"],
        ["runs"],
        ["runs", "list"],
        ["runs", "show"],
        ["runs", "export"],
        ["agents"],
    ],
)
def test_every_command_has_help_with_examples(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])

    assert result.exit_code == 0
    assert "Usage: " in result.stdout
    assert "Examples:" in result.stdout


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"actorflow, version {__version__}\n"
