"""A process that records runs into a shared store: ``store_writer_worker.py DB N TAG``.

It says ``ready`` on stdout once its store is open, and starts submitting when it reads
a line on stdin, so the test can make two of them write at the same moment.
"""

from __future__ import annotations

import sys

from actorflow import Runtime
from actorflow.store import RunStore
from tests.store.store_agents import register_agents


def main(db: str, count: int, tag: str) -> None:
    workflow = {
        "name": f"from-{tag}",
        "stages": [
            {"name": "load", "agent": "returns", "params": {"records": 3}},
            {"name": "sum", "agent": "returns", "depends_on": ["load"]},
        ],
    }
    with Runtime() as runtime, RunStore(db, busy_timeout_s=10.0) as store:
        register_agents(runtime)
        store.attach(runtime, recover=False)
        print("ready", flush=True)
        sys.stdin.readline()
        handles = [runtime.submit(workflow, run_id=f"{tag}-{i}") for i in range(count)]
        for handle in handles:
            assert handle.result(timeout=30).ok
        store.flush(timeout=30)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
