"""A generic table's insights through the web API: sentences and charts in the results."""

from __future__ import annotations

from typing import Any

import polars as pl

from actorflow import Agent, Runtime, StageRequest
from actorflow.agents.insights import InsightsAgent
from actorflow.contracts import thaw
from tests.agents.insights.table_helpers import processing_output, seed_campaigns, typed_frame
from tests.agents.insights.test_tables import CAMPAIGNS
from tests.web.web_server import MakeServer


class CampaignProcessor(Agent):
    """Types the run input's campaigns as the contract-driven processing does."""

    role = "processor"
    description = "Stand-in contract-driven processing for the generic insights"

    def perform(self, request: StageRequest) -> Any:
        rows = thaw(request.input)["campaigns"]
        frame = typed_frame(rows, CAMPAIGNS).with_columns(
            (pl.col("clicks") / pl.col("impressions")).alias("ctr")
        )
        return processing_output(frame, CAMPAIGNS, calculations={"ctr": "clicks / impressions"})


async def test_the_api_results_carry_a_generic_tables_sentences_and_charts(
    agents_runtime: Runtime, make_server: MakeServer
) -> None:
    agents_runtime.register_agent("table_processor", CampaignProcessor)
    agents_runtime.register_agent("table_insights", InsightsAgent)
    server = await make_server()
    config = {
        "stages": [
            {"name": "process", "agent": "table_processor"},
            {"name": "insights", "agent": "table_insights", "depends_on": ["process"],
             "params": {"entity": "campaign"}},
        ]
    }  # fmt: skip
    run_id = await server.execute(
        {
            "task": "Analyze marketing campaign performance",
            "input_data": {"campaigns": seed_campaigns()},
            "workflow_config": config,
        }
    )
    status = await server.wait_done(run_id)
    assert status["status"] == "completed", status
    insights = status["results"]["insights"]
    sentences = [i["sentence"] for i in insights["insights"]]
    assert sentences[0].startswith("Total spend is 900.00 across 2 campaigns")
    assert any(s.startswith("Overall ctr is 1.5%") for s in sentences)
    assert insights["summary"]["measures"]["impressions"]["total"] == "18000"
    assert insights["charts"]["top_name.svg"].lstrip().startswith("<?xml")
    assert insights["markdown"].startswith("# Insights on spend")
