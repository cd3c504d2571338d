"""What the actor layer builds on: timers, progress bookkeeping, the fast actor inbox
and the log context of an attempt.

Not for workflow authors (they need :mod:`actorflow.bus`: ``signals``, ``CancelToken``,
the asyncio bridge); this is what :mod:`actorflow.actors` and the runtime assemble.
"""

from ._inbox import fast_inbox
from ._log import context_vars
from ._progress import ProgressReporter, RunProgress
from ._timers import TimerHandle, TimerService

__all__ = [
    "ProgressReporter",
    "RunProgress",
    "TimerHandle",
    "TimerService",
    "context_vars",
    "fast_inbox",
]
