"""Progress events: immutable facts about runs, in the order they happened.

Every event carries the run id, a per-run sequence number (strictly increasing) and the
run's progress in percent at that moment (never decreasing; 100 only on success). They
encode to JSON with a ``type`` tag, which is what the store and the web stream carry.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec

from ._outcomes import ErrorInfo, RunStatus, StageStatus


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every progress event."""

    kind: ClassVar[str]
    run_id: str
    seq: int
    at: float
    progress: int


class RunStarted(Event, tag="run_started", frozen=True, kw_only=True):
    kind: ClassVar[str] = "run_started"
    workflow: str
    stages: tuple[str, ...]


class StageStarted(Event, tag="stage_started", frozen=True, kw_only=True):
    kind: ClassVar[str] = "stage_started"
    stage: str
    agent: str
    attempt: int


class StageProgress(Event, tag="stage_progress", frozen=True, kw_only=True):
    kind: ClassVar[str] = "stage_progress"
    stage: str
    fraction: float
    message: str = ""


class StageRetrying(Event, tag="stage_retrying", frozen=True, kw_only=True):
    kind: ClassVar[str] = "stage_retrying"
    stage: str
    attempt: int
    delay_s: float
    error: ErrorInfo


class StageFinished(Event, tag="stage_finished", frozen=True, kw_only=True):
    kind: ClassVar[str] = "stage_finished"
    stage: str
    status: StageStatus
    attempts: int
    duration_s: float
    error: ErrorInfo | None = None
    #: its outcome was taken over from an earlier run (a retry) or session (a resumed
    #: run) instead of being performed again.
    reused: bool = False
    #: its output came from the stage cache (``cache = true``): no agent was asked.
    cached: bool = False


class RunFinished(Event, tag="run_finished", frozen=True, kw_only=True):
    kind: ClassVar[str] = "run_finished"
    status: RunStatus
    execution_time_s: float
    error: ErrorInfo | None = None


AnyEvent = RunStarted | StageStarted | StageProgress | StageRetrying | StageFinished | RunFinished
EVENT_TYPES: tuple[type[Event], ...] = (
    RunStarted,
    StageStarted,
    StageProgress,
    StageRetrying,
    StageFinished,
    RunFinished,
)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(AnyEvent)


def encode_event(event: Event) -> bytes:
    """JSON bytes of ``event``, with its ``type`` tag."""
    return _encoder.encode(event)


def decode_event(data: bytes | str) -> AnyEvent:
    """The event encoded by :func:`encode_event`."""
    event: AnyEvent = _decoder.decode(data)
    return event
