"""The bundled revenue example: its local API, its workflow and its data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from actorflow import Runtime
from actorflow.agents.extraction import ExtractionAgent
from actorflow.demo import DATA_DIR, DEFAULT_INPUT, MegaphoneServer, revenue_workflow


def test_the_local_api_serves_every_page_and_nothing_else() -> None:
    with MegaphoneServer() as api:
        url: str | None = api.url
        pages = 0
        while url:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = json.loads(response.read())
            pages += 1
            url = urllib.parse.urljoin(url, body["next"]) if body["next"] else None
        assert pages == 3
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(api.url.replace("page_1.json", "..%2Fsecret"), timeout=5)
        assert info.value.code == 404


def test_the_revenue_workflow_points_at_the_server_and_the_bundled_csv() -> None:
    spec = revenue_workflow("http://127.0.0.1:1/megaphone/page_1.json")
    assert [s.name for s in spec.stages] == ["extract", "process", "insights"]
    sources = {s["name"]: s for s in spec.stage("extract").params["sources"]}
    assert sources["megaphone"]["url"] == "http://127.0.0.1:1/megaphone/page_1.json"
    assert sources["audiomax"]["path"] == f"{DATA_DIR}/audiomax.csv"


def test_extraction_reads_both_sources_over_real_http(runtime: Runtime) -> None:
    runtime.register_agent("extractor", ExtractionAgent)
    with MegaphoneServer() as api:
        full = revenue_workflow(api.url)
        extract_only = type(full)(name="extract-only", stages=full.stages[:1])
        result = runtime.run(extract_only, input=DEFAULT_INPUT, timeout=60)
    output = result.output("extract")
    assert result.status == "completed"
    assert dict(output["counts"]) == {"megaphone": 300, "audiomax": 300}
    assert output["errors"] == ()
    assert set(output["records"].frame["source"].unique()) == {"megaphone", "audiomax"}


def test_the_whole_revenue_workflow_ends_in_insights(runtime: Runtime) -> None:
    from actorflow.agents.insights import InsightsAgent
    from actorflow.agents.processing import ProcessingAgent

    runtime.register_agent("extractor", ExtractionAgent)
    runtime.register_agent("processor", ProcessingAgent)
    runtime.register_agent("insights", InsightsAgent)
    with MegaphoneServer() as api:
        result = runtime.run(revenue_workflow(api.url), input=DEFAULT_INPUT, timeout=120)
    assert result.status == "completed", result.error
    processed = result.output("process")
    kept, rejected = len(processed["records"]), len(processed["rejects"])
    assert kept + rejected == 600
    assert rejected > 0  # the sample data is messy on purpose
    assert set(processed["stats"]["operations"]) == {
        "cleaning",
        "normalization",
        "calculations",
        "filtering",
    }
    insights = result.output("insights")
    assert "revenue_by_month.svg" in insights["charts"]
    assert insights["markdown"].strip()
    names = processed["records"].frame["podcast_name"].drop_nulls().to_list()
    assert all(name == name.title() for name in names)  # normalization ran


def test_actorflow_demo_runs_end_to_end_and_writes_its_results(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "actorflow"), "--db", str(tmp_path / "runs.db"),
         "demo", "--output", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout
    assert "Revenue by podcast" in done.stdout
    markdown = (out / "insights.md").read_text()
    for link in re.findall(r"\]\(([^)]+\.svg)\)", markdown):
        assert (out / link).read_text().lstrip().startswith(("<?xml", "<svg"))
    assert (out / "process.records.parquet").exists()
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "actorflow"), "--db", str(tmp_path / "runs.db"),
         "runs", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    runs = json.loads(listed.stdout)
    runs = runs["runs"] if isinstance(runs, dict) else runs
    assert [(r["workflow"], r["status"]) for r in runs] == [("revenue", "completed")]
