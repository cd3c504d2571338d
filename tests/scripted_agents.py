"""Agents for the runtime's tests, scripted through stage params.

``params.script`` lists what each attempt does, in order (the last entry repeats):
``ok``, ``slow`` (ok after a few ms), ``io`` (a retryable ``OSError``), ``value`` (a
``ValueError``, never retried), ``hang`` (waits for its cancel token: a timeout or
cancellation ends it), ``crash`` (``SystemExit``: the actor dies), ``unfrozen`` (returns
an object that cannot be frozen).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from actorflow import Agent, StageRequest


def perform_script(request: StageRequest) -> Any:
    script = request.params.get("script", ("ok",))
    step = script[min(request.attempt, len(script)) - 1]
    if step == "ok":
        return {
            "stage": request.stage.name,
            "attempt": request.attempt,
            "seen": sorted(request.dependencies),
        }
    if step == "slow":
        # Simulated work, so that attempts overlap and finish in varying orders.
        request.cancel.wait(0.005 * (1 + len(request.stage.name) % 3))
        return {
            "stage": request.stage.name,
            "attempt": request.attempt,
            "seen": sorted(request.dependencies),
        }
    if step == "io":
        raise ConnectionError(f"{request.stage.name}: connection reset")
    if step == "value":
        raise ValueError(f"{request.stage.name}: bad value")
    if step == "hang":
        request.cancel.wait(30)
        return {"late": True}
    if step == "crash":
        raise SystemExit(f"{request.stage.name}: crash")
    if step == "unfrozen":
        return {"lock": threading.Lock()}
    raise AssertionError(f"unknown script step {step!r}")


class Scripted(Agent):
    """Does what ``params.script`` says."""

    role = "scripted"
    expertise = ("testing",)

    def perform(self, request: StageRequest) -> Any:
        return perform_script(request)


class AsyncScripted(Agent):
    """The same, as a coroutine on the actor's own event loop."""

    role = "async-scripted"

    async def perform(self, request: StageRequest) -> Any:
        step = request.params.get("script", ("ok",))[0]
        if step == "hang":
            await asyncio.Event().wait()  # only cancellation ends it
        await asyncio.sleep(0)
        return {"loop_thread": threading.current_thread().name, "stage": request.stage.name}


class Gate(Agent):
    """Reports progress, then waits for a test to open the gate named in params."""

    gates: dict[str, threading.Event] = {}  # noqa: RUF012  # shared on purpose: tests open them
    entered: dict[str, threading.Event] = {}  # noqa: RUF012

    def perform(self, request: StageRequest) -> Any:
        name = request.params["gate"]
        request.report_progress(0.5, "half way")
        self.entered.setdefault(name, threading.Event()).set()
        gate = self.gates.setdefault(name, threading.Event())
        while not gate.wait(0.01):
            request.raise_if_cancelled()
        request.report_progress(1.0, "done")
        return name
