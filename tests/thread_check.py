"""Which actorflow threads are still alive (for clean-shutdown tests)."""

from __future__ import annotations

import threading


def actor_threads() -> list[threading.Thread]:
    """Threads started by actorflow or pykka that are still alive."""
    prefixes = ("AgentActor", "Coordinator", "actorflow-")
    return [t for t in threading.enumerate() if t.name.startswith(prefixes) and t.is_alive()]
