"""Runs as JSON documents: what ``run --json`` prints and ``run.json`` holds.

Shape (one object)::

    {"run_id", "workflow", "status", "ok", "execution_time_s", "started_at",
     "finished_at", "error": {"type", "message", "stage", "retryable", "detail"} | null,
     "completed_stages": [...],
     "stages": {name: {"agent", "status", "attempts", "duration_s", "error", "output"}},
     "output_dir": str | null, "files": [...], "recovered": [...]}

Stage outputs are plain JSON (Decimal as a string); records appear as
``{"records": rows, "columns": [...]}`` plus ``csv``/``parquet`` file names when they
were written to an output folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from actorflow.contracts import ErrorInfo, RunResult
from actorflow.store import Recovery, RunDetail

__all__ = ["error_data", "recovery_data", "run_document", "stored_run_document"]


def error_data(error: ErrorInfo | None) -> dict[str, Any] | None:
    """An error as JSON data (its traceback, when recorded, under ``detail``)."""
    if error is None:
        return None
    return {
        "type": error.type,
        "message": error.message,
        "stage": error.stage,
        "retryable": error.retryable,
        "detail": error.detail,
    }


def recovery_data(recovery: Recovery) -> dict[str, Any]:
    """What recovery did with one run a dead process left unfinished."""
    return {
        "run_id": recovery.run_id,
        "workflow": recovery.workflow,
        "action": recovery.action,
        "reason": recovery.reason,
        "reused": list(recovery.reused),
    }


def run_document(
    result: RunResult,
    outputs: Mapping[str, Any],
    *,
    output_dir: Path | None = None,
    files: Sequence[str] = (),
    recoveries: Sequence[Recovery] = (),
) -> dict[str, Any]:
    """A finished run as JSON data.

    Args:
        result: the run's result.
        outputs: each stage's output as JSON data (see ``to_jsonable``).
        output_dir: where its results were written, if they were.
        files: the files written there.
        recoveries: runs of a dead process that were recovered by this invocation.
    """
    return {
        "run_id": result.run_id,
        "workflow": result.workflow,
        "status": result.status,
        "ok": result.ok,
        "execution_time_s": result.execution_time_s,
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "error": error_data(result.error),
        "completed_stages": list(result.completed_stages),
        "stages": {
            name: {
                "agent": outcome.agent,
                "status": outcome.status,
                "attempts": outcome.attempts,
                "duration_s": outcome.duration_s,
                "error": error_data(outcome.error),
                "output": outputs.get(name),
            }
            for name, outcome in result.stages.items()
        },
        "output_dir": str(output_dir) if output_dir is not None else None,
        "files": list(files),
        "recovered": [recovery_data(r) for r in recoveries],
    }


def stored_run_document(
    detail: RunDetail,
    outputs: Mapping[str, Any],
    *,
    output_dir: Path | None = None,
    files: Sequence[str] = (),
) -> dict[str, Any]:
    """A run from the store as JSON data, shaped like :func:`run_document`'s."""
    run = detail.run
    return {
        "run_id": run.run_id,
        "workflow": run.workflow,
        "status": run.status,
        "ok": run.status == "completed",
        "execution_time_s": run.execution_time_s,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "error": error_data(run.error),
        "completed_stages": [s.stage for s in detail.stages if s.status == "succeeded"],
        "stages": {
            stage.stage: {
                "agent": stage.agent,
                "status": stage.status,
                "attempts": stage.attempts,
                "duration_s": stage.duration_s,
                "error": error_data(stage.error),
                "output": outputs.get(stage.stage),
            }
            for stage in detail.stages
        },
        "output_dir": str(output_dir) if output_dir is not None else None,
        "files": list(files),
        "resumes": run.resumes,
    }
