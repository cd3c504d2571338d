"""The event bus: progress signals (blinker), ordered delivery to subscribers, cancel
tokens and the asyncio bridge.

Subscribe with :mod:`actorflow.bus.signals` (or ``Runtime.events`` on an event loop); the
pieces the actor layer builds on (timers, progress bookkeeping) are in
:mod:`actorflow.bus.machinery`.
"""

from . import signals
from ._bridge import await_future, await_pykka, iter_events
from ._cancel import CancelToken
from ._hub import EventHub
from ._log import get_logger

__all__ = [
    "CancelToken",
    "EventHub",
    "await_future",
    "await_pykka",
    "get_logger",
    "iter_events",
    "signals",
]
