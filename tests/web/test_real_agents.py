"""The default workflow on the real built-in agents (extraction, processing, insights)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import aiohttp
import pytest

from actorflow import Runtime
from actorflow.web import Settings, create_app, register_builtin_agents
from tests.web.web_server import Served, start_site

_MISSING = [
    name
    for name in ("actorflow.agents.processing", "actorflow.agents.insights")
    if importlib.util.find_spec(name) is None
]
pytestmark = pytest.mark.skipif(
    bool(_MISSING), reason=f"built-in agent modules not installed yet: {', '.join(_MISSING)}"
)

MESSY = [
    {
        "id": "1",
        "podcast_name": "  the daily  show ",
        "revenue": "$1,250.50",
        "impressions": "100,000",
        "date": "2024-01-15",
    },
    {
        "id": "2",
        "podcast_name": "tech talk",
        "revenue": "980.00",
        "impressions": "45000",
        "date": "01/20/2024",
    },
    {
        "id": "2",
        "podcast_name": "tech talk",
        "revenue": "980.00",
        "impressions": "45000",
        "date": "01/20/2024",
    },
    {
        "id": "3",
        "podcast_name": "morning brief",
        "revenue": "N/A",
        "impressions": "0",
        "date": "2024-02-10",
    },
]


async def test_the_default_workflow_cleans_processes_and_charts_with_the_real_agents(
    runtime: Runtime, tmp_path: Path
) -> None:
    assert {"extractor", "processor", "insights"} <= set(register_builtin_agents(runtime))
    app = create_app(runtime, db=str(tmp_path / "runs.db"), settings=Settings())
    runner, url = await start_site(app)
    try:
        async with aiohttp.ClientSession() as http:
            served = Served(url, app, runner, http)
            run_id = await served.execute(
                {
                    "task": "Clean, normalize, validate and calculate revenue metrics",
                    "input_data": {
                        "records": MESSY,
                        "validation_rules": {"min_revenue": 0.01, "max_revenue": 100000},
                    },
                }
            )
            final = await served.wait_done(run_id, within=60)
            assert final["status"] == "completed", final["error"]
            processed = final["results"]["processing"]
            rows = processed["records"]["rows"]
            assert [row["revenue"] for row in rows] == ["1250.50", "980.00"]
            assert rows[0]["podcast_name"] == "The Daily Show"
            assert processed["rejects"]["count"] == 2  # the duplicate and "N/A"
            insights = final["results"]["insights"]
            assert any(
                svg.lstrip().startswith(("<svg", "<?xml")) for svg in insights["charts"].values()
            )
            assert insights["insights"][0]["sentence"]

            async with http.get(f"{url}/v1/workflows/{run_id}/results?format=csv") as response:
                assert response.status == 200
                text = await response.text()
            assert "1250.50" in text
            assert "The Daily Show" in text
    finally:
        await runner.cleanup()
