"""The envelope: live objects that travel beside a stage message, never inside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from actorflow.contracts import RunStage

from ._cancel import CancelToken

ProgressFn = Callable[[float, str], None]


@dataclass(frozen=True, slots=True)
class Envelope:
    """One stage attempt on its way to an agent.

    Attributes:
        message: the immutable payload.
        reply_to: the actor to tell the ``StageDone`` (the coordinator's ref).
        cancel: set when the attempt is cancelled or times out.
        progress: reports in-stage progress (fraction 0..1, message).
        pool: the agent pool name; ``member`` is filled in by the pool on dispatch.
    """

    message: RunStage
    reply_to: Any
    cancel: CancelToken
    progress: ProgressFn
    pool: str
    member: int = -1
