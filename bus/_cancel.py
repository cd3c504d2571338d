"""Cancellation tokens: how the coordinator asks a running stage to stop."""

from __future__ import annotations

import threading
from collections.abc import Callable

from actorflow.contracts import RunCancelledError


class CancelToken:
    """Set once, by the coordinator, when an attempt is cancelled or timed out.

    Sync agents poll :attr:`cancelled` (or call :meth:`raise_if_cancelled`) between
    batches; async agents have their task cancelled for them through :meth:`on_cancel`.
    """

    __slots__ = ("_callbacks", "_event", "_lock", "reason")

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []
        self.reason = ""

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str = "cancelled") -> None:
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` on cancellation (at once if already cancelled).

        Returns:
            A function that removes the callback.
        """
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)

                def remove() -> None:
                    with self._lock:
                        if callback in self._callbacks:
                            self._callbacks.remove(callback)

                return remove
        callback()
        return lambda: None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout``; True if cancelled."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        """Raise ``RunCancelledError`` if the attempt was cancelled."""
        if self._event.is_set():
            raise RunCancelledError(self.reason)
