"""Library logging: structlog for binding context, stdlib ``logging`` underneath.

The library never configures output. Its loggers wrap stdlib loggers under
``actorflow`` (which has a ``NullHandler``), so an embedding service hears nothing until
it, or actorflow's own CLI, configures logging. The processors come from structlog's
global configuration at first use, so ``structlog.testing.capture_logs`` and an
application's own structlog set-up both see our events.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

logging.getLogger("actorflow").addHandler(logging.NullHandler())


def get_logger(name: str, **context: Any) -> Any:
    """A structlog logger over the stdlib logger ``actorflow.<name>``, bound to ``context``."""
    return structlog.wrap_logger(logging.getLogger(f"actorflow.{name}"), **context)


__all__ = ["get_logger"]
