"""Subscribing to progress events: blinker signals, and the asyncio bridge.

A three-stage workflow (fetch -> score, summarize in a parallel group -> report) runs
while two subscribers watch it: a blinker receiver printing each event as it happens, and
an ``async for`` loop over ``runtime.events(run_id)``.

Run it: ``python examples/progress_events.py``.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from actorflow import Agent, Event, Runtime, StageRequest, signals
from actorflow.contracts import RunFinished, StageFinished, StageProgress

WORKFLOW: dict[str, Any] = {
    "name": "scores",
    "stages": [
        {"name": "fetch", "agent": "numbers", "task": "make the numbers"},
        {"name": "score", "agent": "math", "depends_on": ["fetch"], "parallel_group": "calc",
         "params": {"op": "sum"}},
        {"name": "spread", "agent": "math", "depends_on": ["fetch"], "parallel_group": "calc",
         "params": {"op": "spread"}},
        {"name": "report", "agent": "math", "depends_on": ["score", "spread"],
         "params": {"op": "report"}},
    ],
}  # fmt: skip


class Numbers(Agent):
    """Produces the numbers every later stage works on."""

    role = "extractor"
    expertise = ("sample data",)

    def perform(self, request: StageRequest) -> Any:
        values = list(range(1, request.input.get("n", 10) + 1))
        for done in range(1, 5):
            request.report_progress(done / 4, f"batch {done} of 4")
        return {"values": values}


class Math(Agent):
    """Small calculations over the fetched numbers."""

    role = "processor"
    expertise = ("sums", "spreads")

    async def perform(self, request: StageRequest) -> Any:
        op = request.params["op"]
        if op == "report":
            return {"total": request.output("score"), "spread": request.output("spread")}
        values = request.output("fetch")["values"]
        await asyncio.sleep(0)  # an async agent: its loop belongs to the actor's thread
        return sum(values) if op == "sum" else max(values) - min(values)


def say(line: str) -> None:
    """One line in one write: the receivers print from their own thread, and print()
    writes a line's pieces one by one, so two threads' lines could mix."""
    sys.stdout.write(line + "\n")


def print_event(run_id: str, *, event: Event) -> None:
    """A blinker receiver: called in its own delivery thread, in event order."""
    if isinstance(event, StageProgress):
        say(f"  [signal] {event.stage}: {event.fraction:.0%} {event.message}")
    elif isinstance(event, StageFinished):
        say(f"  [signal] {event.stage} {event.status} (run at {event.progress}%)")


async def main() -> None:
    signals.event.connect(print_event)
    try:
        async with Runtime() as rt:
            rt.register_agent("numbers", Numbers)
            rt.register_agent("math", Math, concurrency=2)
            handle = rt.submit(WORKFLOW, input={"n": 100})
            async for event in rt.events(handle.run_id):
                say(f"[async] #{event.seq} {type(event).__name__} progress={event.progress}%")
                if isinstance(event, RunFinished):
                    say(f"[async] run {event.status} in {event.execution_time_s * 1000:.1f} ms")
            result = await handle.wait()
            say(f"report: {dict(result.output('report'))}")
    finally:
        signals.event.disconnect(print_event)


if __name__ == "__main__":
    asyncio.run(main())
