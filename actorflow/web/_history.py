"""Runs read back from the run store: statuses, summaries and outputs of past runs.

These functions block on SQLite (and Parquet for outputs): the service calls them
through ``asyncio.to_thread``, never on the loop.
"""

from __future__ import annotations

from typing import Any

from actorflow.api_schema import Progress, StageSummary, WorkflowStatus, WorkflowSummary
from actorflow.contracts import StageProgress
from actorflow.store import RunDetail, RunRecord, RunStore, StoreError

from ._convert import api_status, error_text, run_error, to_json


def _progress(detail: RunDetail) -> Progress:
    current: str | None = None
    message = ""
    for event in detail.events:
        stage = getattr(event, "stage", None)
        if stage is not None:
            current = stage
            message = event.message if isinstance(event, StageProgress) else ""
    return Progress(current_stage=current, completion=detail.run.progress, message=message)


def summary(record: RunRecord) -> WorkflowSummary:
    return WorkflowSummary(
        workflow_id=record.run_id,
        workflow=record.workflow,
        status=api_status(record.status),
        progress=Progress(completion=record.progress),
        error=error_text(run_error(record.error)),
        execution_time=record.execution_time_s,
        error_detail=run_error(record.error),
        started_at=record.started_at,
        finished_at=record.finished_at,
    )


def outputs(store: RunStore, detail: RunDetail) -> dict[str, Any]:
    """Each stage's stored output, by stage name (``Records`` read back from Parquet)."""
    found: dict[str, Any] = {}
    for stage in detail.stages:
        if not stage.has_output:
            continue
        try:
            found[stage.stage] = store.stage_output(detail.run.run_id, stage.stage)
        except (KeyError, StoreError):
            continue  # recorded without an output, or its file is gone: nothing to show
    return found


def status(store: RunStore, run_id: str, rows: int) -> WorkflowStatus | None:
    """A stored run's status with its results; ``None`` if the store does not know it."""
    detail = store.get_run(run_id)
    if detail is None:
        return None
    run = detail.run
    api = api_status(run.status)
    results = None
    if api != "processing":
        results = {name: to_json(value, rows) for name, value in outputs(store, detail).items()}
    return WorkflowStatus(
        workflow_id=run.run_id,
        status=api,
        progress=_progress(detail),
        results=results,
        error=error_text(run_error(run.error)),
        execution_time=run.execution_time_s,
        error_detail=run_error(run.error),
        workflow=run.workflow,
        stages=[
            StageSummary(
                name=s.stage,
                agent=s.agent,
                status=s.status,
                attempts=s.attempts,
                duration_s=s.duration_s,
                error=run_error(s.error),
                reused=s.reused,
                cached=s.cached,
            )
            for s in detail.stages
        ],
        started_at=run.started_at,
        finished_at=run.finished_at,
    )
