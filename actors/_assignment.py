"""An assignment: one stage attempt handed to a pool member, with the live objects
(reply address, cancel token, progress callback) that travel beside the immutable
``RunStage`` message, never inside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pykka

from actorflow.bus import CancelToken
from actorflow.contracts import FrozenMap, RunStage

ProgressFn = Callable[[float, str], None]


@dataclass(frozen=True, slots=True)
class Assignment:
    """One stage attempt on its way to an agent.

    Attributes:
        message: the immutable payload.
        reply_to: the actor to tell the ``StageDone`` (the coordinator's ref; ``None`` on
            a Ray worker, whose host answers through Ray instead).
        cancel: set when the attempt is cancelled or times out.
        progress: reports in-stage progress (fraction 0..1, message).
        pool: the agent pool name; ``member`` is filled in by the pool on dispatch.
    """

    message: RunStage
    reply_to: pykka.ActorRef[Any] | None
    cancel: CancelToken
    progress: ProgressFn
    pool: str
    member: int = -1

    def spend(self) -> None:
        """Drop the payload once its attempt has ended.

        The payload holds the run's input and the dependencies' outputs, and whoever
        still holds the assignment (pykka keeps an actor's last message) would keep them
        alive. What is left names the attempt (run, stage, attempt number) and no more.
        """
        light = msgspec.structs.replace(
            self.message, input=FrozenMap(), dependencies=FrozenMap(), context=FrozenMap()
        )
        object.__setattr__(self, "message", light)  # frozen for everyone else
