"""Agents and workflows of the store's tests (also imported by the worker scripts)."""

from __future__ import annotations

import decimal
import threading
from pathlib import Path
from typing import Any

from actorflow import Agent, Records, Runtime, StageRequest


def register_agents(runtime: Runtime) -> None:
    """The agents every store test uses (the crash test's ``waiting`` is added apart)."""
    runtime.register_agent("returns", Returns, concurrency=4)
    runtime.register_agent("fails", Fails)
    runtime.register_agent("gate", Gate, concurrency=2)
    runtime.register_agent("counting", Counting)


def sample_records(n: int = 3) -> Records:
    return Records.from_dicts(
        [{"id": i, "customer": f"c{i % 2}", "amount": decimal.Decimal(f"{i}.25")} for i in range(n)]
    )


class Returns(Agent):
    """Returns ``params.value``, or a summary of what it was given."""

    def perform(self, request: StageRequest) -> Any:
        if "value" in request.params:
            return request.params["value"]
        if "echo" in request.params:
            return request.input[request.params["echo"]]
        if request.params.get("records"):
            return sample_records(int(request.params["records"]))
        return {
            "stage": request.stage.name,
            "outputs": {name: _size(value) for name, value in request.outputs.items()},
            "total": decimal.Decimal("10.50"),
        }


def _size(value: Any) -> int:
    return len(value) if isinstance(value, Records) else 1


class Fails(Agent):
    """Fails with a retryable error for ``params.failures`` attempts, then succeeds."""

    def perform(self, request: StageRequest) -> Any:
        if request.attempt <= int(request.params.get("failures", 1_000)):
            raise ConnectionError(f"{request.stage.name}: attempt {request.attempt} failed")
        return {"attempt": request.attempt}


class Gate(Agent):
    """Waits until the test opens the gate named in ``params.gate``."""

    gates: dict[str, threading.Event] = {}  # noqa: RUF012 - shared on purpose: tests open them
    entered: dict[str, threading.Event] = {}  # noqa: RUF012

    @classmethod
    def reset(cls, name: str) -> None:
        cls.gates[name] = threading.Event()
        cls.entered[name] = threading.Event()

    def perform(self, request: StageRequest) -> Any:
        name = request.params["gate"]
        self.entered.setdefault(name, threading.Event()).set()
        gate = self.gates.setdefault(name, threading.Event())
        while not gate.wait(0.01):
            request.raise_if_cancelled()
        return {"gate": name, "seen": sorted(request.outputs)}


class Counting(Agent):
    """Appends a line to ``params.counter`` each time it runs; returns records."""

    def perform(self, request: StageRequest) -> Any:
        with Path(request.params["counter"]).open("a") as counter:
            counter.write(f"{request.run_id}\n")
        return sample_records(int(request.params.get("records", 5)))


class WaitForFile(Agent):
    """Blocks until the file ``params.release`` exists (the crash test never creates it
    before killing the process)."""

    def perform(self, request: StageRequest) -> Any:
        release = Path(request.params["release"])
        while not release.exists():
            if request.cancel.wait(0.01):
                request.raise_if_cancelled()
        first = request.output("first")
        return {"rows_seen": len(first), "total": sum(r["amount"] for r in first)}


def crash_workflow(
    counter: Path, release: Path, *, name: str = "crashy", waiting: str = "waiting"
) -> dict[str, Any]:
    """first (counted) -> second (blocks until ``release`` exists) -> report."""
    return {
        "name": name,
        "stages": [
            {"name": "first", "agent": "counting", "params": {"counter": str(counter)}},
            {
                "name": "second",
                "agent": waiting,
                "depends_on": ["first"],
                "params": {"release": str(release)},
            },
            {"name": "report", "agent": "returns", "depends_on": ["first", "second"]},
        ],
    }
