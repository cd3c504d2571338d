"""Agents for the web tests.

The real extraction agent reads the sources; ``processor`` and ``insights`` are stand-ins
with the built-in agents' names (their modules may not be installed yet) that do
recognisable work: the processor upper-cases names and drops records without a revenue
(rejects them with a reason), the insights agent totals revenue and draws one SVG chart.
``Gate`` holds a stage until a test opens its gate, so a run can be watched mid-way.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any, ClassVar

import polars as pl

from actorflow import Agent, Records, Runtime, StageRequest
from actorflow.agents.extraction import ExtractionAgent

CHART = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120" viewBox="0 0 320 120">'
    '<rect x="10" y="20" width="120" height="90" fill="#1f5fbf"/>'
    '<rect x="150" y="50" width="120" height="60" fill="#1d7a43"/>'
    '<text x="10" y="14" font-size="12">revenue by month</text></svg>'
)


class StandInProcessor(Agent):
    """Upper-cases podcast names; rejects records without revenue."""

    role = "processor"
    description = "Stand-in processing agent for the web tests"
    expertise = ("cleaning", "normalization")

    def perform(self, request: StageRequest) -> Any:
        records: Records = request.output("extraction")["records"]
        request.report_progress(0.5, f"processing {len(records)} records")
        frame = records.frame
        has_revenue = (
            pl.col("revenue").is_not_null() if "revenue" in frame.columns else pl.lit(True)
        )
        kept = frame.filter(has_revenue)
        if "podcast_name" in kept.columns:
            kept = kept.with_columns(pl.col("podcast_name").str.to_uppercase())
        rejected = frame.filter(~has_revenue).with_columns(
            pl.lit("revenue: missing").alias("reason")
        )
        return {
            "records": Records(kept),
            "rejects": Records(rejected),
            "stats": {"input": frame.height, "output": kept.height, "task": request.task},
        }


class StandInInsights(Agent):
    """Totals the revenue and draws one chart."""

    role = "insights"
    description = "Stand-in insights agent for the web tests"
    expertise = ("totals", "charts")

    def perform(self, request: StageRequest) -> Any:
        records: Records = request.output("processing")["records"]
        total = sum(
            (Decimal(str(v).replace("$", "").replace(",", "")) for v in records.frame["revenue"])
            if "revenue" in records.columns
            else (),
            Decimal("0.00"),
        )
        return {
            "insights": [{"kind": "total", "sentence": f"Total revenue is {total}."}],
            "totals": {"revenue": total, "records": len(records)},
            "charts": {"revenue_by_month": CHART},
        }


class Gate(Agent):
    """Reports progress, then waits until the test opens the gate named in its params."""

    role = "gate"
    gates: ClassVar[dict[str, threading.Event]] = {}
    entered: ClassVar[dict[str, threading.Event]] = {}

    @classmethod
    def make(cls, name: str) -> tuple[threading.Event, threading.Event]:
        cls.gates[name] = threading.Event()
        cls.entered[name] = threading.Event()
        return cls.gates[name], cls.entered[name]

    def perform(self, request: StageRequest) -> Any:
        name = request.params["gate"]
        request.report_progress(0.25, "waiting at the gate")
        self.entered[name].set()
        while not self.gates[name].wait(0.05):
            request.raise_if_cancelled()
        return {"gate": name}


def register_agents(runtime: Runtime, *, gate: bool = True) -> None:
    runtime.register_agent("extractor", ExtractionAgent, concurrency=2)
    runtime.register_agent("processor", StandInProcessor, concurrency=2)
    runtime.register_agent("insights", StandInInsights, concurrency=2)
    if gate:
        runtime.register_agent("gate", Gate, concurrency=4)


def gated_workflow(gate: str) -> dict[str, Any]:
    """A ``workflow_config`` of one gate stage then the default pipeline's processing."""
    return {
        "name": "gated",
        "stages": [
            {"name": "extraction", "agent": "extractor"},
            {
                "name": "hold",
                "agent": "gate",
                "params": {"gate": gate},
                "depends_on": ["extraction"],
            },
            {"name": "processing", "agent": "processor", "depends_on": ["extraction", "hold"]},
        ],
    }


RECORDS = [
    {"id": "1", "podcast_name": "the daily", "revenue": "100.50", "date": "2024-01-05"},
    {"id": "2", "podcast_name": "tech talk", "revenue": "200.25", "date": "2024-02-11"},
    {"id": "3", "podcast_name": "no money", "revenue": None, "date": "2024-02-12"},
]
