"""Bad input: one ``error:`` line per problem on stderr, exit code 2, never a traceback."""

from __future__ import annotations

import decimal
import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from actorflow.cli import CliError, parse_input
from actorflow.store import RunStore
from tests.cli.cli_helpers import SALES_WORKFLOW, assert_one_line_error

AGENTS = "tests.cli.cli_agents:register"

Invoke = Callable[..., Result]
WriteWorkflow = Callable[..., Path]


def test_a_missing_workflow_file_is_named(invoke: Invoke, tmp_path: Path, db: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    result = invoke("run", str(missing))

    assert_one_line_error(result, str(missing), "cannot read workflow file")
    assert not db.exists()  # nothing was recorded, not even a store created


def test_a_workflow_that_is_not_toml_says_where(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    path = write_workflow('name = "x"\n[[stages]\n')

    assert_one_line_error(invoke("run", str(path)), str(path), "not valid toml")


def test_every_problem_of_an_invalid_workflow_gets_a_line_naming_stage_and_field(
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
agent = "table"
depends_on = ["ghost"]
"""
    )

    result = invoke("run", str(path), "--agents", AGENTS)

    assert_one_line_error(result, "stage 'a', field 'agent'", "stage 'b', field 'depends_on'")
    assert len(result.stderr.splitlines()) == 2


def test_invalid_input_json_is_explained_with_its_position(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    result = invoke("run", str(write_workflow(SALES_WORKFLOW)), "--input", '{"month": }')

    assert_one_line_error(result, "--input is not valid JSON", "line 1, column 11")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--input", "[1, 2]"], ["--input must be a JSON object", "got an array"]),
        (["--input", '{"x": NaN}'], ["--input is not valid JSON", "NaN"]),
        (["--input", "@missing.json"], ["cannot read --input file missing.json"]),
        (["--set", "month"], ["--set 'month': expected key=value"]),
        (["--set", "a=1", "--set", "a.b=2"], ["--set 'a.b=2': 'a' is a number, not an object"]),
        (["--agents", "no_such_module_xyz:register"], ["no module named 'no_such_module_xyz'"]),
        (["--agents", "tests.cli.cli_agents"], ["expected module:callable"]),
        (["--agents", "tests.cli.cli_agents:nothing"], ["has no 'nothing'"]),
        (["--agents", "tests.cli.cli_agents:explode"], ["RuntimeError: no agents today"]),
    ],
)
def test_bad_options_of_run_are_one_line_errors(
    invoke: Invoke, write_workflow: WriteWorkflow, args: list[str], fragments: list[str]
) -> None:
    result = invoke("run", str(write_workflow(SALES_WORKFLOW)), *args)

    assert_one_line_error(result, *fragments)


def test_input_numbers_with_a_fraction_are_exact_decimals() -> None:
    data = parse_input(
        '{"rules": {"min_revenue": 0.01}, "n": 3}',
        ["rules.max_revenue=100000.00", "name=Joe", "flag=true"],
    )

    assert data == {
        "rules": {
            "min_revenue": decimal.Decimal("0.01"),
            "max_revenue": decimal.Decimal("100000.00"),
        },
        "n": 3,
        "name": "Joe",
        "flag": True,
    }
    assert parse_input("@-", stdin=io.StringIO('{"a": 1}')) == {"a": 1}
    with pytest.raises(CliError, match="--input from stdin is not valid JSON"):
        parse_input("@-", stdin=io.StringIO("{"))


def test_an_unknown_run_id_is_a_one_line_error(invoke: Invoke, db: Path, tmp_path: Path) -> None:
    with RunStore(db):
        pass  # an existing, empty store

    assert_one_line_error(invoke("runs", "show", "feedbeef"), "unknown run id 'feedbeef'", str(db))
    assert_one_line_error(
        invoke("runs", "export", "feedbeef", "--output", str(tmp_path / "out")),
        "unknown run id 'feedbeef'",
    )


def test_a_corrupt_database_file_is_a_one_line_error(
    invoke: Invoke, write_workflow: WriteWorkflow, tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database, just some text" * 100)

    for args in (
        ["run", str(write_workflow(SALES_WORKFLOW)), "--agents", AGENTS],
        ["runs", "list"],
        ["agents"],
    ):
        result = invoke(*args, db_path=corrupt)
        assert_one_line_error(result, str(corrupt), "corrupt or not a SQLite database")


def test_a_locked_database_file_is_a_one_line_error(
    invoke: Invoke, write_workflow: WriteWorkflow, db: Path
) -> None:
    with RunStore(db):
        pass
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        result = invoke(
            "--db-timeout",
            "0.1",
            "run",
            str(write_workflow(SALES_WORKFLOW)),
            "--agents",
            AGENTS,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert_one_line_error(result, str(db), "is locked by another connection")


def test_an_unusable_output_folder_fails_before_anything_runs(
    invoke: Invoke, write_workflow: WriteWorkflow, tmp_path: Path, db: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = invoke(
        "run",
        str(write_workflow(SALES_WORKFLOW)),
        "--agents",
        AGENTS,
        "--output",
        str(blocker / "results"),
    )

    assert_one_line_error(result, "cannot use --output")
    assert not db.exists()
