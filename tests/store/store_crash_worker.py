"""A process that gets killed mid-run: ``store_crash_worker.py DB COUNTER RELEASE``.

It records two runs: ``crashy`` (agents the next process has too) and ``legacy`` (its
second stage's agent exists only here). Both block in their second stage until
RELEASE exists, which the test only creates after it killed this process.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from actorflow import Runtime
from actorflow.store import RunStore
from tests.store.store_agents import WaitForFile, crash_workflow, register_agents


def main(db: str, counter: Path, release: Path) -> None:
    store = RunStore(db)
    runtime = Runtime()
    register_agents(runtime)
    runtime.register_agent("waiting", WaitForFile)
    runtime.register_agent("legacy", WaitForFile)
    store.attach(runtime)
    runtime.submit(crash_workflow(counter, release), run_id="crashy")
    runtime.submit(
        crash_workflow(counter, release, name="legacy", waiting="legacy"), run_id="legacy"
    )
    threading.Event().wait()  # until killed


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
