"""What the coordinator asks before it sends a cached stage to an agent.

A stage that opts in (``cache = true``) is looked up when it becomes ready, before its
first attempt: a hit is its output, and the stage succeeds without an agent. Where the
outputs are kept and how the key is made is the cache's business (the run store's);
the coordinator only asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from actorflow.contracts import FrozenMap, StageOutcome, StageSpec


@dataclass(frozen=True, slots=True)
class CacheHit:
    """A stored output that may stand for the stage's."""

    output: Any


class StageCache(Protocol):
    """Called in the coordinator's thread: it must answer quickly and never raise."""

    def lookup(
        self,
        run_id: str,
        stage: StageSpec,
        input: FrozenMap,
        dependencies: Mapping[str, StageOutcome],
    ) -> CacheHit | None: ...
