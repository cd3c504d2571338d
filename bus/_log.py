"""Library logging: structlog for binding context, stdlib ``logging`` underneath.

The library never configures output. Its loggers wrap stdlib loggers under
``actorflow`` (which has a ``NullHandler``), so an embedding service hears nothing until
it, or actorflow's own CLI, configures logging. The processors come from structlog's
global configuration at first use, so ``structlog.testing.capture_logs`` and an
application's own structlog set-up both see our events.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, reset_contextvars

logging.getLogger("actorflow").addHandler(logging.NullHandler())


def get_logger(name: str, **context: Any) -> Any:
    """A structlog logger over the stdlib logger ``actorflow.<name>``, bound to ``context``."""
    return structlog.wrap_logger(logging.getLogger(f"actorflow.{name}"), **context)


def context_vars(*keys: str) -> tuple[contextvars.ContextVar[Any], ...]:
    """The context variables behind ``structlog.contextvars.bind_contextvars(key=...)``.

    Setting one directly binds its key for every log line of the current context
    (``merge_contextvars`` reads them), at a tenth of ``bind_contextvars``' cost: what
    the coordinator and the agent actors need, who bind a run on every message.
    """
    # bind_contextvars creates (or finds) structlog's variable for each key; its tokens
    # name them, and resetting at once leaves every value as it was.
    tokens = bind_contextvars(**dict.fromkeys(keys))
    reset_contextvars(**tokens)
    return tuple(token.var for token in tokens.values())


__all__ = ["context_vars", "get_logger"]
