"""Driving the processor's contract-driven path directly on a table of strings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from actorflow import StageRequest
from actorflow.agents.processing import ProcessingAgent
from actorflow.contracts import Records, StageOutcome, StageSpec


def process_table(
    frame: pl.DataFrame,
    *,
    task: str = "",
    params: Mapping[str, Any] | None = None,
    run_input: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The processor's output for ``frame`` handed over by a stage called ``load``."""
    stage = StageSpec(
        name="process",
        agent="processor",
        task=task,
        depends_on=("load",),
        params=dict(params or {}),
    )
    load = StageOutcome(
        stage="load", agent="table", status="succeeded", output={"records": Records(frame)}
    )
    agent = ProcessingAgent()
    agent.check_params(stage.params, stage="process")
    request = StageRequest.of(stage, input=run_input, dependencies={"load": load})
    return agent.perform(request)


def strings(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows as the extractor yields them: every value text (None stays null)."""
    names = list(dict.fromkeys(k for r in rows for k in r))
    return pl.DataFrame(
        {n: [None if r.get(n) is None else str(r[n]) for r in rows] for n in names},
        schema=dict.fromkeys(names, pl.String),
    )
