"""``/openapi.json``: the API described from the same msgspec contracts the server uses.

Schemas come from ``msgspec.json.schema_components`` over the request and response
Structs (JSON Schema 2020-12, hence OpenAPI 3.1). Paths, parameters and the error
answers each operation can give are listed here, beside the routes' own checks; a
schemathesis test holds the server to this document.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from actorflow import __version__
from actorflow.api_schema import (
    AgentList,
    CancelResponse,
    ErrorResponse,
    ExecuteRequest,
    ExecuteResponse,
    Health,
    RetryRequest,
    RetryResponse,
    Stats,
    UploadResponse,
    WorkflowDefinitionList,
    WorkflowList,
    WorkflowStatus,
)
from actorflow.contracts import AnyEvent

from ._settings import Settings

_REF = "#/components/schemas/{name}"
_ERRORS = {
    400: (
        "Malformed request (invalid JSON, nested too deeply, a malformed or untrusted Host, "
        "or HTTP the server cannot parse), or a run id prefix that several runs' ids start "
        "with (code ambiguous_id; the message lists them)"
    ),
    401: "The API token is missing or wrong",
    403: "Refused: a forbidden source or host, or a cross-site request",
    404: "No such run, stage or table",
    408: "The request body did not arrive in time",
    409: "The run is in the wrong state for this (still processing, or already finished)",
    413: "Too large: the body, the upload, or the records of one run",
    415: "Wrong content type",
    422: "Invalid input: the error names the field",
    429: "Too many runs under way; retry later",
    503: "The server is shutting down, or the run store cannot record the run (not accepted)",
}


def _json_content(schema: Any) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _op(
    summary: str,
    ok: dict[str, Any],
    errors: tuple[int, ...],
    *,
    public: bool = False,
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    codes = sorted({400, *errors} | (set() if public else {401}))
    responses: dict[str, Any] = {"200": ok}
    for code in codes:
        responses[str(code)] = {
            "description": _ERRORS[code],
            "content": _json_content({"$ref": _REF.format(name="ErrorResponse")}),
        }
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if parameters:
        op["parameters"] = parameters
    if body:
        op["requestBody"] = body
    if public:
        op["security"] = []
    return op


def _ok(description: str, schema: Any) -> dict[str, Any]:
    return {"description": description, "content": _json_content(schema)}


def _path_id() -> dict[str, Any]:
    return {
        "name": "workflow_id",
        "in": "path",
        "required": True,
        "description": "The run's id, as returned by execute, or any prefix of it that "
        "no other run's id starts with (wf_1a2b3c4d)",
        "schema": {"type": "string", "minLength": 1},
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


@functools.cache
def _document(secured: bool) -> bytes:
    types = (
        ExecuteRequest,
        ExecuteResponse,
        WorkflowStatus,
        WorkflowList,
        CancelResponse,
        RetryRequest,
        RetryResponse,
        Health,
        AgentList,
        WorkflowDefinitionList,
        Stats,
        UploadResponse,
        ErrorResponse,
        AnyEvent,
    )
    refs, components = msgspec.json.schema_components(types, ref_template=_REF)
    (
        execute_req,
        execute_resp,
        status,
        listing,
        cancel,
        retry_req,
        retry_resp,
        health,
        agents,
        definitions,
        stats,
        upload,
        _error,
        event,
    ) = refs
    post_errors = (403, 413, 415, 422)
    paths: dict[str, Any] = {
        "/v1/health": {
            "get": _op("Service health", _ok("Health", health), (), public=True),
        },
        "/v1/workflows/execute": {
            "post": _op(
                "Start a run; returns at once",
                _ok("The run was accepted", execute_resp),
                (*post_errors, 408, 429, 503),
                body={"required": True, "content": _json_content(execute_req)},
            )
        },
        "/v1/workflows": {
            "get": _op(
                "Runs, newest first: a JSON array (the seed's shape); paging in the headers",
                {
                    **_ok("Runs", listing),
                    "headers": {
                        "X-Total-Count": {
                            "description": "Runs with this status in all",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        "Link": {
                            "description": 'The next page, when there is one: <...>; rel="next"',
                            "schema": {"type": "string"},
                        },
                    },
                },
                (422,),
                parameters=[
                    _query(
                        "status",
                        {
                            "type": "string",
                            "enum": ["processing", "completed", "failed", "cancelled"],
                        },
                        "Only runs with this status",
                    ),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
                        "At most this many",
                    ),
                    _query(
                        "offset",
                        {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0},
                        "Skip this many newest runs first (the Link header's next page)",
                    ),
                ],
            )
        },
        "/v1/workflows/{workflow_id}/status": {
            "get": _op(
                "A run's status, progress and (once finished) results",
                _ok("The run", status),
                (404,),
                parameters=[_path_id()],
            )
        },
        "/v1/workflows/{workflow_id}/events": {
            "get": _op(
                "A run's progress events as server-sent events: the past, then live "
                "until the run ends",
                {
                    "description": "An event stream; each event's data is one of the "
                    "event schemas (" + ", ".join(f"`{e}`" for e in _event_names()) + ")",
                    "content": {
                        "text/event-stream": {"schema": {"type": "string"}, "x-event-schema": event}
                    },
                },
                (404, 422),
                parameters=[
                    _path_id(),
                    _query(
                        "after",
                        {"type": "integer", "minimum": 0},
                        "Only events after this id (like Last-Event-ID)",
                    ),
                ],
            )
        },
        "/v1/workflows/{workflow_id}/cancel": {
            "post": _op(
                "Cancel a run",
                _ok("Cancellation requested", cancel),
                (403, 404, 409),
                parameters=[_path_id()],
            )
        },
        "/v1/workflows/{workflow_id}/retry": {
            "post": _op(
                "Retry a finished run: a new run that reuses the stages that succeeded",
                _ok("The retry was started", retry_resp),
                (403, 404, 409, 413, 415, 422, 429, 503),
                parameters=[_path_id()],
                body={"required": False, "content": _json_content(retry_req)},
            )
        },
        "/v1/workflows/{workflow_id}/results": {
            "get": _op(
                "Download a finished run's results",
                {
                    "description": "JSON: every stage's output; CSV: one record table",
                    "content": {
                        "application/json": {"schema": {"type": "object"}},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                (404, 409, 422),
                parameters=[
                    _path_id(),
                    _query(
                        "format",
                        {"type": "string", "enum": ["json", "csv"], "default": "json"},
                        "json or csv",
                    ),
                    _query("stage", {"type": "string"}, "Only this stage's output"),
                    _query(
                        "table",
                        {"type": "string"},
                        "CSV: which table of the stage's output (default: records)",
                    ),
                ],
            )
        },
        "/v1/workflow-definitions": {
            "get": _op("Workflows execute accepts by name", _ok("Workflows", definitions), ()),
        },
        "/v1/agents/capabilities": {
            "get": _op(
                "Agents by name: role, expertise, model (the seed's), stats, health",
                _ok("Agents", agents),
                (),
            ),
        },
        "/v1/stats": {
            "get": _op("Figures for the dashboard", _ok("Stats", stats), ()),
        },
        "/v1/uploads": {
            "post": _op(
                "Upload a file to read with a file source",
                _ok("The stored file and a source reading it", upload),
                post_errors,
                body={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {"file": {"type": "string", "format": "binary"}},
                            }
                        }
                    },
                },
            )
        },
        "/openapi.json": {
            "get": _op("This document", _ok("OpenAPI 3.1", {"type": "object"}), ()),
        },
    }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "actorflow",
            "version": __version__,
            "description": "Run multi-stage business data workflows and follow them live.",
        },
        "paths": paths,
        "components": {"schemas": components},
    }
    if secured:
        document["components"]["securitySchemes"] = {
            "bearerAuth": {"type": "http", "scheme": "bearer"}
        }
        document["security"] = [{"bearerAuth": []}]
    return msgspec.json.encode(document)


def _event_names() -> list[str]:
    from typing import get_args  # noqa: PLC0415 - only needed once, when the document is built

    return [t.__name__ for t in get_args(AnyEvent)]


def openapi_document(settings: Settings) -> bytes:
    """The OpenAPI document (JSON bytes) for a server with these settings."""
    return _document(settings.api_token is not None)
