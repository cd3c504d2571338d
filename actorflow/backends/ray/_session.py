"""Connecting this process to Ray: a local Ray started on demand, or an existing cluster.

``ray.init`` can wait minutes on an address where nothing answers like a Ray head (it
retries the GCS connection, ~20 s for a closed port, longer for a silent one). A runtime
must fail at start-up within a bounded time instead, so the connection is made in two
steps: a TCP connection to ``host:port`` (refused or unroutable addresses fail at once),
then ``ray.init`` on a thread of its own, waited for at most ``connect_timeout_s``.

That thread lives as long as the session: a local Ray's processes are started with a
"parent death" signal tied to the starting *thread*, so a helper thread that ended would
take the GCS and the raylet with it. It also calls ``ray.shutdown`` when the session
closes.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Mapping
from typing import Any

import ray

from actorflow.bus import get_logger
from actorflow.contracts import BackendUnavailableError

from ._wire import register_wire_types

_log = get_logger("ray.session")

#: Addresses Ray resolves itself: "auto" (a cluster running on this machine), "local"
#: (start a new one); ``ray://`` ones go through Ray Client.
_SPECIAL = ("auto", "local")


class RaySession:
    """This process's connection to Ray, and whether this runtime owns it.

    A runtime that started Ray (``address=None``: a local Ray of its own) shuts it down
    when it stops; one that found Ray already connected in this process, or joined a
    cluster, leaves it as it is.
    """

    def __init__(self, *, address: str, owner: _RayThread | None = None) -> None:
        self.address = address
        self._owner = owner

    @property
    def owned(self) -> bool:
        """Whether this session connected Ray (and so disconnects it, or stops a local
        Ray it started, when it closes)."""
        return self._owner is not None

    @classmethod
    def open(
        cls,
        address: str | None,
        *,
        connect_timeout_s: float = 60.0,
        init_options: Mapping[str, Any] | None = None,
    ) -> RaySession:
        """Connect (or reuse this process's connection).

        Args:
            address: ``None`` for a local Ray of this runtime's own; ``"host:port"`` of a
                cluster's head (its GCS, port 6379 by default); ``"auto"``; ``ray://...``.
            connect_timeout_s: the longest start-up may take before it fails.
            init_options: more keyword arguments for ``ray.init`` (``runtime_env``,
                ``namespace``, ``num_cpus`` for a local Ray, ...).

        Raises:
            BackendUnavailableError: the address cannot be reached or is not a Ray
                cluster, Ray did not start in time, or this process is already connected
                to another cluster.
        """
        if ray.is_initialized():
            current = ray.get_runtime_context().gcs_address
            if address is not None and not _same_cluster(address, current):
                raise BackendUnavailableError(
                    f"this process is already connected to the Ray cluster at {current}; "
                    f"it cannot also connect to {address!r} (one cluster per process)"
                )
            register_wire_types()
            return cls(address=current)
        options = dict(init_options or {})
        if address is None:
            # A local Ray for this runtime alone: "local" never joins a cluster that
            # happens to run on this machine. No dashboard: it is a heavy process.
            options.setdefault("include_dashboard", False)
            target = "local"
        else:
            target = address.strip()
            if not target:
                raise BackendUnavailableError("the Ray address is empty")
            if target not in _SPECIAL and not target.startswith("ray://"):
                _check_reachable(target, connect_timeout_s)
        owner = _RayThread(target, options)
        owner.wait_connected(connect_timeout_s)
        register_wire_types()
        current = ray.get_runtime_context().gcs_address
        _log.info("connected to Ray", address=current, started=address is None)
        return cls(address=current, owner=owner)

    def close(self, timeout_s: float = 10.0) -> None:
        """Disconnect (stopping a local Ray this session started), if it connected."""
        if self._owner is not None:
            self._owner.close(timeout_s)


def _split(address: str) -> tuple[str, int]:
    """``host:port`` (or ``[v6]:port``) as a pair; the port defaults to Ray's 6379."""
    text = address.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    try:
        port = int(port_text) if port_text else 6379
    except ValueError:
        raise BackendUnavailableError(
            f"invalid Ray address {address!r}: expected host:port (the head's GCS, e.g. "
            "10.0.0.5:6379), 'auto' or ray://host:10001"
        ) from None
    if not host or not 0 < port < 65536:
        raise BackendUnavailableError(f"invalid Ray address {address!r}: expected host:port")
    return host, port


def _check_reachable(address: str, timeout_s: float) -> None:
    host, port = _split(address)
    try:
        socket.create_connection((host, port), timeout=min(timeout_s, 10.0)).close()
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or repr(exc)
        raise BackendUnavailableError(
            f"cannot reach the Ray cluster at {address}: {reason}. Is a Ray head running "
            "there (`ray start --head`)? The address is the head's GCS host:port "
            "(6379 by default)."
        ) from None


class _RayThread:
    """Owns this process's Ray connection: ``ray.init`` now, ``ray.shutdown`` at close."""

    def __init__(self, target: str, options: dict[str, Any]) -> None:
        self._target = target
        self._options = options
        self._outcome: list[BaseException | None] = []
        self._connected = threading.Event()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="actorflow-ray-owner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            ray.init(address=self._target, **self._options)
        except BaseException as exc:  # noqa: BLE001  # handed to the waiting thread
            self._outcome.append(exc)
            self._connected.set()
            return
        self._outcome.append(None)
        self._connected.set()
        self._closing.wait()
        try:
            ray.shutdown()
        except Exception as exc:  # noqa: BLE001  # stopping must not raise
            _log.warning("Ray did not shut down cleanly", error=repr(exc))

    def wait_connected(self, timeout_s: float) -> None:
        """Wait for ``ray.init`` to end.

        Raises:
            BackendUnavailableError: it failed, or did not end within ``timeout_s`` (its
                thread is left to it: Ray offers no way to interrupt it).
        """
        self._connected.wait(timeout_s)
        target = self._target
        where = (
            "start a local Ray" if target == "local" else f"connect to the Ray cluster at {target}"
        )
        if not self._outcome:
            self._closing.set()  # should it connect after all, it disconnects at once
            raise BackendUnavailableError(
                f"could not {where} within {timeout_s:g}s; is it a Ray head's GCS address "
                "(host:6379)?"
            )
        error = self._outcome[0]
        if error is not None:
            text = str(error).strip()
            first = text.splitlines()[0] if text else type(error).__name__
            raise BackendUnavailableError(f"could not {where}: {first}") from error

    def close(self, timeout_s: float) -> None:
        self._closing.set()
        self._thread.join(timeout_s)


def _same_cluster(wanted: str, current: str) -> bool:
    """Whether ``wanted`` names the cluster this process is connected to (``current``)."""
    if wanted in _SPECIAL:
        return True
    if wanted.startswith("ray://"):
        return False
    try:
        want_host, want_port = _split(wanted)
        have_host, have_port = _split(current)
    except BackendUnavailableError:
        return False
    if want_port != have_port:
        return False
    return _resolve(want_host) == _resolve(have_host) or (
        _is_local(want_host) and _is_local(have_host)
    )


def _resolve(host: str) -> str:
    with contextlib.suppress(OSError):
        return socket.gethostbyname(host)
    return host


def _is_local(host: str) -> bool:
    """Loopback or one of this machine's addresses (Ray reports its node IP)."""
    address = _resolve(host)
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(address).is_loopback:
            return True
    with contextlib.suppress(OSError):
        return address in socket.gethostbyname_ex(socket.gethostname())[2]
    return False
