"""Schemathesis against the server's own ``/openapi.json``: no 5xx, no schema violations."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from actorflow.web import Settings
from actorflow.web._openapi import openapi_document
from tests.web.web_process import served_in_process

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


SETTINGS = Settings(max_concurrent_runs=8)
# The document the server serves at /openapi.json (a test below checks they are equal).
schema = schemathesis.openapi.from_dict(msgspec.json.decode(openapi_document(SETTINGS)))


@pytest.fixture
def base_url(db_path: Path, data_root: Path, tmp_path: Path) -> Iterator[str]:
    # In a process of its own: see web_process.py for why not a thread of this one.
    fields = {"max_concurrent_runs": SETTINGS.max_concurrent_runs, "data_roots": [str(data_root)]}
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with served_in_process(db_path, msgspec.json.encode(fields).decode(), folder=tmp_path) as url:
        yield url


def test_the_served_document_is_the_one_tested(base_url: str) -> None:
    with urllib.request.urlopen(base_url + "/openapi.json") as response:
        assert msgspec.json.decode(response.read()) == schema.raw_schema


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_openapi_document(case: schemathesis.Case, base_url: str) -> None:
    case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=10)
