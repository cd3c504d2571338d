"""The ``Agent`` base class users subclass, and the request a stage hands it."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from actorflow.bus import CancelToken
from actorflow.contracts import FrozenMap, RunStage, StageOutcome, StageSpec, freeze

from ._assignment import ProgressFn
from ._stats import PoolStats


@dataclass(frozen=True, slots=True)
class StageRequest:
    """Everything one attempt of a stage may use: the immutable ``RunStage`` message the
    coordinator sent, and the attempt's live cancel token and progress callback.

    ``run_id``, ``workflow``, ``stage`` (its spec: ``task`` and ``params`` are shortcuts
    to it), ``attempt`` (1 for the first, 2 for the first retry, ...), ``input`` (the
    run's input, deeply frozen), ``dependencies`` (the outcomes of the stage's
    dependencies, by stage name) and ``context`` (a frozen snapshot of the run's context)
    are the message's. To drive an agent without a runtime (in a unit test), make one
    with :meth:`of`.

    Attributes:
        message: the stage message.
        cancel: set when the attempt is cancelled or times out; poll it in long loops.
    """

    message: RunStage
    cancel: CancelToken
    _progress: ProgressFn = field(repr=False)

    @classmethod
    def of(
        cls,
        stage: StageSpec,
        *,
        input: Mapping[str, Any] | None = None,
        dependencies: Mapping[str, StageOutcome] | None = None,
        context: Mapping[str, Any] | None = None,
        run_id: str = "run",
        workflow: str = "workflow",
        attempt: int = 1,
        cancel: CancelToken | None = None,
        progress: ProgressFn | None = None,
    ) -> StageRequest:
        """A request for one attempt of ``stage`` outside any runtime (input, dependencies
        and context frozen as a runtime would)."""
        message = RunStage(
            run_id=run_id,
            workflow=workflow,
            stage=stage,
            attempt=attempt,
            input=freeze(dict(input or {}), where="input"),
            dependencies=FrozenMap(dependencies or {}),
            context=freeze(dict(context or {}), where="context"),
        )
        return cls(message, cancel or CancelToken(), progress or _no_progress)

    @property
    def run_id(self) -> str:
        return self.message.run_id

    @property
    def workflow(self) -> str:
        return self.message.workflow

    @property
    def stage(self) -> StageSpec:
        return self.message.stage

    @property
    def attempt(self) -> int:
        return self.message.attempt

    @property
    def input(self) -> FrozenMap:
        return self.message.input

    @property
    def dependencies(self) -> FrozenMap:
        return self.message.dependencies

    @property
    def context(self) -> FrozenMap:
        return self.message.context

    @property
    def task(self) -> str:
        return self.stage.task

    @property
    def params(self) -> Mapping[str, Any]:
        """The stage's params (a read-only mapping)."""
        return self.stage.params

    @property
    def cancelled(self) -> bool:
        return self.cancel.cancelled

    def output(self, stage: str, default: Any = None) -> Any:
        """The output of dependency ``stage`` (``default`` if it has none or failed)."""
        outcome: StageOutcome | None = self.dependencies.get(stage)
        if outcome is None or outcome.output is None:
            return default
        return outcome.output

    @property
    def outputs(self) -> FrozenMap:
        """Outputs of the dependencies that succeeded, by stage name."""
        return FrozenMap(
            {name: o.output for name, o in self.dependencies.items() if o.status == "succeeded"}
        )

    def report_progress(self, fraction: float, message: str = "") -> None:
        """Report how far the stage is, as a fraction from 0 to 1, with a short message."""
        self._progress(fraction, message)

    def raise_if_cancelled(self) -> None:
        """Raise ``RunCancelledError`` if this attempt was cancelled or timed out."""
        self.cancel.raise_if_cancelled()


def _no_progress(_fraction: float, _message: str) -> None:
    return None


class Agent:
    """Base class of every agent: subclass it and implement :meth:`perform`.

    One instance is made per actor of the pool (``concurrency`` of them), so an instance
    may keep connections or caches of its own; it never shares them with other actors.
    ``perform`` (and ``setup``/``teardown``) may be plain methods or ``async def``;
    coroutines run on an event loop owned by the actor's thread.

    Class attributes describe the agent for the CLI, the API and the dashboard.
    ``version`` names what the agent computes, for stage caching: change it when the
    same request would now give another output (``None``, the default: a digest of the
    class's source, so editing the class is a new version). ``cacheable = False``
    declares an agent whose output may differ for the same request (it reads the clock,
    a live API, randomness): its stages cannot set ``cache = true``.
    """

    role: ClassVar[str] = ""
    description: ClassVar[str] = ""
    expertise: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[str | None] = None
    cacheable: ClassVar[bool] = True

    @classmethod
    def model_name(cls) -> str | None:
        """The chat model the agent uses, if any (the API's capabilities show it)."""
        return None

    def setup(self) -> Awaitable[None] | None:
        """Called once in the actor's thread before the first stage."""
        return None

    def teardown(self) -> Awaitable[None] | None:
        """Called once in the actor's thread when the actor stops."""
        return None

    def check_params(self, params: Mapping[str, Any], *, stage: str) -> None:
        """Refuse a stage's params before any run starts; the default accepts any.

        Called by ``Runtime.validate`` and ``Runtime.submit`` (so by ``actorflow
        validate`` and the API too), on an instance made for checking that is never set
        up: check the params' shape and values here, and leave what needs the run's
        input or ``setup``'s resources to ``perform``.

        Raises:
            WorkflowValidationError: naming the stage and the field (``params.x``) at fault.
            ValueError | TypeError: bad params, reported as a problem of ``params``.
        """

    def perform(self, request: StageRequest) -> Any:
        """Perform one attempt of a stage and return its output.

        The output must be plain data (str, numbers, Decimal, dates, dict, list, tuple),
        a frozen msgspec Struct or ``Records``; it is frozen before it leaves the actor.
        Raise to fail the attempt: I/O errors and timeouts are retried (if the stage has
        retries), validation errors never are.
        """
        raise NotImplementedError(f"{type(self).__name__}.perform is not implemented")


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """An agent kind as the CLI, the API and the dashboard show it."""

    name: str
    role: str
    description: str
    expertise: tuple[str, ...]
    concurrency: int
    is_async: bool
    backend: str = "pykka"
    healthy: bool = True
    problem: str | None = None
    model: str | None = None
    stats: PoolStats = PoolStats()  # noqa: RUF009 - frozen: one shared instance is safe

    # The pool's statistics, by their own names (``info.executions``).
    @property
    def executions(self) -> int:
        return self.stats.executions

    @property
    def successes(self) -> int:
        return self.stats.successes

    @property
    def failures(self) -> int:
        return self.stats.failures

    @property
    def mean_duration_s(self) -> float:
        return self.stats.mean_duration_s

    @property
    def restarts(self) -> int:
        return self.stats.restarts

    @property
    def busy(self) -> int:
        return self.stats.busy

    @property
    def waiting(self) -> int:
        return self.stats.waiting
