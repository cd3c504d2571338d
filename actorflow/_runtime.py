"""The runtime: assembles the hub, the timers, the coordinator and the agent pools.

Its parts live beside it: run handles (``_handle``), observers (``_observers``),
workflow validation (``_validation``), what registration learns of an agent
(``_registration``) and the backends by name (``_backends``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from types import TracebackType
from typing import Any, Protocol

import pykka

from actorflow.actors import Agent, AgentInfo, Backend, PykkaBackend, RestartPolicy
from actorflow.actors.machinery import (
    AddPool,
    CacheHit,
    CancelRun,
    Coordinator,
    GetPools,
    PoolRequest,
    Shutdown,
    StartRun,
)
from actorflow.bus import EventHub, get_logger
from actorflow.bus import iter_events as _iter_events
from actorflow.bus.machinery import TimerService
from actorflow.contracts import (
    ErrorInfo,
    Event,
    FrozenMap,
    RunResult,
    RuntimeStoppedError,
    StageOutcome,
    StageSpec,
    WorkflowSpec,
    freeze,
)

from ._backends import check_backend, make_backend
from ._handle import RunHandle
from ._ids import new_run_id
from ._observers import Observers, RunObserver
from ._param_checks import param_checker
from ._registration import agent_class, agent_info, agent_version
from ._validation import Validator, WorkflowSource, check_keep, check_resume

_log = get_logger("runtime")


class VersionedCache(Protocol):
    """A stage cache that also takes the agent's version (the run store is one)."""

    def lookup(
        self,
        run_id: str,
        stage: StageSpec,
        input: FrozenMap,
        dependencies: Mapping[str, StageOutcome],
        *,
        agent_version: str,
    ) -> CacheHit | None: ...


class _CacheSlot:
    """The coordinator's stage cache: whatever cache is attached (the run store), asked
    with the version of the stage's agent; none attached, every lookup misses."""

    def __init__(self) -> None:
        self.target: VersionedCache | None = None
        self.versions: dict[str, str] = {}

    def lookup(
        self,
        run_id: str,
        stage: StageSpec,
        input: FrozenMap,
        dependencies: Mapping[str, StageOutcome],
    ) -> CacheHit | None:
        target, version = self.target, self.versions.get(stage.agent)
        if target is None or version is None:
            return None
        return target.lookup(run_id, stage, input, dependencies, agent_version=version)


class Runtime:
    """An actorflow runtime: agents, a coordinator and the progress signals.

    Use it as a context manager (``with Runtime() as rt`` or ``async with``); leaving
    the block cancels what still runs and stops every actor thread.

    Args:
        keep_events: finished runs whose events stay in memory for late listeners.
        stop_timeout_s: how long ``stop`` waits for actor threads to end.
        backend: where agents run unless ``register_agent`` says otherwise: a
            :class:`~actorflow.actors.Backend` such as
            ``actorflow.backends.ray.RayBackend(address="head:6379")``, or the shorthands
            ``"pykka"`` (threads of this process, the default) and ``"ray"`` (a local
            Ray; needs ``pip install 'actorflow[ray]'``). The coordinator, the signals and
            the run store always stay in this process.

    Raises:
        ValueError: an unknown ``backend``.
        BackendUnavailableError: ``backend="ray"`` without Ray installed.
    """

    def __init__(
        self,
        *,
        keep_events: int = 1024,
        stop_timeout_s: float = 10.0,
        backend: Backend | str = "pykka",
    ) -> None:
        self._default = make_backend(backend, where="Runtime(backend=...)")
        # Every backend an agent was placed on, closed when the runtime stops.
        self._backends: list[Backend] = [self._default]
        self._keep_events = keep_events
        self._stop_timeout_s = stop_timeout_s
        self._lock = threading.Lock()
        self._observers = Observers()
        self._validator = Validator()
        self._started = False
        self._stopped = False
        self._hub: EventHub | None = None
        self._timers: TimerService | None = None
        self._coordinator: pykka.ActorRef[Coordinator] | None = None
        self._cache = _CacheSlot()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Runtime:
        """Start the coordinator and its services (idempotent).

        Raises:
            BackendUnavailableError: the runtime's backend is Ray and Ray cannot be
                reached or started (within ``ray_connect_timeout_s``).
        """
        with self._lock:
            if self._stopped:
                raise RuntimeStoppedError("this runtime was stopped; make a new one")
            if self._started:
                return self
            self._default.open()  # before anything else starts: a failure leaves nothing
            self._hub = EventHub(keep_finished=self._keep_events)
            self._timers = TimerService()
            self._coordinator = Coordinator.start(
                hub=self._hub,
                timers=self._timers,
                on_outcome=self._observers.stage_finished,
                cache=self._cache,
            )
            self._started = True
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Cancel unfinished runs, stop every actor and join their threads."""
        with self._lock:
            if not self._started or self._stopped:
                self._stopped = True
                return
            self._stopped = True
        budget = self._stop_timeout_s if timeout is None else timeout
        deadline = time.monotonic() + budget
        assert self._coordinator is not None
        assert self._timers is not None
        assert self._hub is not None
        try:
            self._coordinator.ask(Shutdown(), timeout=budget)
            self._coordinator.stop(block=True, timeout=max(0.1, deadline - time.monotonic()))
        except (pykka.ActorDeadError, pykka.Timeout) as exc:
            _log.warning("coordinator did not stop cleanly", error=repr(exc))
        with self._lock:
            backends = list(self._backends)
        for backend in backends:
            backend.close(max(0.1, deadline - time.monotonic()))
            stuck = backend.stuck_threads() if isinstance(backend, PykkaBackend) else []
            if stuck:
                _log.warning("agent threads still busy after stop", threads=stuck)
        self._timers.stop()
        self._hub.close(max(0.1, deadline - time.monotonic()))

    def __enter__(self) -> Runtime:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Runtime:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    @property
    def running(self) -> bool:
        return self._started and not self._stopped

    def _require(self) -> pykka.ActorRef[Coordinator]:
        if not self._started:
            self.start()
        if self._stopped or self._coordinator is None:
            raise RuntimeStoppedError("the runtime is stopped")
        return self._coordinator

    @property
    def hub(self) -> EventHub:
        """The event hub (for subscribers such as the run store)."""
        self._require()
        assert self._hub is not None
        return self._hub

    # -- agents ---------------------------------------------------------------------------

    def _placement(self, backend: Backend | str | None, agent: str) -> Backend:
        """The backend an agent goes to: the runtime's, one already in use, or a new one."""
        if backend is None:
            return self._default
        with self._lock:
            if isinstance(backend, Backend):
                if backend not in self._backends:
                    self._backends.append(backend)
                return backend
            name = check_backend(backend, where=f"agent {agent!r}")
            for known in self._backends:
                if known.name == name:
                    return known
        made = make_backend(name, where=f"agent {agent!r}", ray_where=f"agent {agent!r} "
                            f"(backend={name!r})")  # fmt: skip
        with self._lock:
            self._backends.append(made)
        return made

    @property
    def backend(self) -> str:
        """The name of where agents run unless registered elsewhere (``"pykka"``, ``"ray"``)."""
        return self._default.name

    def register_agent(
        self,
        name: str,
        agent: Callable[[], Agent],
        *,
        concurrency: int = 1,
        max_restarts: int = 5,
        restart_window_s: float = 60.0,
        backend: Backend | str | None = None,
        num_cpus: float | None = None,
    ) -> None:
        """Register an agent kind (replacing one of the same name).

        Args:
            name: the name stages use in ``agent = "..."``.
            agent: an ``Agent`` subclass, or any callable returning a new agent instance
                (e.g. ``functools.partial(MyAgent, setting=1)``); called once per actor.
                On Ray it is pickled to the workers, so it must be importable there.
            concurrency: how many actors perform this agent's stages at once.
            max_restarts: actor deaths tolerated within ``restart_window_s`` before the
                agent is given up on and its stages fail. On Ray it is also each Ray
                actor's ``max_restarts``: Ray restarts a worker that died.
            restart_window_s: the window of the restart intensity limit.
            backend: where this agent runs: a ``Backend``, ``"pykka"`` (threads of this
                process), ``"ray"`` (the runtime's Ray backend, or a local Ray), or
                ``None`` for the runtime's backend.
            num_cpus: CPUs Ray reserves for each of the agent's actors (Ray agents only;
                Ray's default when ``None``).

        Raises:
            ValueError: an unknown ``backend``, or ``num_cpus`` for an agent not on Ray.
            BackendUnavailableError: the agent is placed on Ray and Ray is missing or
                cannot be reached.
            AgentUnavailableError: the agent could not start on Ray (its class cannot be
                imported by the workers, or its ``setup`` failed).
        """
        placement = self._placement(backend, name)
        if concurrency < 1:
            raise ValueError(f"agent {name!r}: concurrency must be at least 1, got {concurrency}")
        coordinator = self._require()
        probe_cls = agent_class(agent)
        info = agent_info(name, probe_cls, concurrency=concurrency, backend=placement.name)
        placement.open()
        pool = placement.pool(
            PoolRequest(
                info=info,
                factory=agent,
                restart=RestartPolicy(max_restarts=max_restarts, window_s=restart_window_s),
                coordinator=coordinator,
                num_cpus=num_cpus,
            )
        )
        checker = param_checker(name, agent, probe_cls)
        coordinator.ask(AddPool(pool))
        self._cache.versions[name] = agent_version(probe_cls)
        self._validator.registered(
            name, checker, cacheable=bool(getattr(probe_cls, "cacheable", True))
        )

    @property
    def agent_names(self) -> frozenset[str]:
        return self._validator.agents

    def agents(self) -> list[AgentInfo]:
        """Every agent kind with its capabilities and live statistics."""
        pools: dict[str, AgentInfo] = self._require().ask(GetPools(), block=True, timeout=10)
        return [pools[name] for name in sorted(pools)]

    # -- runs -----------------------------------------------------------------------------

    def validate(self, workflow: WorkflowSource) -> WorkflowSpec:
        """Load (if needed) and validate a workflow against the registered agents, each
        of which also checks its stages' params (``Agent.check_params``).

        Raises:
            WorkflowValidationError: naming the stages and fields at fault.
        """
        return self._validator.validate(workflow)

    def submit(
        self,
        workflow: WorkflowSource,
        input: Mapping[str, Any] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        resume_from: Mapping[str, StageOutcome] | None = None,
        keep_outputs: Collection[str] | None = None,
        cache: bool = True,
    ) -> RunHandle:
        """Start a run and return at once.

        Args:
            workflow: a ``WorkflowSpec``, a path to a TOML/JSON file or a dict.
            input: the run's input (plain data; it is deeply frozen).
            context: extra values every stage sees in ``request.context``.
            run_id: an id of your own (must be unique); a UUID by default.
            resume_from: outcomes of stages that already finished (a run resumed after a
                crash): they are not run again, count as terminal from the start, get a
                ``StageFinished`` but no ``StageStarted``, and their dependents see them.
                Every dependency of such a stage needs an outcome too, and a required
                stage's must be ``succeeded``.
            keep_outputs: the stages whose outputs the result keeps. ``None`` (the
                default) keeps every one. Otherwise each other output is let go as soon
                as every stage depending on it has ended, so a long workflow holds only
                the tables still in use; its ``RunResult.output`` then raises
                ``OutputReleasedError``. Observers (the run store) still get every output.
            cache: ``False`` runs every stage, even those with ``cache = true``, and
                stores no cache entry for this run.

        Raises:
            WorkflowValidationError: the workflow is invalid, or ``resume_from`` does not
                fit it; nothing ran.
            UnfreezableError: ``input`` or ``context`` holds a value that is not plain data.
            StoreError: an attached run store could not record the run; nothing ran.
        """
        coordinator = self._require()
        spec = self.validate(workflow)
        reused = check_resume(spec, resume_from) if resume_from else FrozenMap()
        keep = None if keep_outputs is None else check_keep(spec, keep_outputs)
        frozen_input: FrozenMap = freeze(dict(input or {}), where="input")
        frozen_context: FrozenMap = freeze(dict(context or {}), where="context")
        run_id = run_id or new_run_id()
        future: concurrent.futures.Future[RunResult] = concurrent.futures.Future()
        self._observers.run_submitted(run_id, spec, frozen_input, frozen_context, reused)
        coordinator.tell(
            StartRun(run_id, spec, frozen_input, frozen_context, future, reused, keep, cache)
        )
        return RunHandle(self, run_id, spec, future)

    def use_cache(self, cache: VersionedCache | None) -> None:
        """Look stages with ``cache = true`` up in ``cache`` (the run store attaches
        itself); ``None``: every such stage runs."""
        self._cache.target = cache

    def observe(self, observer: RunObserver) -> Callable[[], None]:
        """Tell ``observer`` of every run submitted and every stage outcome from now on.

        Returns:
            A function that ends the observation.
        """
        return self._observers.add(observer)

    def run(
        self,
        workflow: WorkflowSource,
        input: Mapping[str, Any] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        keep_outputs: Collection[str] | None = None,
        cache: bool = True,
    ) -> RunResult:
        """Submit a run and wait for its result (see :meth:`submit`)."""
        handle = self.submit(
            workflow, input, context=context, keep_outputs=keep_outputs, cache=cache
        )
        return handle.result(timeout)

    async def arun(
        self,
        workflow: WorkflowSource,
        input: Mapping[str, Any] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        keep_outputs: Collection[str] | None = None,
    ) -> RunResult:
        """Submit a run and await its result without blocking the event loop."""
        # In a thread: with a run store attached, submitting waits for a commit.
        handle = await asyncio.to_thread(
            functools.partial(
                self.submit, workflow, input, context=context, keep_outputs=keep_outputs
            )
        )
        return await handle.wait()

    def cancel(self, run_id: str, reason: str = "cancelled by request") -> None:
        """Ask for a run to be cancelled (a no-op if it already finished)."""
        self._require().tell(CancelRun(run_id, reason))

    def abort(self, run_id: str, error: BaseException) -> None:
        """End a run as ``failed`` with ``error`` (a no-op if it already finished).

        For what cannot go on with a run though its stages could: the run store calls
        it when it cannot record the run (disk full), so no run goes on unrecorded.
        """
        info = ErrorInfo.from_exception(error)
        self._require().tell(CancelRun(run_id, f"aborted: {error}", error=info))

    def events(self, run_id: str | None = None) -> AsyncIterator[Event]:
        """Async iterator over a run's events (past ones first), ending with its end.

        With no ``run_id``, every run's events from now on, until you stop iterating.
        """
        return _iter_events(self.hub, run_id)

    def history(self, run_id: str) -> list[Event]:
        """The events of a run still held in memory."""
        return self.hub.history(run_id)
