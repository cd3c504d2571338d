"""Messy revenue data and workflows for the processing tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from actorflow import Agent, Runtime, StageRequest
from actorflow.agents.extraction import ExtractionAgent
from actorflow.agents.processing import ProcessingAgent
from actorflow.contracts import Records

REPO = Path(__file__).resolve().parents[3]
#: The seed's revenue run input: its processing month and validation rules.
REVENUE_INPUT = {
    "processing_month": "2024-03",
    "validation_rules": {
        "min_revenue": 0.01,
        "max_revenue": 100000,
        "required_fields": ["podcast_name", "revenue", "date"],
    },
}


def load_generator() -> ModuleType:
    # benchmarks/ is a folder of scripts, not a package: load the generator by path.
    spec = importlib.util.spec_from_file_location(
        "_processing_bench_data", REPO / "benchmarks" / "_data.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = load_generator()


def messy_csv(folder: Path, rows: int = 400, seed: int = 11, name: str = "audiomax") -> Path:
    """A seeded messy revenue CSV (every rule of the spec is hit at 400 rows)."""
    return generator.generate_revenue_csv(folder / f"{name}.csv", rows, seed=seed, sources=(name,))


def workflow(
    csv_paths: list[Path], *, task: str = "", params: dict[str, Any] | None = None, **stage: Any
) -> dict[str, Any]:
    """extract (one file source per path) -> process."""
    return {
        "name": "processing",
        "stages": [
            {
                "name": "extract",
                "agent": "extractor",
                "params": {"sources": [{"type": "file", "path": str(p)} for p in csv_paths]},
            },
            {
                "name": "process",
                "agent": "processor",
                "depends_on": ["extract"],
                "task": task,
                "params": params or {},
                **stage,
            },
        ],
    }


def register(runtime: Runtime, processor: Any = ProcessingAgent) -> None:
    runtime.register_agent("extractor", ExtractionAgent)
    runtime.register_agent("processor", processor)


class TableAgent(Agent):
    """Returns ``params.rows`` as Records, values typed as given (numbers stay numbers)."""

    def perform(self, request: StageRequest) -> dict[str, Any]:
        rows = [dict(r) for r in request.params["rows"]]
        return {"records": Records(pl.DataFrame(rows))}
