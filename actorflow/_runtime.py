"""The runtime: assembles the hub, the timers, the coordinator and the agent pools."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import msgspec
import pykka

from actorflow.actors import (
    AddPool,
    Agent,
    AgentActor,
    AgentInfo,
    CancelRun,
    Coordinator,
    GetPools,
    Shutdown,
    StartRun,
)
from actorflow.bus import AgentPool, EventHub, RestartPolicy, TimerService, get_logger
from actorflow.bus import iter_events as _iter_events
from actorflow.contracts import (
    STAGE_TERMINAL,
    ActorflowError,
    ErrorInfo,
    Event,
    FrozenMap,
    Problem,
    RunResult,
    RuntimeStoppedError,
    StageOutcome,
    WorkflowSpec,
    WorkflowValidationError,
    freeze,
    load_workflow,
)

from ._backends import Backend, check_backend, connect_ray, require_ray
from ._param_checks import check_params, param_checker

if TYPE_CHECKING:
    from actorflow.actors.ray_backend import RayBackend

_log = get_logger("runtime")

WorkflowSource = WorkflowSpec | str | Path | Mapping[str, Any]


class RunObserver(Protocol):
    """Sees what events do not carry: a run's spec and input, and each stage's output.

    Both methods are called inline: the first in the submitting thread before the run
    starts, the second in the coordinator's thread just before the stage's
    ``StageFinished``, so the second must only hand things on, never wait. The run
    store is one; its resume needs outputs before the run ends, and it commits each
    submission before ``submit`` returns. ``run_submitted`` may refuse a run by raising
    an ``ActorflowError`` (the store does when it cannot record it): the run does not
    start and ``submit`` raises that error.
    """

    def run_submitted(
        self,
        run_id: str,
        spec: WorkflowSpec,
        input: FrozenMap,
        context: FrozenMap,
        resume_from: Mapping[str, StageOutcome],
    ) -> None: ...

    def stage_finished(self, run_id: str, outcome: StageOutcome) -> None: ...


def _unknown_stages(spec: WorkflowSpec, names: Iterable[str], *, field: str) -> list[Problem]:
    """A problem for each of ``names`` that is not a stage of ``spec``."""
    stages = {stage.name for stage in spec.stages}
    return [
        Problem(stage=name, field=field, message="the workflow has no such stage")
        for name in names
        if name not in stages
    ]


def _check_resume(spec: WorkflowSpec, resume_from: Mapping[str, StageOutcome]) -> FrozenMap:
    """Outcomes a resumed run may start from: terminal, of its stages, closed under deps.

    Raises:
        WorkflowValidationError: naming each stage whose outcome cannot be reused.
    """
    problems = _unknown_stages(spec, resume_from, field="resume_from")
    for stage in spec.stages:
        outcome = resume_from.get(stage.name)
        if outcome is None:
            continue
        if outcome.stage != stage.name or outcome.status not in STAGE_TERMINAL:
            message = (
                "expected a terminal outcome of this stage, "
                f"got one of stage {outcome.stage!r} {outcome.status}"
            )
        elif stage.required and not outcome.succeeded:
            message = f"a required stage that {outcome.status} would have failed the run"
        elif missing := [dep for dep in stage.depends_on if dep not in resume_from]:
            message = f"its dependencies {missing} have no outcome to resume from"
        else:
            continue
        problems.append(Problem(stage=stage.name, field="resume_from", message=message))
    if problems:
        raise WorkflowValidationError(problems, source=f"resume of workflow {spec.name!r}")
    # Outputs cross into agents like any other, so they are frozen like any other.
    return FrozenMap(
        {
            name: msgspec.structs.replace(o, output=freeze(o.output, where=f"{name}.output"))
            for name, o in resume_from.items()
        }
    )


def _check_keep(spec: WorkflowSpec, keep_outputs: Collection[str]) -> frozenset[str]:
    """``keep_outputs`` as a set of the workflow's stage names.

    Raises:
        WorkflowValidationError: naming each name that is not a stage of the workflow.
    """
    if isinstance(keep_outputs, str):
        keep_outputs = (keep_outputs,)  # one name, not its letters
    problems = _unknown_stages(spec, keep_outputs, field="keep_outputs")
    if problems:
        raise WorkflowValidationError(problems, source=f"run of workflow {spec.name!r}")
    return frozenset(keep_outputs)


def _agent_class(agent: Callable[[], Agent]) -> type:
    """The class behind an agent factory, without calling it when that can be avoided."""
    target: Any = agent
    while isinstance(target, functools.partial):
        target = target.func
    if isinstance(target, type):
        return target
    return type(agent())


class RunHandle:
    """A submitted run: its id, its result when done, and a way to cancel it."""

    __slots__ = ("_future", "_runtime", "run_id", "workflow")

    def __init__(
        self,
        runtime: Runtime,
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


class Runtime:
    """An actorflow runtime: agents, a coordinator and the progress signals.

    Use it as a context manager (``with Runtime() as rt`` or ``async with``); leaving
    the block cancels what still runs and stops every actor thread.

    Args:
        keep_events: finished runs whose events stay in memory for late listeners.
        stop_timeout_s: how long ``stop`` waits for actor threads to end.
        backend: where agents run unless ``register_agent`` says otherwise: ``"pykka"``
            (threads of this process) or ``"ray"`` (Ray actors; needs
            ``pip install 'actorflow[ray]'``). The coordinator, the signals and the run
            store always stay in this process.
        ray_address: the Ray cluster for agents placed on Ray: ``None`` starts a local
            Ray for this runtime (stopped with it); ``"host:port"`` is an existing
            cluster's head (``"auto"``: the one running on this machine). A process
            already connected to Ray keeps that connection.
        ray_connect_timeout_s: the longest connecting to Ray may take.
        ray_init_options: more keyword arguments for ``ray.init`` (``runtime_env``,
            ``namespace``, ``num_cpus`` of a local Ray, ...).

    Raises:
        ValueError: an unknown ``backend``.
        BackendUnavailableError: ``backend="ray"`` without Ray installed.
    """

    def __init__(
        self,
        *,
        keep_events: int = 1024,
        stop_timeout_s: float = 10.0,
        backend: Backend = "pykka",
        ray_address: str | None = None,
        ray_connect_timeout_s: float = 60.0,
        ray_init_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._backend = check_backend(backend, where="Runtime(backend=...)")
        if self._backend == "ray":
            require_ray(where="Runtime(backend='ray')")
        self._ray_address = ray_address
        self._ray_connect_timeout_s = ray_connect_timeout_s
        self._ray_init_options = dict(ray_init_options or {})
        self._ray: RayBackend | None = None
        self._ray_lock = threading.Lock()
        self._keep_events = keep_events
        self._stop_timeout_s = stop_timeout_s
        self._lock = threading.Lock()
        # Replaced, never mutated: the coordinator's thread reads it without the lock.
        self._observers: tuple[RunObserver, ...] = ()
        self._started = False
        self._stopped = False
        self._agents: dict[str, AgentInfo] = {}
        # Agents that check their stages' params (Agent.check_params), by name.
        self._checkers: dict[str, Agent] = {}
        # Bumped by every registration: a validation holds for one set of agents.
        self._registrations = 0
        # id(spec) -> (spec, registrations it was validated under); the spec is held so
        # that its id cannot be reused by another object.
        self._validated: dict[int, tuple[WorkflowSpec, int]] = {}
        self._threads: set[threading.Thread] = set()
        self._hub: EventHub | None = None
        self._timers: TimerService | None = None
        self._coordinator: pykka.ActorRef[Coordinator] | None = None

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
            if self._backend == "ray":
                self._ray_backend()  # before anything else starts: a failure leaves nothing
            self._hub = EventHub(keep_finished=self._keep_events)
            self._timers = TimerService()
            self._coordinator = Coordinator.start(
                hub=self._hub, timers=self._timers, on_outcome=self._stage_finished
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
        if self._ray is not None:
            self._ray.close(max(0.1, deadline - time.monotonic()))
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in self._threads if t.is_alive()]
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

    def _ray_backend(self) -> RayBackend:
        """The runtime's Ray backend, connected on first use.

        Raises:
            BackendUnavailableError: Ray is missing, or cannot be reached or started.
        """
        with self._ray_lock:
            if self._ray is None:
                self._ray = connect_ray(
                    self._ray_address,
                    connect_timeout_s=self._ray_connect_timeout_s,
                    init_options=self._ray_init_options,
                )
            return self._ray

    @property
    def backend(self) -> Backend:
        """Where agents run unless registered elsewhere (``"pykka"`` or ``"ray"``)."""
        return self._backend

    def register_agent(
        self,
        name: str,
        agent: Callable[[], Agent],
        *,
        concurrency: int = 1,
        max_restarts: int = 5,
        restart_window_s: float = 60.0,
        backend: Backend | None = None,
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
            backend: where this agent runs: ``"pykka"`` (threads of this process),
                ``"ray"`` (Ray actors), or ``None`` for the runtime's backend.
            num_cpus: CPUs Ray reserves for each of the agent's actors (Ray agents only;
                Ray's default when ``None``).

        Raises:
            ValueError: an unknown ``backend``, or ``num_cpus`` for an agent not on Ray.
            BackendUnavailableError: the agent is placed on Ray and Ray is missing or
                cannot be reached.
            AgentUnavailableError: the agent could not start on Ray (its class cannot be
                imported by the workers, or its ``setup`` failed).
        """
        placement = (
            self._backend if backend is None else check_backend(backend, where=f"agent {name!r}")
        )
        if placement == "ray":
            require_ray(where=f"agent {name!r} (backend='ray')")
            if num_cpus is not None and not num_cpus >= 0:
                raise ValueError(f"agent {name!r}: num_cpus must be >= 0, got {num_cpus}")
        elif num_cpus is not None:
            raise ValueError(
                f"agent {name!r}: num_cpus applies to agents on Ray (backend='ray'); "
                f"this one runs on {placement}"
            )
        if concurrency < 1:
            raise ValueError(f"agent {name!r}: concurrency must be at least 1, got {concurrency}")
        coordinator = self._require()
        probe_cls = _agent_class(agent)
        perform = getattr(probe_cls, "perform", None)
        info = AgentInfo(
            name=name,
            role=getattr(probe_cls, "role", "") or name,
            description=getattr(probe_cls, "description", "") or (probe_cls.__doc__ or "").strip(),
            expertise=tuple(getattr(probe_cls, "expertise", ())),
            concurrency=concurrency,
            is_async=inspect.iscoroutinefunction(perform),
            backend=placement,
        )

        def spawn(member: int) -> Any:
            return AgentActor.start(
                pool=name,
                member=member,
                factory=agent,
                coordinator=coordinator,
                threads=self._threads,
            )

        restart = RestartPolicy(max_restarts=max_restarts, window_s=restart_window_s)
        if placement == "ray":
            pool = self._ray_pool(
                name=name,
                agent=agent,
                info=info,
                concurrency=concurrency,
                num_cpus=num_cpus,
                restart=restart,
            )
        else:
            pool = AgentPool(name, spawn, concurrency=concurrency, restart=restart, info=info)
        checker = param_checker(name, agent, probe_cls)
        coordinator.ask(AddPool(pool))
        with self._lock:
            self._agents[name] = info
            self._registrations += 1
            if checker is None:
                self._checkers.pop(name, None)
            else:
                self._checkers[name] = checker

    def _ray_pool(
        self,
        *,
        name: str,
        agent: Callable[[], Agent],
        info: AgentInfo,
        concurrency: int,
        num_cpus: float | None,
        restart: RestartPolicy,
    ) -> AgentPool:
        """An agent pool whose members are Ray actors, its first agent already set up."""
        ray_backend = self._ray_backend()
        if num_cpus:
            available = ray_backend.cluster_cpus()
            if concurrency * num_cpus > available:
                _log.warning(
                    "agent asks for more CPUs than the Ray cluster has; some of its actors "
                    "wait for room",
                    agent=name,
                    wanted=concurrency * num_cpus,
                    cluster_cpus=available,
                )
        members = ray_backend.members(
            name,
            agent,
            concurrency=concurrency,
            num_cpus=num_cpus,
            max_restarts=restart.max_restarts,
        )
        pool = AgentPool(name, members.spawn, concurrency=concurrency, restart=restart, info=info)
        members.registered()
        try:
            members.wait_started(self._ray_connect_timeout_s)
        except BaseException:
            pool.stop()
            raise
        return pool

    @property
    def agent_names(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._agents)

    def agents(self) -> list[AgentInfo]:
        """Every agent kind with its capabilities and live statistics."""
        pools: dict[str, Any] = self._require().ask(GetPools(), block=True, timeout=10)
        out = []
        for name, (info, stats, broken) in sorted(pools.items()):
            out.append(
                AgentInfo(
                    name=name,
                    role=info.role,
                    description=info.description,
                    expertise=info.expertise,
                    concurrency=info.concurrency,
                    is_async=info.is_async,
                    backend=info.backend,
                    healthy=broken is None,
                    problem=broken,
                    executions=stats.executions,
                    successes=stats.successes,
                    failures=stats.failures,
                    mean_duration_s=stats.mean_duration_s,
                    restarts=stats.restarts,
                    busy=stats.busy,
                    waiting=stats.waiting,
                )
            )
        return out

    # -- runs -----------------------------------------------------------------------------

    def validate(self, workflow: WorkflowSource) -> WorkflowSpec:
        """Load (if needed) and validate a workflow against the registered agents, each
        of which also checks its stages' params (``Agent.check_params``).

        Raises:
            WorkflowValidationError: naming the stages and fields at fault.
        """
        if not isinstance(workflow, WorkflowSpec):
            with self._lock:
                agents, checkers = frozenset(self._agents), dict(self._checkers)
            spec = load_workflow(workflow, agents=agents)
            origin = str(workflow) if isinstance(workflow, (str, Path)) else None
            check_params(spec, checkers, source=origin)
            return spec
        # Services submit the same spec object over and over; a spec is immutable, so
        # its validation holds until an agent is registered.
        key = id(workflow)
        with self._lock:
            cached = self._validated.get(key)
            registrations = self._registrations
            agents, checkers = frozenset(self._agents), dict(self._checkers)
        if cached is not None and cached[0] is workflow and cached[1] == registrations:
            return workflow
        load_workflow(workflow, agents=agents)
        check_params(workflow, checkers)
        with self._lock:
            if len(self._validated) >= 256:
                self._validated.pop(next(iter(self._validated)))
            self._validated[key] = (workflow, registrations)
        return workflow

    def submit(
        self,
        workflow: WorkflowSource,
        input: Mapping[str, Any] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        resume_from: Mapping[str, StageOutcome] | None = None,
        keep_outputs: Collection[str] | None = None,
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

        Raises:
            WorkflowValidationError: the workflow is invalid, or ``resume_from`` does not
                fit it; nothing ran.
            UnfreezableError: ``input`` or ``context`` holds a value that is not plain data.
            StoreError: an attached run store could not record the run; nothing ran.
        """
        coordinator = self._require()
        spec = self.validate(workflow)
        reused = _check_resume(spec, resume_from) if resume_from else FrozenMap()
        keep = None if keep_outputs is None else _check_keep(spec, keep_outputs)
        frozen_input: FrozenMap = freeze(dict(input or {}), where="input")
        frozen_context: FrozenMap = freeze(dict(context or {}), where="context")
        run_id = run_id or uuid.uuid4().hex
        future: concurrent.futures.Future[RunResult] = concurrent.futures.Future()
        for observer in self._observers:
            try:
                observer.run_submitted(run_id, spec, frozen_input, frozen_context, reused)
            except ActorflowError:
                raise  # a refusal (the store cannot record the run): nothing started
            except Exception:  # noqa: BLE001 - an observer's bug must not stop the run
                _log.exception("run observer failed", run_id=run_id)
        coordinator.tell(StartRun(run_id, spec, frozen_input, frozen_context, future, reused, keep))
        return RunHandle(self, run_id, spec, future)

    def observe(self, observer: RunObserver) -> Callable[[], None]:
        """Tell ``observer`` of every run submitted and every stage outcome from now on.

        Returns:
            A function that ends the observation.
        """
        with self._lock:
            self._observers = (*self._observers, observer)

        def unobserve() -> None:
            with self._lock:
                self._observers = tuple(o for o in self._observers if o is not observer)

        return unobserve

    def _stage_finished(self, run_id: str, outcome: StageOutcome) -> None:
        for observer in self._observers:
            try:
                observer.stage_finished(run_id, outcome)
            except Exception:  # noqa: BLE001 - the coordinator must not fail for an observer
                _log.exception("run observer failed", run_id=run_id, stage=outcome.stage)

    def run(
        self,
        workflow: WorkflowSource,
        input: Mapping[str, Any] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        keep_outputs: Collection[str] | None = None,
    ) -> RunResult:
        """Submit a run and wait for its result (see :meth:`submit`)."""
        handle = self.submit(workflow, input, context=context, keep_outputs=keep_outputs)
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
