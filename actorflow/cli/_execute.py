"""Running one workflow for the CLI: agents, the run store, live progress, results.

:func:`run_workflow` is what ``actorflow run`` does after parsing its options, and what
``actorflow demo`` (and any script that wants the same display) calls.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import polars as pl
from rich.console import Console

from actorflow._backends import BackendName, make_backend
from actorflow._builtin import register_builtin_agents
from actorflow._handle import RunHandle
from actorflow._ids import SHOWN_CANDIDATES, candidates_text, new_run_id
from actorflow._runtime import Runtime
from actorflow._validation import WorkflowSource
from actorflow.contracts import (
    ActorflowError,
    AgentUnavailableError,
    BackendUnavailableError,
    Event,
    RunFinished,
    RunResult,
    StageFinished,
    WorkflowSpec,
    WorkflowValidationError,
)
from actorflow.store import Recovery, RetryError, RunStore, StoreError

from ._agents_hooks import AgentHook
from ._console import make_console
from ._document import run_document
from ._errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, CliError, workflow_lines
from ._progress import LineProgress, LiveProgress, NoProgress, ProgressDisplay
from ._render import print_contracts, print_insights, stages_table
from ._results import ResultWriter, to_jsonable
from ._store import open_store
from ._variables import expand_variables

__all__ = ["retry_run", "run_workflow"]

AgentSetup = Callable[[Runtime], object] | AgentHook


@dataclass(slots=True)
class _RunEnd:
    """How a run the CLI waited for ended: its result, and whether Ctrl-C interrupted it."""

    result: RunResult
    interrupted: bool
    reused: frozenset[str] = frozenset()
    cached: frozenset[str] = frozenset()


Submit = Callable[[str], RunHandle]
"""Starts the run under the run id given (subscribed to already) and returns its handle."""

Prepare = Callable[[Runtime, RunStore], Submit]
"""With the agents registered and the store open: how to start the run. Raises
``CliError`` for what makes it impossible (nothing ran)."""


def run_workflow(
    workflow: WorkflowSource,
    input: Mapping[str, Any] | None = None,
    *,
    db: str | os.PathLike[str] | None = None,
    output: Path | None = None,
    json_output: bool = False,
    agents: Sequence[AgentSetup] = (),
    console: Console | None = None,
    db_timeout_s: float = 5.0,
    backend: BackendName = "pykka",
    ray_address: str | None = None,
    cache: bool = True,
) -> int:
    """Run ``workflow`` with live progress, record it in the run store, write its results.

    Args:
        workflow: a workflow file, dict or spec.
        input: the run's input.
        db: the run store's file (``ACTORFLOW_DB`` or the default one when ``None``).
        output: a folder for the results (records as CSV and Parquet, other outputs as
            JSON, insights as Markdown and SVG charts, ``run.json``).
        json_output: print the run as one JSON document on stdout and nothing else.
        agents: callables that register agents on the runtime, after the built-in ones.
        console: where people's output goes (stdout by default).
        db_timeout_s: how long to wait for a locked run store.
        backend: where the agents run (``"pykka"`` or ``"ray"``).
        ray_address: the Ray cluster with ``backend="ray"`` (``None``: a local Ray).
        cache: ``False`` runs every stage, even those with ``cache = true``.

    Returns:
        The exit code: 0 completed, 1 failed or cancelled, 130 interrupted (Ctrl-C).

    Raises:
        CliError: an invalid workflow, an unusable output folder, a locked or corrupt
            run store, an agent set-up that failed, or a backend that cannot be used
            (Ray missing or unreachable) (exit code 2); nothing ran.
    """
    data = dict(input or {})
    spec: WorkflowSpec | None = None

    def validate(runtime: Runtime) -> None:
        nonlocal spec
        spec = _validate(runtime, workflow)

    def prepare(runtime: Runtime, _store: RunStore) -> Submit:
        assert spec is not None
        checked = spec
        return lambda run_id: runtime.submit(checked, data, run_id=run_id, cache=cache)

    return _execute(
        prepare,
        check=validate,
        db=db,
        output=output,
        json_output=json_output,
        agents=agents,
        console=console,
        db_timeout_s=db_timeout_s,
        backend=backend,
        ray_address=ray_address,
    )


def retry_run(
    run_id: str,
    *,
    from_stage: str | None = None,
    input: Mapping[str, Any] | None = None,
    db: str | os.PathLike[str] | None = None,
    output: Path | None = None,
    json_output: bool = False,
    agents: Sequence[AgentSetup] = (),
    console: Console | None = None,
    db_timeout_s: float = 5.0,
    backend: BackendName = "pykka",
    ray_address: str | None = None,
) -> int:
    """Retry the stored run ``run_id`` (a whole id or a unique prefix) as ``run_workflow``
    runs a workflow: a new run, linked to it, that takes over the stages that succeeded
    (see ``RunStore.retry``); ``from_stage`` runs that stage and its downstream again.

    Raises:
        CliError: as ``run_workflow``, and: the run is unknown, ambiguous, still under
            way, or a stored output it needs is gone (exit code 2); nothing ran.
    """

    def prepare(runtime: Runtime, store: RunStore) -> Submit:
        found = store.run_ids(run_id, limit=SHOWN_CANDIDATES + 1)
        if len(found) > 1 and run_id not in found:
            raise CliError(f"{candidates_text(run_id, found)} in run store {store.path}")
        whole = run_id if run_id in found or not found else found[0]
        try:
            plan = store.plan_retry(
                whole, agents=runtime.agent_names, from_stage=from_stage, input=input
            )
        except RetryError as exc:
            raise CliError(f"{exc} (run store {store.path})") from None
        return lambda new_id: store.submit_retry(runtime, plan, run_id=new_id)

    return _execute(
        prepare,
        check=None,
        db=db,
        output=output,
        json_output=json_output,
        agents=agents,
        console=console,
        db_timeout_s=db_timeout_s,
        backend=backend,
        ray_address=ray_address,
    )


def _execute(
    prepare: Prepare,
    *,
    check: Callable[[Runtime], None] | None,
    db: str | os.PathLike[str] | None,
    output: Path | None,
    json_output: bool,
    agents: Sequence[AgentSetup],
    console: Console | None,
    db_timeout_s: float,
    backend: BackendName,
    ray_address: str | None,
) -> int:
    """What ``run_workflow`` and ``retry_run`` share: agents, store, progress, results."""
    human = console or make_console()
    errors = make_console(stderr=True)
    notes = errors if json_output else human
    try:
        runtime = Runtime(backend=make_backend(backend, where="--backend", ray_address=ray_address))
    except BackendUnavailableError as exc:
        raise CliError(str(exc)) from None
    store: RunStore | None = None
    try:
        # Agents first: the workflow is then checked once, with every problem reported
        # together, before the output folder or the store are touched.
        _register(runtime, agents)
        if check is not None:
            check(runtime)
        writer = _writer(output)
        store = open_store(db, timeout_s=db_timeout_s)
        submit = prepare(runtime, store)
        recoveries = store.attach(runtime)
        for recovery in recoveries:
            notes.print(_recovery_line(recovery), markup=False, soft_wrap=True)
        display = _display(human, errors, json_output=json_output)
        outcome = _watch(runtime, submit, display)
        code = _report(
            outcome,
            writer,
            recoveries,
            store_path=store.path,
            human=human,
            errors=errors,
            json_output=json_output,
        )
        _wait_for_resumed(recoveries, notes)
        return code
    except (StoreError, BackendUnavailableError, AgentUnavailableError) as exc:
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:
        # A second Ctrl-C: leave at once. Detaching the store before the runtime stops
        # keeps what still runs resumable by the next start, instead of recording it as
        # cancelled.
        if store is not None:
            store.close()
        notes.print("interrupted", markup=False, soft_wrap=True)
        return EXIT_INTERRUPTED
    finally:
        runtime.stop()
        if store is not None:
            store.close()


def _register(runtime: Runtime, agents: Sequence[AgentSetup]) -> None:
    runtime.start()
    register_builtin_agents(runtime)
    for setup in agents:
        if isinstance(setup, AgentHook):
            setup.apply(runtime)
        else:
            setup(runtime)


def _report(
    outcome: _RunEnd,
    writer: ResultWriter | None,
    recoveries: Sequence[Recovery],
    *,
    store_path: Path,
    human: Console,
    errors: Console,
    json_output: bool,
) -> int:
    """Show the finished run (summary, insights, or the JSON document), write its
    results; return the exit code."""
    result = outcome.result
    outputs = {name: o.output for name, o in result.stages.items() if o.output is not None}
    if not json_output:
        human.print(stages_table(result, outcome.reused, outcome.cached))
        print_contracts(human, outputs)
        print_insights(human, outputs)
    code = EXIT_INTERRUPTED if outcome.interrupted else EXIT_OK if result.ok else EXIT_FAILED
    try:
        data = _write(writer, outputs)
    except (OSError, pl.exceptions.PolarsError, ActorflowError) as exc:
        folder = writer.folder if writer else None
        errors.print(
            f"error: could not write the results to {folder}: {exc}", markup=False, soft_wrap=True
        )
        data = {name: to_jsonable(value) for name, value in outputs.items()}
        code = code or EXIT_FAILED
    document = run_document(
        result,
        data,
        output_dir=writer.folder if writer else None,
        files=writer.files if writer else (),
        recoveries=recoveries,
    )
    if writer is not None:
        writer.write_json("run.json", document)
    if json_output:
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return code
    if writer is not None:
        human.print(
            f"results: {len(writer.files)} files in {writer.folder}", markup=False, soft_wrap=True
        )
    human.print(
        f"run {result.run_id} {result.status} in {result.execution_time_s:.2f}s "
        f"(recorded in {store_path})",
        markup=False,
        soft_wrap=True,
    )
    return code


def _validate(runtime: Runtime, workflow: WorkflowSource) -> WorkflowSpec:
    """The workflow, its ``${NAME}`` variables filled in, loaded and checked against the
    runtime's agents."""
    try:
        return runtime.validate(expand_variables(workflow))
    except WorkflowValidationError as exc:
        raise CliError(*workflow_lines(named(exc, workflow))) from None


def named(error: WorkflowValidationError, workflow: WorkflowSource) -> WorkflowValidationError:
    """``error`` naming the workflow's file (lost once its variables are filled in)."""
    if error.source is None and isinstance(workflow, (str, Path)):
        return WorkflowValidationError(error.problems, source=str(workflow))
    return error


def _writer(output: Path | None) -> ResultWriter | None:
    """The output folder, made before the run so a bad one fails before anything runs."""
    if output is None:
        return None
    try:
        return ResultWriter(output)
    except OSError as exc:
        raise CliError(f"cannot use --output {output}: {exc.strerror or exc}") from None


def _display(human: Console, errors: Console, *, json_output: bool) -> ProgressDisplay:
    if json_output:
        # stdout carries the JSON document alone; bars go to stderr if someone sees them.
        return LiveProgress(errors) if errors.is_terminal else NoProgress()
    if human.is_terminal:
        return LiveProgress(human)
    return LineProgress(human.file)


_INTERRUPT = object()
"""Queued by the SIGINT handler: the user pressed Ctrl-C once."""


@contextlib.contextmanager
def _on_sigint(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    """Use ``handler`` for Ctrl-C in the block (only the main thread can; others keep
    Python's default, a ``KeyboardInterrupt``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _watch(runtime: Runtime, submit: Submit, display: ProgressDisplay) -> _RunEnd:
    """Submit the run and show its events as they come, until it ends.

    The hub calls the listener in the emitting thread under its lock, so the listener
    only queues; this thread blocks on the queue (no polling) and draws. The run's
    future also queues a ``None``: the loop ends even if the run ends without an event.
    The first Ctrl-C is queued too (a handler that raised could interrupt the display
    mid-update) and cancels the run; a second one raises ``KeyboardInterrupt``.
    """
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    run_id = new_run_id()
    interrupted = False
    reused: set[str] = set()
    cached: set[str] = set()

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if interrupted:
            raise KeyboardInterrupt
        events.put(_INTERRUPT)  # SimpleQueue.put is safe in a signal handler

    # Subscribing before submitting (with our own run id) misses nothing.
    _, unsubscribe = runtime.hub.subscribe(run_id, events.put)
    try:
        handle = submit(run_id)
        handle.add_done_callback(lambda _result: events.put(None))
        with _on_sigint(on_sigint), display:
            while True:
                item = events.get()
                if item is None:
                    break
                if item is _INTERRUPT:
                    if not interrupted:
                        interrupted = True
                        display.note(
                            "interrupted: cancelling the run (Ctrl-C again to quit at once)"
                        )
                        handle.cancel("interrupted by the user (Ctrl-C)")
                    continue
                assert isinstance(item, Event)
                if isinstance(item, StageFinished) and (item.reused or item.cached):
                    (reused if item.reused else cached).add(item.stage)
                display.event(item)
                if isinstance(item, RunFinished):
                    break
        return _RunEnd(handle.result(), interrupted, frozenset(reused), frozenset(cached))
    finally:
        unsubscribe()


def _write(writer: ResultWriter | None, outputs: Mapping[str, Any]) -> dict[str, Any]:
    if writer is None:
        return {name: to_jsonable(value) for name, value in outputs.items()}
    return {name: writer.write_stage(name, value) for name, value in outputs.items()}


def _recovery_line(recovery: Recovery) -> str:
    if recovery.action == "resumed":
        reused = ", ".join(recovery.reused) or "none"
        return (
            f"recovered run {recovery.run_id} ({recovery.workflow}) left unfinished by a "
            f"process that died: resumed, reusing stages: {reused}"
        )
    return (
        f"recovered run {recovery.run_id} ({recovery.workflow}) left unfinished by a "
        f"process that died: marked interrupted ({recovery.reason})"
    )


def _wait_for_resumed(recoveries: Sequence[Recovery], notes: Console) -> None:
    """Let resumed runs finish here: stopping the runtime now would cancel them."""
    for recovery in recoveries:
        if recovery.handle is None:
            continue
        if not recovery.handle.done():
            notes.print(
                f"waiting for resumed run {recovery.run_id} to finish (Ctrl-C to leave it "
                "for the next start)",
                markup=False,
                soft_wrap=True,
            )
        result = recovery.handle.result()
        notes.print(
            f"resumed run {result.run_id} ({result.workflow}) {result.status} "
            f"in {result.execution_time_s:.2f}s",
            markup=False,
            soft_wrap=True,
        )
