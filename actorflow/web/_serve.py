"""Running the service: ``await serve(...)`` on a loop of yours, ``run_server(...)`` blocking."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from aiohttp import web

from actorflow import Runtime
from actorflow._backends import BackendName
from actorflow.bus import get_logger
from actorflow.contracts import WorkflowSpec, load_workflow
from actorflow.store import RunStore

from ._app import create_app
from ._errors import InsecureConfigError
from ._protocol import ApiRunner
from ._settings import Settings

_log = get_logger("web")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (``127.0.0.0/8``, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def server_settings(
    host: str,
    settings: Settings | None = None,
    *,
    workflows: Iterable[str | os.PathLike[str] | WorkflowSpec] = (),
) -> Settings:
    """The settings a server on ``host`` runs with: checked, and completed.

    Raises:
        InsecureConfigError: a non-loopback ``host`` without an API token.
        WorkflowValidationError: a workflow file that cannot be loaded.
        ValueError: two workflows with the same name.
    """
    settings = settings if settings is not None else Settings.from_env()
    if not is_loopback(host) and settings.api_token is None:
        raise InsecureConfigError(
            f"refusing to listen on {host!r} without an API token: anyone who can reach it "
            "could run workflows. Set ACTORFLOW_API_TOKEN (or Settings.api_token), or "
            "listen on 127.0.0.1"
        )
    extra: dict[str, WorkflowSpec] = dict(settings.workflows)
    for item in workflows:
        spec = item if isinstance(item, WorkflowSpec) else load_workflow(Path(item))
        if spec.name in extra:
            raise ValueError(f"two workflows are called {spec.name!r}")
        extra[spec.name] = spec
    changes: dict[str, object] = {"workflows": extra}
    if is_loopback(host) and not settings.trusted_hosts:
        # A page elsewhere can point a name of its own at 127.0.0.1 (DNS rebinding):
        # a local server answers only to local names.
        changes["trusted_hosts"] = tuple(dict.fromkeys((*LOOPBACK_NAMES, host.strip("[]"))))
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


async def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    db: str | os.PathLike[str] | None = None,
    *,
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    store: RunStore | None = None,
    persist: bool = True,
    workflows: Iterable[str | os.PathLike[str] | WorkflowSpec] = (),
    ready: Callable[[str], None] | None = None,
    backend: BackendName = "pykka",
    ray_address: str | None = None,
    agents: Sequence[Callable[[Runtime], object]] = (),
) -> None:
    """Serve the API and the dashboard until cancelled, then shut down cleanly.

    Args:
        host: the address to listen on; anything but loopback needs an API token.
        port: the port (0: any free one; ``ready`` gets the URL).
        db: the run store's database file (default: ``$ACTORFLOW_DB`` or the user's
            data folder).
        settings: limits and security; ``Settings.from_env()`` by default.
        runtime: a runtime of yours (default: a new one with the built-in agents).
        store: a run store of yours.
        persist: keep history in a store (``False``: in memory only).
        workflows: workflow files (TOML/JSON) or specs that ``execute`` accepts by name.
        ready: called with the server's URL once it listens.
        backend: where the agents of the runtime made here run: ``"pykka"`` (threads
            of this process) or ``"ray"`` (Ray actors).
        ray_address: with ``backend="ray"``, the Ray cluster's head (``None``: a local
            Ray started with the server).
        agents: callables that register your own agents on the runtime (``--agents``).

    Raises:
        InsecureConfigError: a non-loopback ``host`` without an API token.
        WorkflowValidationError: a workflow of ``workflows`` the runtime cannot run
            (an agent it does not have), naming the workflow, stage and agent.
        BackendUnavailableError: ``backend="ray"`` and Ray is missing or unreachable.
        OSError: the address cannot be bound.
    """
    checked = server_settings(host, settings, workflows=workflows)
    app = create_app(
        runtime,
        store,
        settings=checked,
        db=None if db is None else os.fspath(db),
        persist=persist,
        backend=backend,
        ray_address=ray_address,
        agents=agents,
    )
    runner = ApiRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = port
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            bound = server.sockets[0].getsockname()[1]
        url = f"http://{host if ':' not in host else f'[{host}]'}:{bound}/"
        _log.info("serving", url=url, protected=checked.api_token is not None)
        if ready is not None:
            ready(url)
        await asyncio.Event().wait()  # until cancelled
    finally:
        await runner.cleanup()


def run_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    db: str | os.PathLike[str] | None = None,
    *,
    settings: Settings | None = None,
    workflows: Iterable[str | os.PathLike[str] | WorkflowSpec] = (),
    ready: Callable[[str], None] | None = None,
    backend: BackendName = "pykka",
    ray_address: str | None = None,
    agents: Sequence[Callable[[Runtime], object]] = (),
) -> None:
    """Serve until Ctrl-C or SIGTERM (blocking); what ``actorflow serve`` calls.

    Args: as :func:`serve`.

    Raises:
        InsecureConfigError: a non-loopback ``host`` without an API token (before
            anything starts).
        OSError: the address cannot be bound.
    """
    # Checked here too so a refusal comes before any event loop or thread exists.
    checked = server_settings(host, settings, workflows=workflows)

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        # Not on every platform, and only in the main thread.
        with contextlib.suppress(NotImplementedError, ValueError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        await serve(
            host,
            port,
            db,
            settings=checked,
            ready=ready,
            backend=backend,
            ray_address=ray_address,
            agents=agents,
        )

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(main())
