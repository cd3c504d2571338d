"""An agent that counts its calls and fails on demand, for the tests of retries.

``counted`` appends its stage's name to the file ``params.counter`` each time it is
called, and raises while the file ``params.fail_if`` (when given) exists. It returns
``Records``: one row per dependency row plus its own, so each output depends on its
dependencies' outputs, and records go to the store's Parquet files. Registered in
other processes with ``--agents tests.store.retry_agents:register``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from actorflow import Agent, Records, Runtime, StageRequest


def register(runtime: Runtime) -> None:
    runtime.register_agent("counted", Counted, concurrency=2)
    runtime.register_agent("gated", Gated)


#: What ``gated`` waits for (tests set it; a bound keeps a forgotten gate from hanging).
GATE = threading.Event()


class Gated(Agent):
    """Waits for ``GATE``: a run that stays under way while a test looks at it."""

    def perform(self, request: StageRequest) -> bool:
        return GATE.wait(timeout=30)


class Counted(Agent):
    """Counts its calls in a file; fails while a marker file exists."""

    role = "processor"

    def perform(self, request: StageRequest) -> Records:
        name = request.stage.name
        with Path(request.params["counter"]).open("a", encoding="utf-8") as counter:
            counter.write(name + "\n")
        marker = request.params.get("fail_if")
        if marker is not None and Path(marker).exists():
            raise RuntimeError(f"stage {name} fails while {marker} exists")
        rows: list[dict[str, Any]] = []
        for dep in request.stage.depends_on:
            rows.extend(request.output(dep).to_dicts())
        for _ in range(int(request.params.get("rows", 1))):
            rows.append({"stage": name, "step": len(rows)})
        return Records.from_dicts(rows)


def calls(counter: Path) -> list[str]:
    """The stages called so far, in call order."""
    if not counter.exists():
        return []
    return counter.read_text(encoding="utf-8").split()


def workflow(tmp: Path, *, fail_stage: str = "c") -> dict[str, Any]:
    """a → b → c → d, and e (depends on a only, runs before c); stages run one at a time
    in that order. ``fail_stage`` fails while ``tmp/fail`` exists."""
    deps = {"a": [], "b": ["a"], "e": ["a"], "c": ["b"], "d": ["c"]}
    stages = []
    for name, depends in deps.items():
        params: dict[str, Any] = {"counter": str(tmp / "calls.txt")}
        if name == fail_stage:
            params["fail_if"] = str(tmp / "fail")
        stages.append({"name": name, "agent": "counted", "depends_on": depends,
                       "params": params})  # fmt: skip
    return {"name": "retried", "stages": stages}
