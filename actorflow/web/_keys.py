"""Typed application keys: where the service keeps its parts in an aiohttp app."""

from __future__ import annotations

from aiohttp import web

from actorflow import Runtime
from actorflow.store import RunStore

from ._loglimit import LogLimits
from ._service import WebService
from ._settings import Settings

SERVICE_KEY = web.AppKey("actorflow.service", WebService)
"""The ``WebService`` behind the routes."""
RUNTIME_KEY = web.AppKey("actorflow.runtime", Runtime)
"""The runtime that runs the workflows."""
STORE_KEY = web.AppKey("actorflow.store", RunStore)
"""The run store (absent when history is kept in memory only)."""
SETTINGS_KEY = web.AppKey("actorflow.settings", Settings)
"""The service's settings."""
LOG_LIMITS_KEY = web.AppKey("actorflow.log_limits", LogLimits)
"""How many lines a second the service logs about bad requests and its own failures."""
