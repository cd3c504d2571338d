"""Run observers: what sees a run's spec and input, and each stage's output (the run
store is one), and the list a runtime tells them from."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Protocol

from actorflow.bus import get_logger
from actorflow.contracts import ActorflowError, FrozenMap, StageOutcome, WorkflowSpec

_log = get_logger("runtime")


class RunObserver(Protocol):
    """Sees what events do not carry: a run's spec and input, and each stage's output.

    Both methods are called inline: the first in the submitting thread before the run
    starts, the second in the coordinator's thread just before the stage's
    ``StageFinished``, so the second must only hand things on, never wait. The run
    store is one; its resume needs outputs before the run ends, and it commits each
    submission before ``submit`` returns. ``run_submitted`` may refuse a run by raising
    an ``ActorflowError`` (the store does when it cannot record it): the run does not
    start and ``submit`` raises that error.
    """

    def run_submitted(
        self,
        run_id: str,
        spec: WorkflowSpec,
        input: FrozenMap,
        context: FrozenMap,
        resume_from: Mapping[str, StageOutcome],
    ) -> None: ...

    def stage_finished(self, run_id: str, outcome: StageOutcome) -> None: ...


class Observers:
    """The observers of one runtime; telling them never raises."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Replaced, never mutated: the coordinator's thread reads it without the lock.
        self._observers: tuple[RunObserver, ...] = ()

    def add(self, observer: RunObserver) -> Callable[[], None]:
        """Add ``observer``; returns a function that removes it."""
        with self._lock:
            self._observers = (*self._observers, observer)

        def remove() -> None:
            with self._lock:
                self._observers = tuple(o for o in self._observers if o is not observer)

        return remove

    def run_submitted(
        self,
        run_id: str,
        spec: WorkflowSpec,
        input: FrozenMap,
        context: FrozenMap,
        resume_from: Mapping[str, StageOutcome],
    ) -> None:
        for observer in self._observers:
            try:
                observer.run_submitted(run_id, spec, input, context, resume_from)
            except ActorflowError:
                raise  # a refusal (the store cannot record the run): nothing started
            except Exception:  # noqa: BLE001 - an observer's bug must not stop the run
                _log.exception("run observer failed", run_id=run_id)

    def stage_finished(self, run_id: str, outcome: StageOutcome) -> None:
        for observer in self._observers:
            try:
                observer.stage_finished(run_id, outcome)
            except Exception:  # noqa: BLE001 - the coordinator must not fail for an observer
                _log.exception("run observer failed", run_id=run_id, stage=outcome.stage)
