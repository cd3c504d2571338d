"""The one errors module: every error actorflow raises derives from ``ActorflowError``.

Kept in ``contracts`` (which imports nothing of ours) so that every layer can raise and
catch them without import loops.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from ._quote import listing, quote, shorten

#: Characters of a problem's message shown: what builders quote is capped already (see
#: ``_quote``); this also bounds text they pass on from elsewhere (msgspec, an exception).
MAX_MESSAGE = 500
#: Problems an invalid workflow's message lists.
MAX_PROBLEMS = 20


class ActorflowError(Exception):
    """Base class of every error actorflow raises."""

    #: Whether a stage attempt that failed with this error may be retried.
    retryable: bool = False


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong with a workflow: where it is and what to do about it.

    Attributes:
        message: what is wrong and what to do about it.
        stage: the stage at fault.
        field: the field at fault (``params.sources[0].url``).
        source: the data source at fault, among a stage's sources (``source 'crm'``);
            the workflow file is named by the error (``WorkflowValidationError.source``).
    """

    message: str
    stage: str | None = None
    field: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        # The attributes keep the exact values (the web API returns ``field``); what is
        # shown of them is capped, since they come from the input.
        where = [shorten(self.source)] if self.source else []
        if self.stage:
            where.append(f"stage {quote(self.stage)}")
        if self.field:
            where.append(f"field {quote(self.field)}")
        prefix = ", ".join(where)
        message = shorten(self.message, MAX_MESSAGE)
        return f"{prefix}: {message}" if prefix else message


class WorkflowValidationError(ActorflowError, ValueError):
    """A workflow is invalid; nothing of it was run.

    An agent's ``check_params`` raises it with a message (``field`` naming the param at
    fault) or with a list of ``Problem``; the stage is filled in for it.

    Args:
        problems: every problem found, a single one, or one problem's message.
        source: where the workflow came from (its file).
        field: with a message: the field at fault (``params.threshold``).

    Attributes:
        problems: every problem found, each naming the stage and field at fault.
    """

    def __init__(
        self,
        problems: str | Problem | Iterable[Problem],
        *,
        source: str | None = None,
        field: str | None = None,
    ) -> None:
        if isinstance(problems, str):
            problems = (Problem(message=problems, field=field),)
        elif isinstance(problems, Problem):
            problems = (problems,)
        self.problems: tuple[Problem, ...] = tuple(problems)
        for problem in self.problems:
            if not isinstance(problem, Problem):
                raise TypeError(
                    "WorkflowValidationError takes a message or Problem objects, "
                    f"got {type(problem).__name__}"
                )
        self.source = source
        head = f"invalid workflow{f' {source}' if source else ''}"
        lines = listing((f"  - {p}" for p in self.problems), MAX_PROBLEMS, sep="\n", each=2000)
        super().__init__(f"{head}:\n{lines}" if lines else head)


class ContractError(ActorflowError, ValueError):
    """A table contract (or one of its fields) is invalid.

    Attributes:
        problems: every problem found; each ``field`` is a path inside the contract
            (``fields[2].scale``, ``key``), or inside the field for a lone ``FieldSpec``.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid contract:\n{lines}" if lines else "invalid contract")


class DataValidationError(ActorflowError, ValueError):
    """Input data broke a rule. Never retried: the same data fails the same way."""


class RetryableError(ActorflowError):
    """A transient failure (I/O, a busy service); the stage may be retried."""

    retryable = True


class SourceError(RetryableError):
    """A data source could not be read: names the source and what went wrong."""

    def __init__(self, message: str, *, source: str, retryable: bool = True) -> None:
        self.source = source
        self.retryable = retryable
        super().__init__(f"{source}: {message}")


class LimitExceededError(SourceError):
    """A source passed a limit on what it may read (records or bytes), and reading
    stopped there. Never retried: the same source passes it again."""

    def __init__(self, message: str, *, source: str) -> None:
        super().__init__(message, source=source, retryable=False)


class StageTimeoutError(RetryableError, TimeoutError):
    """A stage attempt took longer than its ``timeout_s``."""


class AgentCrashedError(RetryableError):
    """The actor performing a stage died; a fresh one replaces it."""


class AgentUnavailableError(ActorflowError):
    """An agent kind cannot take work: unknown, or restarted too often and given up on."""


class BackendUnavailableError(ActorflowError, RuntimeError):
    """An agent backend cannot be used: its package is not installed, or its cluster
    cannot be reached. Raised when the runtime starts or the agent is registered, before
    anything runs."""


class OutputReleasedError(ActorflowError, LookupError):
    """A stage's output was let go during its run (``keep_outputs`` did not name it)."""


class UnfreezableError(ActorflowError, TypeError):
    """A value cannot be made immutable, so it cannot cross an actor boundary."""


class OutputNotFrozenError(UnfreezableError):
    """A stage returned a value that cannot cross an actor boundary."""


class RunCancelledError(ActorflowError):
    """The run was cancelled before this stage could finish."""


class RunTimeoutError(ActorflowError, TimeoutError):
    """The run took longer than the workflow's ``timeout_s``."""


class RuntimeStoppedError(ActorflowError, RuntimeError):
    """The runtime is not running (not started yet, or stopped)."""


def is_retryable(exc: BaseException) -> bool:
    """Tell whether a stage failure may be retried.

    I/O and timeouts are retryable; validation errors never are. Any exception can opt in
    or out with a boolean ``retryable`` attribute.
    """
    flag = getattr(exc, "retryable", None)
    if isinstance(flag, bool):
        return flag
    return isinstance(exc, (OSError, TimeoutError))
