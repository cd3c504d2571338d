"""Progress signals: one blinker signal per event kind, plus ``event`` for all of them.

Every signal is sent with ``sender=run_id`` and one keyword argument, ``event``::

    from actorflow.bus import signals

    @signals.stage_finished.connect
    def on_stage_finished(run_id: str, *, event: StageFinished) -> None: ...

Receivers are called in a delivery thread of their own (never in the coordinator's), in
the order events happened; a receiver that raises is logged and keeps receiving, and a
slow one delays only itself. blinker holds receivers weakly: connect a closure or a
lambda with ``weak=False``.
"""

from __future__ import annotations

from blinker import Namespace, Signal

_namespace = Namespace()

run_started: Signal = _namespace.signal("actorflow.run_started", doc="A run started.")
stage_started: Signal = _namespace.signal(
    "actorflow.stage_started", doc="An attempt of a stage was picked up by an agent."
)
stage_progress: Signal = _namespace.signal(
    "actorflow.stage_progress", doc="An agent reported progress inside a stage."
)
stage_retrying: Signal = _namespace.signal(
    "actorflow.stage_retrying", doc="An attempt failed and the stage will be retried."
)
stage_finished: Signal = _namespace.signal(
    "actorflow.stage_finished", doc="A stage reached its terminal state."
)
run_finished: Signal = _namespace.signal(
    "actorflow.run_finished", doc="A run reached its terminal state."
)
event: Signal = _namespace.signal("actorflow.event", doc="Every event, whatever its kind.")

BY_KIND: dict[str, Signal] = {
    "run_started": run_started,
    "stage_started": stage_started,
    "stage_progress": stage_progress,
    "stage_retrying": stage_retrying,
    "stage_finished": stage_finished,
    "run_finished": run_finished,
}

__all__ = [
    "BY_KIND",
    "event",
    "run_finished",
    "run_started",
    "stage_finished",
    "stage_progress",
    "stage_retrying",
    "stage_started",
]
