"""Live statistics of one agent kind, as its pool counts them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PoolStats:
    """Live statistics of one agent kind.

    Attributes:
        executions: attempts finished, successes and failures alike.
        successes: attempts that succeeded.
        failures: attempts that failed (timed-out attempts are not counted: no reply).
        mean_duration_s: the mean duration of finished attempts.
        restarts: member actors replaced after they died.
        busy: members performing an attempt now.
        waiting: attempts waiting for a free member.
    """

    executions: int = 0
    successes: int = 0
    failures: int = 0
    mean_duration_s: float = 0.0
    restarts: int = 0
    busy: int = 0
    waiting: int = 0
