"""Stage messages: what the coordinator sends an agent and what the agent sends back.

The payload is data only, deeply frozen and picklable, so the same message can later
cross a process boundary. Live objects (reply address, cancellation, progress) travel
beside it in the bus's envelope, never inside it.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from ._freeze import FrozenMap
from ._outcomes import ErrorInfo
from ._workflow import StageSpec


class RunStage(msgspec.Struct, frozen=True, kw_only=True):
    """Perform one attempt of one stage of one run."""

    run_id: str
    workflow: str
    stage: StageSpec
    attempt: int
    input: FrozenMap
    #: outcomes of the stage's dependencies (``StageOutcome``), by stage name.
    dependencies: FrozenMap
    context: FrozenMap


class StageDone(msgspec.Struct, frozen=True, kw_only=True):
    """The result of one attempt."""

    run_id: str
    stage: str
    attempt: int
    status: Literal["succeeded", "failed"]
    output: Any = None
    error: ErrorInfo | None = None
    started_at: float = 0.0
    finished_at: float = 0.0
