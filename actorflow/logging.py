"""Logging for the shell: structlog over stdlib ``logging``, configured once, on request.

The library logs through ``structlog.wrap_logger(logging.getLogger("actorflow.*"))``
and never configures output (``actorflow`` has a ``NullHandler``), so an embedding
service hears nothing unless it asks. The CLI, or a service that wants actorflow's
format, calls :func:`configure_logging` once::

    from actorflow.logging import configure_logging

    configure_logging("info", "json")       # one JSON object per line on stderr

Every line carries the structlog context variables bound where it was logged: the
coordinator binds ``run_id`` while it handles a run's message, and an agent actor binds
``run_id``, ``stage``, ``agent`` and ``attempt`` around ``perform``, so an agent's own
``structlog.get_logger().info(...)`` lines (and stdlib ``logging`` lines) say which run
and stage they belong to, in whatever thread they were logged.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Mapping
from typing import Any, Literal, TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import ExceptionRenderer, Processor

__all__ = ["LOG_FORMATS", "LOG_LEVELS", "REDACTED", "configure_logging", "redact", "reset_logging"]

LogFormat = Literal["console", "json"]
LOG_FORMATS: tuple[str, ...] = ("console", "json")
LOG_LEVELS: tuple[str, ...] = ("debug", "info", "warning", "error", "critical")


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]  # generic only in typeshed
    """A handler writing to whatever ``sys.stderr`` is when a line is emitted.

    Looking it up late lets rich's live display (which swaps ``sys.stderr`` to print log
    lines above its bars) and click's test runner (which swaps it per invocation) catch
    log lines, instead of the handler writing to a stream that was since replaced.
    """

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


# Ours, so reconfiguring replaces it instead of adding a second one.
_HANDLER_FLAG = "_actorflow_handler"

REDACTED = "[redacted]"
#: Keys whose values are credentials, wherever they are bound or logged.
_SECRET_KEY = re.compile(
    r"token|authorization|cookie|passw(or)?d|secret|api[_-]?key|credential", re.IGNORECASE
)
#: How deep nested mappings are searched for credential keys (a bound, not a recursion).
_REDACT_DEPTH = 4
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def redact(secret: str) -> None:
    """Never let ``secret`` appear in a log line of this process's configured logging.

    ``actorflow serve`` registers its API token here: should the token end up in an
    exception's message or a logged value under an innocent key, the rendered line
    shows ``[redacted]`` instead.
    """
    if secret:
        with _secrets_lock:
            _secrets.add(secret)


def _scrub(text: str) -> str:
    for secret in tuple(_secrets):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _is_secret(key: object, value: object) -> bool:
    # Flags and counts under such keys (``token=True``, ``tokens_used=3``) say nothing secret.
    if value is None or isinstance(value, (bool, int, float)):
        return False
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None


def _redact_value(value: Any, depth: int) -> Any:
    if depth >= _REDACT_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {
            k: REDACTED if _is_secret(k, v) else _redact_value(v, depth + 1)
            for k, v in value.items()
        }
    if type(value) in (list, tuple):  # exactly: a named tuple cannot be rebuilt from items
        return type(value)(_redact_value(v, depth + 1) for v in value)
    return value


def _redact_keys(_logger: Any, _method: str, event_dict: Any) -> Any:
    """A structlog processor: values under credential-like keys become ``[redacted]``."""
    return _redact_value(event_dict, 0)


class _RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """Renders as structlog's formatter does, then removes every registered secret."""

    def format(self, record: logging.LogRecord) -> str:
        return _scrub(super().format(record))


def _shared_processors() -> list[Processor]:
    """What every line goes through, from structlog and from plain stdlib loggers alike."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        _redact_keys,
    ]


def _renderer(fmt: str, stream: TextIO | None) -> list[Processor]:
    # Tracebacks without local variables, in both formats: a handler's locals hold the
    # API token and request headers, and rendering them costs the event loop dearly.
    if fmt == "json":
        tracebacks = ExceptionDictTransformer(show_locals=False)
        return [
            structlog.processors.ExceptionRenderer(tracebacks),
            structlog.processors.JSONRenderer(),
        ]
    target = stream if stream is not None else sys.stderr
    colors = bool(getattr(target, "isatty", lambda: False)())
    # rich's boxes for people at a terminal; plain text (cheaper, greppable) elsewhere.
    formatter: ExceptionRenderer = (
        structlog.dev.RichTracebackFormatter(show_locals=False)
        if colors
        else structlog.dev.plain_traceback
    )
    return [structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=formatter)]


def configure_logging(
    level: str | int = "info",
    fmt: str = "console",
    stream: TextIO | None = None,
) -> None:
    """Send actorflow's log lines (and every other stdlib logger's) to ``stream``.

    Configures structlog to hand its events to stdlib ``logging`` and installs one
    handler on the root logger that renders them, for people (``console``) or machines
    (``json``, one object per line). Calling it again replaces the earlier set-up.

    Args:
        level: the least severe level shown (``debug`` ... ``critical`` or a number).
        fmt: ``console`` or ``json``.
        stream: where lines go; by default whatever ``sys.stderr`` is at the time.

    Raises:
        ValueError: an unknown level or format.
    """
    if fmt not in LOG_FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; use one of {', '.join(LOG_FORMATS)}")
    numeric = _level_number(level)
    shared = _shared_processors()
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: structlog.testing.capture_logs must still see every logger.
        cache_logger_on_first_use=False,
    )
    formatter = _RedactingFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *_renderer(fmt, stream),
        ],
    )
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_FLAG, True)
    root = logging.getLogger()
    _remove_our_handlers(root)
    root.addHandler(handler)
    root.setLevel(numeric)


def reset_logging() -> None:
    """Undo :func:`configure_logging`: structlog's defaults, our handler removed."""
    _remove_our_handlers(logging.getLogger())
    logging.getLogger().setLevel(logging.WARNING)
    structlog.reset_defaults()


def _remove_our_handlers(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_FLAG, False):
            root.removeHandler(handler)
            handler.close()


def _level_number(level: str | int) -> int:
    if isinstance(level, int):
        return level
    number: Any = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(LOG_LEVELS)}")
    return number
