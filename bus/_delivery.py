"""Delivery of events to blinker receivers, each on a mailbox thread of its own.

blinker calls receivers synchronously in the sender's thread. Sending from the
coordinator that way would let one slow or raising subscriber stall every run, so the
hub hands each receiver's events to that receiver's mailbox instead: one queue and one
daemon thread per receiver, events in order, failures logged and survived. An idle
mailbox thread ends by itself and is made again on demand, so receivers that come and go
leave no threads behind.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from ._log import get_logger

_log = get_logger("bus.delivery")
_IDLE_EXIT_S = 30.0
_STOP = object()

Receiver = Callable[..., Any]


def receiver_key(receiver: Receiver) -> Hashable:
    """Identity of a receiver; a bound method is new on every attribute access."""
    owner = getattr(receiver, "__self__", None)
    func = getattr(receiver, "__func__", None)
    if owner is not None and func is not None:
        return (id(owner), id(func))
    return id(receiver)


class _Mailbox:
    __slots__ = ("_key", "_loop", "_owner", "queue", "thread")

    def __init__(self, key: Hashable, owner: Delivery) -> None:
        self._key = key
        self._owner = owner
        self._loop: asyncio.AbstractEventLoop | None = None
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="actorflow-delivery", daemon=True)

    def _run(self) -> None:
        try:
            while True:
                try:
                    item = self.queue.get(timeout=_IDLE_EXIT_S)
                except queue.Empty:
                    if self._owner.retire(self._key, self):
                        return
                    continue
                if item is _STOP:
                    return
                receiver, events = item
                for sender, event in events:
                    self._deliver(receiver, sender, event)
        finally:
            if self._loop is not None:
                self._loop.close()

    def _deliver(self, receiver: Receiver, sender: str, event: Any) -> None:
        try:
            result = receiver(sender, event=event)
            if result is not None and inspect.isawaitable(result):
                if self._loop is None:
                    self._loop = asyncio.new_event_loop()
                self._loop.run_until_complete(result)
        except Exception as exc:  # noqa: BLE001  # a subscriber's failure is its own
            _log.warning(
                "subscriber raised",
                receiver=getattr(receiver, "__qualname__", repr(receiver)),
                run_id=sender,
                event_type=type(event).__name__,
                error=f"{type(exc).__name__}: {exc}",
            )


class Delivery:
    """The mailboxes of one hub, and the dispatcher that fills them.

    Finding a signal's receivers in blinker costs more than the rest of an event, so
    emitters only queue the event (``dispatch``); one dispatcher thread, taking events
    in the order they were emitted, resolves receivers and posts to their mailboxes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mailboxes: dict[Hashable, _Mailbox] = {}
        self._closed = False
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._dispatcher: threading.Thread | None = None

    def dispatch(self, signals: tuple[Any, ...], sender: str, event: Any) -> None:
        """Queue ``event`` for the receivers of ``signals`` connected to ``sender``."""
        if self._dispatcher is None:
            with self._lock:
                if self._closed:
                    return
                if self._dispatcher is None:
                    self._dispatcher = threading.Thread(
                        target=self._dispatch_loop, name="actorflow-dispatch", daemon=True
                    )
                    self._dispatcher.start()
        self._inbox.put((signals, sender, event))

    def _dispatch_loop(self) -> None:
        inbox = self._inbox
        while True:
            batch = [inbox.get()]
            # Drain what else is waiting: under load, receivers are looked up once per
            # batch and sender instead of once per event.
            while not inbox.empty() and len(batch) < 1024:
                batch.append(inbox.get())
            resolved: dict[tuple[Any, str], list[Receiver]] = {}
            # Each receiver's events of the batch, in order, go to its mailbox at once.
            posts: dict[Hashable, tuple[Receiver, list[tuple[str, Any]]]] = {}
            stop = False
            for item in batch:
                if item is _STOP:
                    stop = True
                    break
                signals, sender, event = item
                key = (signals, sender)
                receivers = resolved.get(key)
                if receivers is None:
                    receivers = resolved[key] = [
                        receiver for signal in signals for receiver in signal.receivers_for(sender)
                    ]
                for receiver in receivers:
                    posts.setdefault(receiver_key(receiver), (receiver, []))[1].append(
                        (sender, event)
                    )
            self._post(posts)
            if stop:
                return

    def _post(self, posts: dict[Hashable, tuple[Receiver, list[tuple[str, Any]]]]) -> None:
        """Queue each receiver's events in its mailbox; never blocks."""
        if not posts:
            return
        # Under the lock that retire() takes: a box found here cannot retire before the
        # events are in its queue (it would end with them unread).
        with self._lock:
            if self._closed:
                return
            for key, item in posts.items():
                box = self._mailboxes.get(key)
                if box is None:
                    box = _Mailbox(key, self)
                    self._mailboxes[key] = box
                    box.thread.start()
                box.queue.put(item)

    def retire(self, key: Hashable, box: _Mailbox) -> bool:
        """Called by an idle mailbox: True if it may end (nothing arrived meanwhile)."""
        with self._lock:
            if box.queue.empty() and self._mailboxes.get(key) is box:
                del self._mailboxes[key]
                return True
            return False

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (within ``timeout``), then end every mailbox thread."""
        deadline = time.monotonic() + timeout
        with self._lock:
            dispatcher = self._dispatcher
        if dispatcher is not None:
            self._inbox.put(_STOP)
            dispatcher.join(timeout)
        with self._lock:
            self._closed = True
            boxes = list(self._mailboxes.values())
            self._mailboxes.clear()
        for box in boxes:
            box.queue.put(_STOP)
        for box in boxes:
            box.thread.join(max(0.0, deadline - time.monotonic()))
