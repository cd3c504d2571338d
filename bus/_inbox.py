"""The inbox our actors use: a C-implemented ``SimpleQueue`` instead of ``queue.Queue``.

pykka's default inbox is ``queue.Queue``, a pure-Python lock-and-condition queue; the
coordinator and agents exchange several messages per stage, and ``SimpleQueue`` makes
each ``put``/``get`` several times cheaper. It satisfies pykka's ``ActorInbox`` protocol
(``put``, ``get``, ``empty``) and, like the default, is unbounded.
"""

from __future__ import annotations

import queue
from typing import Any


def fast_inbox() -> Any:
    """A new actor inbox."""
    return queue.SimpleQueue()
