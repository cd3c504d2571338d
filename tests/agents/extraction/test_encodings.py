"""A file source's encoding must be a text encoding: codecs such as rot13 (str to str)
or base64_codec (bytes to bytes) are refused when the params are checked, naming the
stage, the source and the value, instead of failing mid-read with a traceback."""

from __future__ import annotations

import pytest

from actorflow.agents.extraction import parse_params
from actorflow.contracts import WorkflowValidationError


@pytest.mark.parametrize("encoding", ["rot13", "base64_codec", "hex", "zlib", "uu_codec"])
def test_only_text_encodings_pass_validation(encoding: str) -> None:
    source = {"type": "file", "name": "sales", "path": "sales.csv", "encoding": encoding}
    with pytest.raises(WorkflowValidationError) as refused:
        parse_params({"sources": [source]}, stage="grab")
    (problem,) = refused.value.problems
    assert (problem.source, problem.stage, problem.field) == (
        "source 'sales'",
        "grab",
        "params.sources[0]",
    )
    assert f"encoding {encoding!r} is not a text encoding" in problem.message


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "cp1252", "utf-16", "UTF8"])
def test_text_encodings_still_pass(encoding: str) -> None:
    source = {"type": "file", "name": "sales", "path": "sales.csv", "encoding": encoding}
    assert parse_params({"sources": [source]}).sources[0].encoding == encoding  # type: ignore[union-attr]
