"""The REST API's handlers and the table that mounts them."""

from __future__ import annotations

from typing import Any, get_args
from urllib.parse import urlencode

import msgspec
from aiohttp import web

from actorflow.api_schema import ApiStatus, ExecuteRequest, RetryRequest

from . import _figures, _files, _retries, _sse
from ._errors import invalid
from ._http import endpoint, read_json
from ._keys import SERVICE_KEY, SETTINGS_KEY
from ._lookup import resolve
from ._openapi import openapi_document
from ._service import WebService
from ._settings import Settings

_encoder = msgspec.json.Encoder()
_STATUSES: tuple[str, ...] = get_args(ApiStatus)
MAX_LIST_LIMIT = 1000
MAX_LIST_OFFSET = 1_000_000


def _service(request: web.Request) -> WebService:
    return request.config_dict[SERVICE_KEY]


def _settings(request: web.Request) -> Settings:
    return request.config_dict[SETTINGS_KEY]


def _json(value: Any, *, status: int = 200) -> web.Response:
    return web.Response(body=_encoder.encode(value), status=status, content_type="application/json")


async def execute(request: web.Request) -> web.Response:
    body = await read_json(request, _settings(request), ExecuteRequest)
    return _json(await _service(request).execute(body))


async def _run_id(request: web.Request) -> str:
    """The id of the run the path names (by its id or a unique prefix)."""
    return await resolve(_service(request), request.match_info["workflow_id"])


async def status(request: web.Request) -> web.Response:
    body = await _service(request).status(await _run_id(request))
    return web.Response(body=body, content_type="application/json")


def _int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer, got {raw!r}", name) from None
    if not low <= value <= high:
        raise invalid(f"{name} must be from {low} to {high}, got {value}", name)
    return value


async def list_runs(request: web.Request) -> web.Response:
    """The seed's shape: a JSON array; the paging is in ``X-Total-Count`` and ``Link``."""
    wanted = request.query.get("status") or None
    if wanted is not None and wanted not in _STATUSES:
        raise invalid(f"status must be one of {', '.join(_STATUSES)}, got {wanted!r}", "status")
    limit = _int_query(request, "limit", 50, 1, MAX_LIST_LIMIT)
    offset = _int_query(request, "offset", 0, 0, MAX_LIST_OFFSET)
    runs, total = await _service(request).list_runs(wanted, limit, offset)  # type: ignore[arg-type]
    headers = {"X-Total-Count": str(total)}
    if offset + len(runs) < total:
        query = {**({"status": wanted} if wanted else {}), "limit": limit, "offset": offset + limit}
        headers["Link"] = f'<{request.path}?{urlencode(query)}>; rel="next"'
    response = _json(runs)
    response.headers.update(headers)
    return response


async def events(request: web.Request) -> web.StreamResponse:
    return await _sse.stream(request, _service(request), await _run_id(request))


async def cancel(request: web.Request) -> web.Response:
    return _json(await _service(request).cancel(await _run_id(request)))


async def retry(request: web.Request) -> web.Response:
    """A new run of the run named, taking over what succeeded (the body is optional)."""
    run_id = await _run_id(request)
    body = RetryRequest()
    if request.can_read_body:
        body = await read_json(request, _settings(request), RetryRequest)
    return _json(await _retries.retry(_service(request), run_id, body))


async def results(request: web.Request) -> web.StreamResponse:
    query = request.query
    return await _files.results(
        request,
        _service(request),
        await _run_id(request),
        fmt=query.get("format", "json"),
        stage=query.get("stage") or None,
        table=query.get("table") or None,
    )


async def health(request: web.Request) -> web.Response:
    return _json(await _figures.health(_service(request)))


async def agents(request: web.Request) -> web.Response:
    return _json(await _figures.agents(_service(request)))


async def definitions(request: web.Request) -> web.Response:
    return _json(_figures.definitions(_service(request)))


async def stats(request: web.Request) -> web.Response:
    return _json(await _figures.stats(_service(request)))


async def upload(request: web.Request) -> web.Response:
    settings = _settings(request)
    return _json(await _files.upload(request, settings.upload_dir, settings.max_upload_bytes))


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=openapi_document(_settings(request)), content_type="application/json")


ROUTES: tuple[tuple[str, str, Any, bool], ...] = (
    # method, path, handler, public (no token needed)
    ("GET", "/v1/health", health, True),
    ("POST", "/v1/workflows/execute", execute, False),
    ("GET", "/v1/workflows", list_runs, False),
    ("GET", "/v1/workflows/{workflow_id}/status", status, False),
    ("GET", "/v1/workflows/{workflow_id}/events", events, False),
    ("POST", "/v1/workflows/{workflow_id}/cancel", cancel, False),
    ("POST", "/v1/workflows/{workflow_id}/retry", retry, False),
    ("GET", "/v1/workflows/{workflow_id}/results", results, False),
    ("GET", "/v1/workflow-definitions", definitions, False),
    ("GET", "/v1/agents/capabilities", agents, False),
    ("GET", "/v1/stats", stats, False),
    ("POST", "/v1/uploads", upload, False),
    ("GET", "/openapi.json", openapi, False),
)


def add_routes(router: web.UrlDispatcher, prefix: str = "") -> None:
    """Mount every API route under ``prefix``."""
    for method, path, handler, public in ROUTES:
        router.add_route(method, prefix + path, endpoint(_settings, handler, public=public))
