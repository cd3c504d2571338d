"""``RunHandle``: a submitted run, its result when done, and a way to cancel it."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Protocol

from actorflow.contracts import RunResult, WorkflowSpec


class _Canceller(Protocol):
    def cancel(self, run_id: str, reason: str = ...) -> None: ...


class RunHandle:
    """A submitted run: its id, its result when done, and a way to cancel it."""

    __slots__ = ("_future", "_runtime", "run_id", "workflow")

    def __init__(
        self,
        runtime: _Canceller,
        run_id: str,
        workflow: WorkflowSpec,
        future: concurrent.futures.Future[RunResult],
    ) -> None:
        self._runtime = runtime
        self._future = future
        self.run_id = run_id
        self.workflow = workflow

    def result(self, timeout: float | None = None) -> RunResult:
        """Wait for the run's result.

        Raises:
            TimeoutError: the run did not finish within ``timeout`` seconds (it goes on).
        """
        try:
            return self._future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(
                f"run {self.run_id} did not finish within {timeout}s (it is still running)"
            ) from None

    async def wait(self) -> RunResult:
        """Await the run's result without blocking the event loop."""
        return await asyncio.wrap_future(self._future)

    def done(self) -> bool:
        return self._future.done()

    def cancel(self, reason: str = "cancelled by request") -> None:
        """Ask for the run to be cancelled; in-flight stages get their cancel token set."""
        self._runtime.cancel(self.run_id, reason)

    def add_done_callback(self, callback: Callable[[RunResult], None]) -> None:
        """Call ``callback(result)`` (in the coordinator's thread) when the run ends."""
        self._future.add_done_callback(lambda f: callback(f.result()))

    def __repr__(self) -> str:
        return f"RunHandle({self.run_id!r}, workflow={self.workflow.name!r})"
