"""API errors: one exception type, answered as ``{"error": {code, message, field}}``."""

from __future__ import annotations

import msgspec
from aiohttp import web

from actorflow.api_schema import ErrorDetail, ErrorResponse
from actorflow.contracts import ActorflowError

_encoder = msgspec.json.Encoder()

#: aiohttp's own errors (no route, wrong method, body too large, a request it cannot
#: parse) by status, as codes.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
    504: "gateway_timeout",
}


class InsecureConfigError(ActorflowError, ValueError):
    """The server was told to run in a way that exposes it (no token off loopback)."""


class ApiError(ActorflowError):
    """An answer other than success, with what was wrong and where.

    Args:
        status: the HTTP status (4xx).
        code: a stable machine-readable code (``not_found``, ``invalid_input``, ...).
        message: a sentence saying what was wrong and what to do.
        field: the request field at fault (``input_data.records``, ``limit``), if any.
        headers: extra response headers (``WWW-Authenticate``, ``Retry-After``).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    def response(self) -> web.Response:
        return error_response(
            self.status, self.code, self.message, field=self.field, headers=self.headers
        )


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The JSON error answer."""
    body = _encoder.encode(
        ErrorResponse(error=ErrorDetail(code=code, message=message, field=field))
    )
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def from_http_exception(exc: web.HTTPException) -> web.Response:
    """aiohttp's own error (404 for no route, 405, 413) as our JSON error."""
    code = HTTP_CODES.get(exc.status, "error")
    message = exc.reason if exc.status != 404 else "no such route; see /openapi.json"
    headers = {}
    if exc.status == 405 and "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    return error_response(exc.status, code, message, headers=headers)


def not_found(what: str, field: str | None = None) -> ApiError:
    return ApiError(404, "not_found", what, field=field)


def invalid(message: str, field: str | None = None, *, status: int = 422) -> ApiError:
    return ApiError(status, "invalid_input", message, field=field)


def field_of(path: str) -> str | None:
    """``$.input_data.records[0]`` (msgspec's path) as ``input_data.records[0]``."""
    path = path.removeprefix("$").removeprefix(".")
    return path or None
