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

    __slots__ = ("_callbacks", "_cancelled", "_event", "_lock", "reason")

    def __init__(self) -> None:
        # One token per attempt: the Event and callback list are made only when someone
        # waits or registers, which most attempts never do.
        self._lock = threading.Lock()
        self._cancelled = False
        self._event: threading.Event | None = None
        self._callbacks: list[Callable[[], None]] | None = None
        self.reason = ""

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self, reason: str = "cancelled") -> None:
        with self._lock:
            if self._cancelled:
                return
            self.reason = reason
            self._cancelled = True
            if self._event is not None:
                self._event.set()
            callbacks, self._callbacks = self._callbacks or [], None
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` on cancellation (at once if already cancelled).

        Returns:
            A function that removes the callback.
        """
        with self._lock:
            if not self._cancelled:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(callback)

                def remove() -> None:
                    with self._lock:
                        if self._callbacks and callback in self._callbacks:
                            self._callbacks.remove(callback)

                return remove
        callback()
        return lambda: None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout``; True if cancelled."""
        with self._lock:
            if self._cancelled:
                return True
            if self._event is None:
                self._event = threading.Event()
            event = self._event
        return event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        """Raise ``RunCancelledError`` if the attempt was cancelled."""
        if self._cancelled:
            raise RunCancelledError(self.reason)
