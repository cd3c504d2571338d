"""Reading every source of a stage concurrently, each failure kept apart from the others."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actorflow.bus import get_logger
from actorflow.contracts import DataValidationError, LimitExceededError, RunCancelledError

from ._consolidate import SourceFailure, consolidate
from ._database import read_database
from ._file import read_file
from ._inline import read_inline
from ._limits import LimitReached, Meter, StageRows
from ._result import ReadError, SourceData
from ._sources import (
    ApiSource,
    DatabaseSource,
    ExtractionParams,
    FileSource,
    InlineSource,
    NamedSource,
    parse_params,
    plan_sources,
)

if TYPE_CHECKING:
    import aiohttp

_log = get_logger("extractor")

#: Share of the stage's progress taken by reading; consolidating is the rest. A stage
#: never reports 1.0 itself: the coordinator does when it succeeded.
_READ_SHARE = 0.9


async def extract(
    params: Mapping[str, Any],
    run_input: Mapping[str, Any] | None = None,
    *,
    stage: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    check_cancelled: Callable[[], None] | None = None,
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Read every source concurrently and consolidate their records.

    This is what the ``extractor`` agent does, usable without a runtime.

    Args:
        params: the stage's params (see the package documentation for the schema).
        run_input: the run's input; its lists of records are inline sources.
        stage: the stage's name, for error messages.
        progress: called with (fraction, message) as each source finishes.
        check_cancelled: called between batches; raises to stop the extraction.
        context: the run's context; its ``network`` policy (see ``_network.py``) limits
            where ``api`` sources may connect, redirects and next-page links included.

    Returns:
        ``{"records": Records, "sources": [...], "errors": [...], "warnings": [...],
        "counts": {...}}``.

    Raises:
        WorkflowValidationError: the params are invalid (naming the source and field).
        LimitExceededError: a source passed one of the limits (``max_rows``,
            ``max_bytes``, ...): reading stopped there, the other reads too.
        SourceError: every source failed (naming each, with its error).
        DataValidationError: no source had a record, or there is no source at all.
    """
    settings = parse_params(params, stage=stage)
    run_input = run_input or {}
    planned = plan_sources(settings, run_input)
    if not planned:
        raise DataValidationError(
            "no sources: list them in params.sources, or give lists of records in the run input"
        )
    check = check_cancelled or (lambda: None)
    report = progress or _no_progress
    finished = 0
    stage_rows = StageRows(settings.max_rows)

    async def read_one(
        source: NamedSource, session: aiohttp.ClientSession | None
    ) -> SourceData | SourceFailure:
        nonlocal finished
        meter = Meter.for_source(source.config, settings, stage_rows)
        outcome = await _read(source, session, run_input, check, settings, meter=meter)
        finished += 1
        if isinstance(outcome, SourceFailure):
            note = f"{source.name}: failed"
        else:
            note = f"{source.name}: {len(outcome.frame):,} records"
        report(_READ_SHARE * finished / len(planned), f"{note} ({finished}/{len(planned)} sources)")
        return outcome

    async with contextlib.AsyncExitStack() as stack:
        session = None
        if any(isinstance(source.config, ApiSource) for source in planned):
            # Imported here: aiohttp takes ~0.15 s to import, and file, database and
            # inline sources never need it.
            import aiohttp  # noqa: PLC0415

            from ._network import session_options  # noqa: PLC0415  # it imports aiohttp

            session = await stack.enter_async_context(
                aiohttp.ClientSession(**session_options(context or {}))
            )
        try:
            # A TaskGroup, not gather: when the extraction is cancelled, or one read
            # raises RunCancelledError, the other reads are cancelled too.
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(read_one(source, session)) for source in planned]
        except BaseExceptionGroup as failed:
            # Reads only raise to stop (RunCancelledError, LimitExceededError): the
            # others were cancelled with it, and the first one says why.
            raise failed.exceptions[0] from None
    check()
    outcomes = [task.result() for task in tasks]
    result = consolidate(
        planned,
        outcomes,
        targets=[_target(source) for source in planned],
        required_fields=settings.required_fields,
        source_column=settings.source_column,
    )
    report(0.95, f"{len(result['records']):,} records from {len(result['counts'])} sources")
    return result


async def _read(
    source: NamedSource,
    session: aiohttp.ClientSession | None,
    run_input: Mapping[str, Any],
    check: Callable[[], None],
    settings: ExtractionParams,
    *,
    meter: Meter,
) -> SourceData | SourceFailure:
    config = source.config
    spill_dir = None if settings.spill_dir is None else Path(settings.spill_dir)
    try:
        if isinstance(config, FileSource):
            return await read_file(
                config,
                check_cancelled=check,
                spill_over_bytes=settings.spill_over_bytes,
                spill_dir=spill_dir,
                meter=meter,
            )
        if isinstance(config, ApiSource):
            from ._api import read_api  # noqa: PLC0415  # it imports aiohttp

            assert session is not None
            return await read_api(config, session, check_cancelled=check, meter=meter)
        if isinstance(config, DatabaseSource):
            return await read_database(
                config,
                check_cancelled=check,
                spill_over_bytes=settings.spill_over_bytes,
                spill_dir=spill_dir,
                meter=meter,
            )
        return await read_inline(config, run_input, meter=meter)
    except RunCancelledError:
        raise
    except LimitReached as exc:
        # Not one source's failure among others: the stage's result would be cut short.
        _log.warning("source passed a limit", source=source.name, type=source.type, error=str(exc))
        raise LimitExceededError(f"{_prefix(config)}{exc}", source=source.name) from None
    except ReadError as exc:
        message, retryable, error = f"{_prefix(config)}{exc}", exc.retryable, "SourceError"
    except Exception as exc:  # noqa: BLE001  # a bug in one reader must not lose the others
        _log.exception("source reader crashed", source=source.name, type=source.type)
        message = f"{_prefix(config)}unexpected {type(exc).__name__}: {exc}"
        retryable, error = False, type(exc).__name__
    _log.warning("source failed", source=source.name, type=source.type, error=message)
    return SourceFailure(source.name, source.type, error, message, retryable)


def _no_progress(*_: object) -> None:
    return None


def _prefix(config: Any) -> str:
    """Where a source reads from, for its error (API errors name their URL themselves)."""
    if isinstance(config, FileSource):
        return f"file {config.path}: "
    if isinstance(config, DatabaseSource):
        return f"database {config.path}: "
    return ""


def _target(source: NamedSource) -> dict[str, Any]:
    config = source.config
    if isinstance(config, (FileSource, DatabaseSource)):
        return {"path": config.path}
    if isinstance(config, ApiSource):
        return {"url": config.url}
    if isinstance(config, InlineSource) and config.input_key is not None:
        return {"input_key": config.input_key}
    return {}
