"""Hostile input ends in one short ``error:`` line with exit code 2: input nested too
deeply, a codec that is not a text encoding, and values too long to quote whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error
from click.testing import Result

Invoke = Callable[..., Result]
WriteWorkflow = Callable[..., Path]

#: Longest error line any of these may print (the reports had 89 KB and 100 KB lines).
MAX_LINE = 400
AGENTS = "cli_agents:register"


def assert_one_short_line(result: Result, *fragments: str) -> str:
    assert_one_line_error(result, *fragments)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines[:3]
    assert len(lines[0]) <= MAX_LINE, (len(lines[0]), lines[0][:300])
    return lines[0]


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
