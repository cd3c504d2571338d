"""Building the aiohttp application, or mounting the service into one of the user's."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from aiohttp import web

from actorflow import Runtime
from actorflow._backends import BackendName, make_backend
from actorflow._builtin import register_builtin_agents
from actorflow.contracts import (
    SPILL_DIR_ENV,
    Problem,
    WorkflowSpec,
    WorkflowValidationError,
    quote,
)
from actorflow.logging import redact
from actorflow.store import RunStore

from . import _dashboard
from ._errors import from_http_exception
from ._guard import Lookup, system_lookup
from ._keys import LOG_LIMITS_KEY, RUNTIME_KEY, SERVICE_KEY, SETTINGS_KEY, STORE_KEY
from ._loglimit import LogLimits
from ._routes import add_routes
from ._service import WebService
from ._settings import Settings


def init_app(
    app: web.Application,
    runtime: Runtime | None = None,
    store: RunStore | None = None,
    *,
    settings: Settings | None = None,
    db: str | None = None,
    persist: bool = True,
    prefix: str = "",
    lookup: Lookup = system_lookup,
    backend: BackendName = "pykka",
    ray_address: str | None = None,
    agents: Sequence[Callable[[Runtime], object]] = (),
) -> WebService:
    """Mount the API (and the dashboard) into ``app``.

    What this function creates it also stops: a runtime made here (with the built-in
    agents) is stopped, and a store opened here is closed, by ``app``'s cleanup. Given
    ones are left running; a given store is attached to the runtime.

    Args:
        app: the application to add routes, keys and hooks to (not yet started).
        runtime: the runtime to run workflows on; a new one with the built-in agents
            when ``None``.
        store: the run store (history across restarts); opened at ``db`` (or the default
            path) when ``None`` and ``persist`` is true.
        settings: limits and security; ``Settings.from_env()`` when ``None``.
        db: the database file of a store opened here.
        persist: open a store when none is given (``False``: history in memory only).
        prefix: path prefix of every route (``"/actorflow"``); the dashboard's links
            are relative, so it works under any prefix.
        lookup: the host resolver used for host checks (tests give their own).
        backend: where the agents of a runtime made here run (``"pykka"`` or
            ``"ray"``); a given runtime keeps its own.
        ray_address: the Ray cluster of a runtime made here with ``backend="ray"``
            (``None``: a local Ray started with the runtime).
        agents: callables that register your own agents on the runtime (after the
            built-in ones of a runtime made here), as ``actorflow serve --agents`` does.

    Returns:
        The service (also at ``app[SERVICE_KEY]``).

    Raises:
        ValueError: ``backend`` or ``ray_address`` together with a runtime of yours.
        WorkflowValidationError: a workflow of ``settings.workflows`` that the runtime
            cannot run (an agent it does not have, params its agent refuses), naming
            each workflow, stage and agent; nothing was started.
        BackendUnavailableError: ``backend="ray"`` and Ray is missing or unreachable.
    """
    settings = settings if settings is not None else Settings.from_env()
    if settings.api_token is not None:
        redact(settings.api_token)  # never in a log line of ours, whatever logs it
    owns_runtime = runtime is None
    runtime = _ready_runtime(runtime, settings, backend, ray_address, agents)
    owns_store = store is None and persist
    if store is None and persist:
        store = RunStore(db)
    if settings.upload_dir is None and store is not None:
        settings = dataclasses.replace(settings, upload_dir=store.path.parent / "uploads")
    if settings.spill_dir is None:
        # Where API runs write big tables is the server's choice, never a request's.
        spill = os.environ.get(SPILL_DIR_ENV)
        if spill:
            settings = dataclasses.replace(settings, spill_dir=Path(spill))
        elif store is not None:
            settings = dataclasses.replace(settings, spill_dir=store.path.parent / "spill")
    service = WebService(
        runtime,
        store,
        settings,
        owns_runtime=owns_runtime,
        owns_store=owns_store,
        lookup=lookup,
    )
    app[SERVICE_KEY] = service
    app[RUNTIME_KEY] = runtime
    app[SETTINGS_KEY] = settings
    app[LOG_LIMITS_KEY] = LogLimits()
    if store is not None:
        app[STORE_KEY] = store
    add_routes(app.router, prefix)
    if settings.dashboard:
        _dashboard.add_routes(app.router, prefix)

    async def start(_app: web.Application) -> None:
        await service.start()

    async def shutdown(_app: web.Application) -> None:
        service.stop_streams()

    async def cleanup(_app: web.Application) -> None:
        await service.close()

    app.on_startup.append(start)
    app.on_shutdown.append(shutdown)
    app.on_cleanup.append(cleanup)
    return service


def _ready_runtime(
    runtime: Runtime | None,
    settings: Settings,
    backend: BackendName,
    ray_address: str | None,
    agents: Sequence[Callable[[Runtime], object]],
) -> Runtime:
    """The service's runtime (``runtime``, or one made here with the built-in agents),
    with ``agents`` registered and every offered workflow checked against it."""
    owns_runtime = runtime is None
    if runtime is not None and (backend != "pykka" or ray_address is not None):
        raise ValueError(
            "backend and ray_address apply to a runtime made by the service; "
            "give them to your Runtime(...) instead"
        )
    if runtime is None:
        runtime = Runtime(backend=make_backend(backend, where="backend", ray_address=ray_address))
    try:
        if owns_runtime:
            register_builtin_agents(runtime)
        for register in agents:
            register(runtime)
        # A workflow offered by name but not runnable would be refused only when a run is
        # posted; refusing to start says so at once.
        check_workflows(runtime, settings.workflows)
    except BaseException:
        if owns_runtime:
            runtime.stop()
        raise
    return runtime


def check_workflows(runtime: Runtime, workflows: Mapping[str, WorkflowSpec]) -> None:
    """Refuse workflows the runtime cannot run.

    Raises:
        WorkflowValidationError: every problem of every such workflow, each naming it.
    """
    problems: list[Problem] = []
    for name, spec in workflows.items():
        try:
            runtime.validate(spec)
        except WorkflowValidationError as exc:
            problems.extend(
                Problem(
                    message=f"{p.message} (workflow {quote(name)})",
                    stage=p.stage,
                    field=p.field,
                    source=p.source,
                )
                for p in exc.problems
            )
    if problems:
        raise WorkflowValidationError(problems, source="offered by the server")


@web.middleware
async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """aiohttp's own errors (no route, wrong method) as JSON, in our own app only."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return from_http_exception(exc)


def create_app(
    runtime: Runtime | None = None,
    store: RunStore | None = None,
    *,
    settings: Settings | None = None,
    db: str | None = None,
    persist: bool = True,
    lookup: Lookup = system_lookup,
    backend: BackendName = "pykka",
    ray_address: str | None = None,
    agents: Sequence[Callable[[Runtime], object]] = (),
) -> web.Application:
    """The actorflow web application: the REST API, the event streams and the dashboard.

    Run it with ``web.run_app(create_app())``, :func:`serve`, or mount it under a path
    of your own app with ``app.add_subapp("/actorflow/", create_app(...))``.

    Args:
        runtime: see :func:`init_app`.
        store: see :func:`init_app`.
        settings: see :func:`init_app`.
        db: see :func:`init_app`.
        persist: see :func:`init_app`.
        lookup: see :func:`init_app`.
        backend: see :func:`init_app`.
        ray_address: see :func:`init_app`.
        agents: see :func:`init_app`.
    """
    app = web.Application(middlewares=[_json_errors])
    init_app(
        app,
        runtime,
        store,
        settings=settings,
        db=db,
        persist=persist,
        lookup=lookup,
        backend=backend,
        ray_address=ray_address,
        agents=agents,
    )
    return app
