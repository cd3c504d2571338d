"""Hostile input ends in one short ``error:`` line with exit code 2: input nested too
deeply, a codec that is not a text encoding, and values too long to quote whole."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.cli.cli_helpers import SALES_WORKFLOW, assert_one_line_error

Invoke = Callable[..., Result]
WriteWorkflow = Callable[..., Path]

#: Longest error line any of these may print (the reports had 89 KB and 100 KB lines).
MAX_LINE = 400
AGENTS = "tests.cli.cli_agents:register"


def assert_one_short_line(result: Result, *fragments: str) -> str:
    assert_one_line_error(result, *fragments)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines[:3]
    assert len(lines[0]) <= MAX_LINE, (len(lines[0]), lines[0][:300])
    return lines[0]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100_000, 600])
def test_a_workflow_nested_too_deeply_is_refused_naming_the_file(
    invoke: Invoke, write_workflow: WriteWorkflow, depth: int
) -> None:
    # 100,000 levels overflowed the JSON decoder; 600 got through it and overflowed
    # the freezing of the params (a RecursionError traceback either way).
    workflow = (
        '{"name": "deep", "stages": [{"name": "a", "agent": "table", "params": {"x": '
        + nested(depth)
        + "}}]}"
    )
    path = write_workflow(workflow, "deep.json")

    result = invoke("run", str(path), "--agents", AGENTS)

    assert_one_short_line(result, str(path), "nested more than 100 levels deep")


def test_a_toml_workflow_nested_too_deeply_is_refused(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    path = write_workflow(f'name = "deep"\nx = {nested(100_000)}\n', "deep.toml")

    assert_one_short_line(invoke("run", str(path)), str(path), "nested more than 100 levels")


@pytest.mark.parametrize("depth", [100_000, 600])
def test_an_input_nested_too_deeply_is_refused_naming_the_file(
    invoke: Invoke, write_workflow: WriteWorkflow, tmp_path: Path, depth: int
) -> None:
    given = tmp_path / "input.json"
    given.write_text('{"a": ' + nested(depth) + "}", encoding="utf-8")
    workflow = write_workflow(SALES_WORKFLOW)

    result = invoke("run", str(workflow), "--agents", AGENTS, "--input", f"@{given}")

    assert_one_short_line(result, f"--input file {given}", "nested more than 100 levels deep")


def test_inline_input_and_set_keys_nested_too_deeply_are_refused(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    workflow = str(write_workflow(SALES_WORKFLOW))

    inline = invoke("run", workflow, "--agents", AGENTS, "--input", '{"a": ' + nested(5000) + "}")
    assert_one_short_line(inline, "--input is nested more than 100 levels deep")
    deep_key = ".".join(["k"] * 500) + "=1"
    by_set = invoke("run", workflow, "--agents", AGENTS, "--set", deep_key)
    assert_one_short_line(by_set, "--set is nested more than 100 levels deep", "k.k.k")


@pytest.mark.parametrize("encoding", ["rot13", "base64_codec", "hex_codec", "zlib_codec"])
def test_a_codec_that_is_not_a_text_encoding_is_refused_before_the_run(
    invoke: Invoke, write_workflow: WriteWorkflow, tmp_path: Path, encoding: str
) -> None:
    data = tmp_path / "small.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    path = write_workflow(
        f"""
name = "codec"
[[stages]]
name = "grab"
agent = "extractor"
[[stages.params.sources]]
type = "file"
name = "sales"
path = "{data}"
encoding = "{encoding}"
"""
    )

    result = invoke("run", str(path))

    line = assert_one_short_line(
        result, "stage 'grab'", "source 'sales'", f"encoding {encoding!r} is not a text encoding"
    )
    assert "params.sources[0]" in line


def test_a_huge_stage_name_is_quoted_in_part(invoke: Invoke, write_workflow: WriteWorkflow) -> None:
    workflow = {"name": "long", "stages": [{"name": "a" * 100_000, "agent": "table"}]}
    path = write_workflow(json.dumps(workflow), "long.json")

    line = assert_one_short_line(invoke("run", str(path), "--agents", AGENTS), "invalid stage name")
    assert "(99,920 more characters)" in line


def test_a_cycle_through_10000_stages_is_listed_in_part(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    n = 10_000
    stages = [
        {"name": f"s{i}", "agent": "table", "depends_on": [f"s{(i + 1) % n}"]} for i in range(n)
    ]
    path = write_workflow(json.dumps({"name": "cycle", "stages": stages}), "cycle.json")

    line = assert_one_short_line(
        invoke("run", str(path), "--agents", AGENTS), "dependency cycle of 10,000 stages"
    )
    assert "s0 -> s1 -> " in line
    assert line.endswith("and 9,991 more")


def test_thousands_of_problems_are_counted_not_all_listed(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    stages = [{"name": f"s{i}", "agent": "ghost"} for i in range(5000)]
    path = write_workflow(json.dumps({"name": "ghosts", "stages": stages}), "ghosts.json")

    result = invoke("run", str(path), "--agents", AGENTS)

    assert_one_line_error(result, "stage 's0', field 'agent'", "and 4,980 more problems")
    lines = result.stderr.splitlines()
    assert len(lines) == 21
    assert max(len(line) for line in lines) <= MAX_LINE


def test_a_huge_set_item_is_quoted_in_part(invoke: Invoke, write_workflow: WriteWorkflow) -> None:
    result = invoke("run", str(write_workflow(SALES_WORKFLOW)), "--set", "x" * 100_000)

    assert_one_short_line(result, "--set 'xxx", "expected key=value", "more characters")
