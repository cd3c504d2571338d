"""What every endpoint does first: authenticate, refuse cross-site writes, read bounded bodies.

Endpoints are wrapped one by one (no application middleware), so mounting the service
into a user's own aiohttp app never puts our rules on their routes.
"""

from __future__ import annotations

import asyncio
import decimal
import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from aiohttp import web
from yarl import URL

from ._errors import ApiError, error_response, field_of
from ._keys import LOG_LIMITS_KEY
from ._loglimit import LogLimits
from ._protocol import reason_of
from ._settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
T = TypeVar("T")

SESSION_COOKIE = "actorflow_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CHUNK = 64 * 1024
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `([^`]*)`$")
#: A ``Host`` header as RFC 9110 has it: a name or IPv4 address, or an IPv6 address in
#: brackets, and an optional port. Nothing else (no user info: ``evil.example:80@127.0.0.1``
#: would otherwise read as the host 127.0.0.1).
_HOST = re.compile(r"(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def session_value(token: str) -> str:
    """The dashboard cookie's value: derived from the token, so the token is not stored."""
    return hmac.new(token.encode(), b"actorflow-dashboard-session", hashlib.sha256).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Whether ``given`` is ``expected``, in constant time, whatever characters it holds.

    Compared as bytes: ``hmac.compare_digest`` refuses ``str`` with non-ASCII characters,
    and aiohttp hands over a header's non-UTF-8 bytes as lone surrogates, which only
    ``surrogateescape`` turns back into bytes.
    """
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


def authenticated(request: web.Request, settings: Settings) -> bool:
    token = settings.api_token
    if token is None:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and same_secret(given.strip(), token):
        return True
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie is not None and same_secret(cookie, session_value(token))


def check_request(request: web.Request, settings: Settings, *, public: bool = False) -> None:
    """Host, origin and token checks.

    Raises:
        ApiError: 400 for a malformed or untrusted Host, 403 for a cross-site write, 401
            without the token.
    """
    if _HOST.fullmatch(request.host) is None:
        raise ApiError(
            400,
            "invalid_host",
            f"Host {request.host!r} is not a host name or address with an optional port",
            field="Host",
        )
    if settings.trusted_hosts and _host_name(request.host) not in settings.trusted_hosts:
        raise ApiError(
            400,
            "untrusted_host",
            f"Host {request.host!r} is not a name this server answers to",
            field="Host",
        )
    if request.method not in _SAFE_METHODS:
        origin = request.headers.get("Origin")
        # Browsers send Origin on cross-site writes; a page elsewhere must not drive us
        # (with or without a token: the dashboard's cookie would ride along).
        if origin is not None and origin != "null":
            if _authority(origin) != request.host:
                raise ApiError(
                    403, "cross_origin", f"requests from {origin} are refused", field="Origin"
                )
        elif origin == "null":
            raise ApiError(403, "cross_origin", "requests from opaque origins are refused")
    if not public and not authenticated(request, settings):
        raise ApiError(
            401,
            "unauthorized",
            "this server needs its API token: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="actorflow"'},
        )


def _host_name(host: str) -> str:
    """The name in a ``Host`` header, without port or brackets ("" if unreadable)."""
    try:
        return (URL(f"http://{host}").host or "").strip("[]")
    except ValueError:
        return ""


def _authority(origin: str) -> str | None:
    try:
        return URL(origin).raw_authority
    except ValueError:
        return None


def endpoint(
    settings: Callable[[web.Request], Settings], handler: Handler, *, public: bool = False
) -> Handler:
    """``handler`` with the checks, and every ``ApiError`` answered as JSON."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            check_request(request, settings(request), public=public)
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except web.HTTPException:
            raise
        except web.RequestPayloadError as exc:
            # The client's fault (a body that does not decode, or is cut short): one line.
            cause = exc.__cause__
            reason = reason_of(cause) if cause is not None else "the request body is malformed"
            logs = _limits(request).protocol
            logs.log(logging.WARNING, "malformed request body", path=request.path, reason=reason)
            return error_response(400, "invalid_body", reason)
        except ConnectionResetError:
            # The client left half-way (an abandoned body): nobody to answer, nothing broke.
            _limits(request).protocol.log(logging.INFO, "client went away", path=request.path)
            return error_response(400, "incomplete_body", "the connection closed mid-request")
        except Exception as exc:  # the last line of defence: never a bare 500
            # A bug: logged with its traceback (rate-limited), answered without one.
            logs = _limits(request).failure
            logs.log(
                logging.ERROR,
                "request failed",
                path=request.path,
                method=request.method,
                exc_info=exc,
            )
            return error_response(500, "internal_error", "the server failed; see its log")

    wrapped.__name__ = getattr(handler, "__name__", "endpoint")
    return wrapped


_SHARED_LIMITS = LogLimits()


def _limits(request: web.Request) -> LogLimits:
    # The service's budgets; endpoints mounted without init_app share one set.
    return request.config_dict.get(LOG_LIMITS_KEY) or _SHARED_LIMITS


async def read_body(
    request: web.Request, limit: int, *, timeout_s: float, what: str = "request body"
) -> bytes:
    """The whole body, refusing more than ``limit`` bytes (413) before reading it all,
    and a body that has not arrived within ``timeout_s`` (408: a client that stops
    sending half-way would otherwise hold its handler for ever).
    """
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(what, limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_large(what, limit)
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(
            408,
            "request_timeout",
            f"the {what} did not arrive within {timeout_s:g} s",
            headers={"Connection": "close"},
        ) from None
    return b"".join(chunks)


def _too_large(what: str, limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"the {what} is larger than {limit:,} bytes")


def depth_of(value: Any, limit: int) -> int:
    """How deep ``value`` nests, counting up to ``limit + 1`` at most (no recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


async def read_json(request: web.Request, settings: Settings, type_: type[T]) -> T:
    """Decode a JSON body into ``type_``; numbers in free-form data become ``Decimal``.

    Raises:
        ApiError: 415 if it is not JSON, 413 if too large, 400 if malformed or too deeply
            nested, 422 if it does not fit ``type_`` (naming the field).
    """
    if request.content_type != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the body as application/json (got {request.content_type or 'nothing'})",
            field="Content-Type",
        )
    body = await read_body(request, settings.max_body_bytes, timeout_s=settings.body_timeout_s)
    # Decimal: the extraction reads values as text, and 12.30 must stay "12.30", not 12.3.
    decoder = msgspec.json.Decoder(type_, float_hook=decimal.Decimal)
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "the body nests too deeply") from None
    if depth_of(raw, settings.max_json_depth) > settings.max_json_depth:
        raise ApiError(
            400,
            "invalid_json",
            f"the body nests deeper than {settings.max_json_depth} levels",
        )
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).partition(" - at `")
        field = field_of(path.rstrip("`"))
        unknown = _UNKNOWN_FIELD.match(message)
        if unknown is not None:  # msgspec points at the object: name the field itself
            field = f"{field}.{unknown.group(1)}" if field else unknown.group(1)
        raise ApiError(422, "invalid_input", message, field=field) from None
