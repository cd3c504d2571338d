"""The web service: REST API, live progress as server-sent events, and a dashboard.

::

    from actorflow.web import run_server
    run_server("127.0.0.1", 8000, db="runs.db")        # blocking; what `actorflow serve` does

    from aiohttp import web
    from actorflow.web import create_app, init_app
    web.run_app(create_app(runtime, store))             # a runtime and store of yours
    init_app(my_app, runtime)                           # or mounted into your own app
    runner = ApiRunner(create_app())                    # AppRunner, but requests aiohttp
                                                        # cannot parse get JSON errors too

Routes (all JSON; errors are ``{"error": {"code", "message", "field"}}``):
``POST /v1/workflows/execute``, ``GET /v1/workflows``, ``GET /v1/workflows/{id}/status``,
``GET /v1/workflows/{id}/events`` (SSE), ``POST /v1/workflows/{id}/cancel``,
``GET /v1/workflows/{id}/results?format=json|csv``, ``GET /v1/workflow-definitions``,
``GET /v1/agents/capabilities``, ``GET /v1/stats``, ``POST /v1/uploads``,
``GET /v1/health``, ``GET /openapi.json``, and the dashboard at ``/``.
"""

from actorflow._builtin import register_builtin_agents
from actorflow.api_schema import (
    ExecuteRequest,
    ExecuteResponse,
    StageConfig,
    WorkflowConfig,
    WorkflowList,
    WorkflowStatus,
    WorkflowSummary,
)

from ._app import create_app, init_app
from ._errors import ApiError, InsecureConfigError
from ._guard import HostPolicy
from ._keys import RUNTIME_KEY, SERVICE_KEY, SETTINGS_KEY, STORE_KEY
from ._protocol import ApiRunner
from ._serve import is_loopback, run_server, serve
from ._service import WebService
from ._settings import Settings
from ._workflows import DEFAULT_WORKFLOW

__all__ = [
    "DEFAULT_WORKFLOW",
    "RUNTIME_KEY",
    "SERVICE_KEY",
    "SETTINGS_KEY",
    "STORE_KEY",
    "ApiError",
    "ApiRunner",
    "ExecuteRequest",
    "ExecuteResponse",
    "HostPolicy",
    "InsecureConfigError",
    "Settings",
    "StageConfig",
    "WebService",
    "WorkflowConfig",
    "WorkflowList",
    "WorkflowStatus",
    "WorkflowSummary",
    "create_app",
    "init_app",
    "is_loopback",
    "register_builtin_agents",
    "run_server",
    "serve",
]
