"""Message routing, agent pools, progress signals and the asyncio bridge."""

from . import signals
from ._bridge import await_future, await_pykka, iter_events
from ._cancel import CancelToken
from ._hub import EventHub
from ._inbox import fast_inbox
from ._log import context_vars, get_logger
from ._progress import ProgressReporter, RunProgress
from ._timers import TimerHandle, TimerService

__all__ = [
    "CancelToken",
    "EventHub",
    "ProgressReporter",
    "RunProgress",
    "TimerHandle",
    "TimerService",
    "await_future",
    "await_pykka",
    "context_vars",
    "fast_inbox",
    "get_logger",
    "iter_events",
    "signals",
]
