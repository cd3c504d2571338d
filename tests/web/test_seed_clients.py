"""Clients written against the seed work unchanged against ``actorflow serve``.

The seed document's ``Level2Client`` (``tests/web/seed_client.py``) and its five cURL
commands (``tests/web/seed_curl.py``) run as written against a real ``actorflow serve``
process with the built-in agents; every field the seed's models name is checked. The
seed's default ``workflow_config`` and its revenue example's ``input_data`` (sources by
name, processing month, validation rules) run to ``completed`` through the API, reading
the bundled demo data and the local demo API.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from actorflow.demo import DATA_DIR, MegaphoneServer
from tests.web.seed_client import Level2Client
from tests.web.seed_curl import SEED_CURL

ACTORFLOW = str(Path(sys.executable).parent / "actorflow")
SEED_URL = "http://localhost:8000"
WF_ID = re.compile(r"^wf_[0-9a-f]{32}$")

#: The seed's ``_create_default_workflow_config()`` (level2_api_wrapper.py), as written.
SEED_DEFAULT_WORKFLOW_CONFIG: dict[str, Any] = {
    "stages": [
        {"name": "extraction", "agent": "data_extractor", "timeout": 60, "retry_count": 2},
        {
            "name": "processing",
            "agent": "data_processor",
            "timeout": 120,
            "retry_count": 2,
            "depends_on": ["extraction"],
        },
        {
            "name": "insights",
            "agent": "insights_generator",
            "timeout": 90,
            "retry_count": 1,
            "depends_on": ["processing"],
        },
    ],
    "global_timeout": 300,
    "enable_progress_tracking": True,
}

#: The seed's revenue example's ``WorkflowConfig`` (revenue_processing_system.py), as the
#: JSON of its fields; but its workflow_name, "Revenue Data Processing", has spaces, and
#: workflow names are identifiers in actorflow (stored, listed, used in file names): a
#: name with spaces is refused naming workflow_config.workflow_name (tested below).
SEED_REVENUE_WORKFLOW_CONFIG: dict[str, Any] = {
    "workflow_name": "revenue_data_processing",
    "stages": [
        {
            "name": "extract_revenue_data",
            "agent_name": "data_extractor",
            "task_template": "Extract revenue data from Megaphone and Audiomax sources",
        },
        {
            "name": "process_revenue_data",
            "agent_name": "data_processor",
            "task_template": "Clean, validate and calculate derived metrics for revenue data",
            "depends_on": ["extract_revenue_data"],
        },
    ],
    "context_sharing_enabled": True,
    "progress_tracking_enabled": True,
}


def seed_revenue_input(megaphone_url: str) -> dict[str, Any]:
    """The seed's revenue ``input_data``, its sources pointing at the demo's API and CSV."""
    return {
        "sources": {
            "megaphone": {"type": "api", "url": megaphone_url},
            "audiomax": {"type": "file", "path": str(DATA_DIR / "audiomax.csv")},
        },
        "processing_month": "2024-11",
        "validation_rules": {
            "min_revenue": 0.01,
            "max_revenue": 100000.00,
            "required_fields": ["podcast_name", "revenue", "date"],
        },
    }


@dataclass
class Served:
    url: str
    megaphone_url: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``actorflow serve`` (built-in agents) reading the demo data, and the demo's API."""
    folder = tmp_path_factory.mktemp("seed")
    env = {
        **os.environ,
        "ACTORFLOW_DATA_ROOTS": str(DATA_DIR),
        "ACTORFLOW_ALLOWED_HOSTS": "127.0.0.1",  # the local demo API
    }
    env.pop("ACTORFLOW_API_TOKEN", None)
    with MegaphoneServer() as megaphone:
        proc = subprocess.Popen(
            [ACTORFLOW, "--db", str(folder / "runs.db"), "serve", "--port", "0"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=(folder / "server.log").open("w"),
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # blocks until the server says it listens
            assert "serving on http://127.0.0.1:" in line, (folder / "server.log").read_text()
            yield Served(line.split("serving on ", 1)[1].split()[0].rstrip("/"), megaphone.url)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def wait_done(url: str, run_id: str, within: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        answer = requests.get(f"{url}/v1/workflows/{run_id}/status", timeout=10)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["status"] != "processing":
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def check_workflow_response(body: Any) -> None:
    """Every field of the seed's ``WorkflowResponse``, with the seed's types."""
    assert isinstance(body, dict), body
    assert WF_ID.match(body["workflow_id"]), body
    assert body["status"] in ("processing", "completed", "failed", "cancelled"), body
    assert isinstance(body["progress"], dict)
    assert isinstance(body["results"], dict | type(None))
    assert isinstance(body["error"], str | type(None))
    assert isinstance(body["execution_time"], float | int | type(None))


def test_the_seeds_level2_client_runs_unchanged(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    client = Level2Client(served.url)

    # The seed's "Example 1: Process financial data", as its main() does it.
    financial_data = {
        "records": [
            {"date": "2024-01-15", "revenue": "1500.75", "currency": "USD"},
            {"date": "2024-01-16", "revenue": "1200.50", "currency": "USD"},
        ]
    }
    result = client.execute_workflow(
        task="Process and analyze financial revenue data", input_data=financial_data
    )
    json.dumps(result, indent=2)  # main() prints it so: it must be plain JSON
    assert set(result) == {"extraction", "processing", "insights"}
    assert result["extraction"]["records"]["count"] == 2
    # Processed by the contract inferred from the records: none is rejected.
    assert result["processing"]["rejects"]["count"] == 0
    assert result["processing"]["records"]["count"] == 2
    assert result["processing"]["contract_source"] == "inferred"
    # The generic insights of an inferred contract: the seed's own total.
    assert result["insights"]["summary"]["data_quality"]["records_in"] == 2
    totals = [i for i in result["insights"]["insights"] if i["kind"] == "totals"]
    assert totals and "2,701.25" in totals[0]["sentence"], totals

    # "Example 2: Process marketing data (async)".
    marketing_data = {
        "campaigns": [
            {"name": "Campaign A", "impressions": 10000, "clicks": 150, "spend": 500},
            {"name": "Campaign B", "impressions": 8000, "clicks": 120, "spend": 400},
        ]
    }
    async_result = client.execute_workflow(
        task="Analyze marketing campaign performance",
        input_data=marketing_data,
        wait_for_completion=False,
    )
    assert async_result["status"] == "submitted"
    assert WF_ID.match(async_result["workflow_id"])
    final = wait_done(served.url, async_result["workflow_id"])
    check_workflow_response(final)
    capsys.readouterr()  # the client's progress lines, if it polled while processing


def seed_commands(url: str, run_id: str) -> list[list[str]]:
    """The seed's cURL commands, one argv each, for the server at ``url``."""
    text = SEED_CURL.replace(SEED_URL, url).replace("wf_12345678", run_id)
    commands = []
    for block in text.split("\n\n"):  # a comment line, then one command
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        commands.append(shlex.split("\n".join(lines).replace("\\\n", " ")))
    return commands


def run_curl(argv: list[str]) -> Any:
    """One command: by the curl binary when there is one, else the same request."""
    if shutil.which("curl") is not None:
        done = subprocess.run(
            [*argv, "--max-time", "30"], capture_output=True, check=True, text=True
        )
        return json.loads(done.stdout)
    args = iter(argv[1:])
    method, url, headers, data = "GET", "", {}, None
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, _, value = next(args).partition(": ")
            headers[name] = value
        elif arg == "-d":
            data = next(args)
            method = "POST" if method == "GET" else method
        else:
            url = arg
    return requests.request(method, url, headers=headers, data=data, timeout=30).json()


def test_the_seeds_curl_commands_answer_in_the_seeds_shapes(served: Served) -> None:
    start, status_cmd, listing_cmd, health_cmd, capabilities_cmd = seed_commands(
        served.url, "wf_12345678"
    )
    started = run_curl(start)
    check_workflow_response(started)
    assert started["status"] == "processing"
    assert started["progress"]["completion"] == 0
    assert (started["results"], started["error"], started["execution_time"]) == (None,) * 3
    run_id = started["workflow_id"]
    wait_done(served.url, run_id)

    # The seed's placeholder id has the seed's shape: wf_ and 8 hex digits. That much of
    # a real id names the run (a unique prefix); the placeholder itself names none.
    short = run_id[: len("wf_12345678")]
    _, status_cmd, *_ = seed_commands(served.url, short)
    status = run_curl(status_cmd)
    check_workflow_response(status)
    assert status["workflow_id"] == run_id
    assert status["status"] == "completed", status
    assert status["error"] is None
    assert status["progress"]["completion"] == 100
    assert status["results"]["extraction"]["records"]["count"] == 2
    assert status["execution_time"] > 0
    missing = requests.get(f"{served.url}/v1/workflows/wf_12345678/status", timeout=10)
    assert missing.status_code == 404

    listing = run_curl(listing_cmd)
    assert isinstance(listing, list)
    assert 1 <= len(listing) <= 10
    for run in listing:
        check_workflow_response(run)
    assert run_id in [run["workflow_id"] for run in listing]

    health = run_curl(health_cmd)
    assert health["status"] == "healthy"
    assert isinstance(health["active_workflows"], int)
    assert health["total_workflows"] >= 1
    assert health["agents"] == {"extractor": "ready", "processor": "ready", "insights": "ready"}

    capabilities = run_curl(capabilities_cmd)
    agents = capabilities["agents"]
    assert set(agents) == {"extractor", "processor", "insights"}
    for agent in agents.values():
        assert isinstance(agent["role"], str)
        assert agent["role"]
        assert isinstance(agent["expertise"], list)
        assert all(isinstance(x, str) for x in agent["expertise"])
        assert agent["model"] is None  # no narrator is set up
    assert agents["extractor"]["aliases"] == ["data_extractor"]


def test_the_seeds_default_workflow_config_and_revenue_input_complete(served: Served) -> None:
    answer = requests.post(
        f"{served.url}/v1/workflows/execute",
        json={
            "task": "Process podcast revenue and generate insights",
            "input_data": seed_revenue_input(served.megaphone_url),
            "workflow_config": SEED_DEFAULT_WORKFLOW_CONFIG,
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    started = answer.json()
    assert started["stages"] == ["extraction", "processing", "insights"]
    final = wait_done(served.url, started["workflow_id"])
    check_workflow_response(final)
    assert final["status"] == "completed", final
    assert [(s["name"], s["agent"]) for s in final["stages"]] == [
        ("extraction", "extractor"),
        ("processing", "processor"),
        ("insights", "insights"),
    ]
    table = requests.get(
        f"{served.url}/v1/workflows/{final['workflow_id']}/results",
        params={"format": "csv", "stage": "extraction"},
        timeout=30,
    ).text.splitlines()
    source = table[0].split(",").index("source")
    assert {line.split(",")[source] for line in table[1:]} == {"megaphone", "audiomax"}
    summary = final["results"]["insights"]["summary"]
    assert summary["record_count"] > 0
    # processing_month and validation_rules reach the stages, as before.
    assert summary["data_quality"]["processing_month"] == "2024-11"


def test_the_seeds_revenue_workflow_runs_through_the_api(served: Served) -> None:
    answer = requests.post(
        f"{served.url}/v1/workflows/execute",
        json={
            "task": "Process podcast revenue",
            "input_data": seed_revenue_input(served.megaphone_url),
            "workflow_config": SEED_REVENUE_WORKFLOW_CONFIG,
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["workflow"] == "revenue_data_processing"
    final = wait_done(served.url, answer.json()["workflow_id"])
    assert final["status"] == "completed", final
    assert final["results"]["process_revenue_data"]["records"]["count"] > 0


def test_a_workflow_name_with_spaces_is_refused_naming_the_seeds_field(served: Served) -> None:
    answer = requests.post(
        f"{served.url}/v1/workflows/execute",
        json={
            "task": "t",
            "workflow_config": {
                **SEED_REVENUE_WORKFLOW_CONFIG,
                "workflow_name": "Revenue Data Processing",
            },
        },
        timeout=30,
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "workflow_config.workflow_name"


SEED_EXAMPLES = [
    (
        "Process and analyze financial revenue data",
        {
            "records": [
                {"date": "2024-01-15", "revenue": "1500.75", "currency": "USD"},
                {"date": "2024-01-16", "revenue": "1200.50", "currency": "USD"},
            ]
        },
        {"revenue": "2701.25"},
    ),
    (
        "Analyze marketing campaign performance",
        {
            "campaigns": [
                {"name": "Campaign A", "impressions": 10000, "clicks": 150, "spend": 500},
                {"name": "Campaign B", "impressions": 8000, "clicks": 120, "spend": 400},
            ]
        },
        {"impressions": "18000", "clicks": "270", "spend": "900"},
    ),
    (
        "Process customer data and generate insights",
        {
            "customers": [
                {"id": 1, "name": "John Doe", "purchases": 5, "total_spent": 250.50},
                {"id": 2, "name": "Jane Smith", "purchases": 3, "total_spent": 180.25},
            ]
        },
        {"purchases": "8", "total_spent": "430.75"},
    ),
]


@pytest.mark.parametrize(("task", "input_data", "totals"), SEED_EXAMPLES)
def test_the_seeds_api_examples_are_processed_by_their_contracts(
    served: Served, task: str, input_data: dict[str, Any], totals: dict[str, str]
) -> None:
    answer = requests.post(
        f"{served.url}/v1/workflows/execute",
        json={"task": task, "input_data": input_data},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    final = wait_done(served.url, answer.json()["workflow_id"])
    # The processing stage's own result (the insights engineer checks the insights).
    stages = {s["name"]: s for s in final["stages"]}
    assert stages["processing"]["status"] in ("succeeded", "completed"), final
    processing = final["results"]["processing"]
    assert processing["rejects"]["count"] == 0
    assert processing["contract_source"] == "inferred"
    assert processing["quality_metrics"]["data_retention_rate"] == 1.0
    rows = processing["records"]["rows"]
    for name, total in totals.items():
        assert sum(Decimal(str(row[name])) for row in rows) == Decimal(total), name
    if "clicks" in totals:
        assert processing["calculations"]["ctr"]["expression"] == "clicks / impressions"
