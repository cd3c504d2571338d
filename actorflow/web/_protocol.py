"""Requests aiohttp cannot parse: answered in the API's JSON error shape, logged in one line.

aiohttp answers a malformed request (a request line over 8,190 bytes, an invalid method,
a bad ``Content-Length``, a broken chunked body) itself, before any route or middleware
sees it: in ``text/plain``, after logging a traceback for each one. Those requests come
before authentication, cost their sender a few bytes, and a rendered traceback costs the
event loop milliseconds, so a flood of them stalled the server for seconds.

aiohttp has no public hook for that answer (aio-libs/aiohttp#3287); :class:`ApiRunner`
builds its server with a request handler whose ``handle_error`` and ``log_exception``
are ours: the answer is ``{"error": {"code", "message", "field"}}`` as everywhere else,
and the log line is one line, no traceback, at most a few per second
(:class:`~actorflow.web._loglimit.LogLimit`). A server error (a bug) keeps its
traceback, rate-limited as well.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import (
    BadHttpMethod,
    BadStatusLine,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    TransferEncodingError,
)
from aiohttp.web_request import BaseRequest

from ._errors import HTTP_CODES, error_response
from ._keys import LOG_LIMITS_KEY
from ._loglimit import LogLimits

# Most specific first: BadHttpMethod is a BadStatusLine, each of them a BadHttpMessage.
_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (LineTooLong, "the request line or a header is longer than the server accepts"),
    (BadHttpMethod, "the request's method is not a valid HTTP method"),
    (BadStatusLine, "the request line is not a valid HTTP request line"),
    (InvalidURLError, "the request's target is not a valid URL"),
    (ContentLengthError, "the request body is shorter than its Content-Length"),
    (TransferEncodingError, "the request's chunked body is malformed"),
    (InvalidHeader, "a request header is malformed"),
)
# aiohttp's messages quote the offending bytes after a colon; the reason stops there.
_QUOTED = re.compile(r":?\s*(?:b['\"]|bytearray\(|$)")
_MAX_REASON = 200


def reason_of(exc: BaseException | None) -> str:
    """What was wrong with the request, in one line, without echoing its bytes."""
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    if isinstance(exc, HttpProcessingError) and exc.message:
        first = exc.message.strip().splitlines()[0]
        found = _QUOTED.search(first)
        cut = first[: found.start()] if found else first
        return f"the request is malformed: {cut[:_MAX_REASON]}"
    return "the request is malformed"


class ApiRequestHandler(web.RequestHandler):
    """aiohttp's per-connection protocol, answering its own errors our way."""

    __slots__ = ("limits",)
    limits: LogLimits

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        del message  # aiohttp's text quotes the request's bytes; ours says what is wrong
        if status >= 500:
            self.limits.failure.log(
                logging.ERROR,
                "request failed",
                status=status,
                method=request.method,
                path=request.path,
                exc_info=exc,
            )
            code, text = HTTP_CODES.get(status, "internal_error"), "the server failed; see its log"
        else:
            reason = reason_of(exc)
            # A client talking TLS or garbage to the port is noise, as aiohttp itself
            # judges: a bad first line of a connection is a debug line.
            first_line = self._request_count == 1 and isinstance(exc, BadHttpMethod)
            self.limits.protocol.log(
                logging.DEBUG if first_line else logging.WARNING,
                "malformed request",
                status=status,
                remote=request.remote,
                reason=reason,
                error=type(exc).__name__ if exc is not None else None,
            )
            code, text = HTTP_CODES.get(status, "bad_request"), reason
        if request.writer.output_size > 0:
            # As aiohttp: a response is under way, another cannot be sent.
            raise ConnectionError("the response was already started; cannot send an error")
        response = error_response(status, code, text)
        response.force_close()
        return response

    def log_exception(self, *args: Any, **kw: Any) -> None:
        """aiohttp's other error lines: one line for a client's broken body (met again
        while aiohttp drains what the handler left unread), a traceback for anything
        else; rate-limited both.
        """
        exc = kw.get("exc_info")
        if isinstance(exc, (web.RequestPayloadError, HttpProcessingError, ConnectionError)):
            cause = exc.__cause__ if isinstance(exc, web.RequestPayloadError) else exc
            self.limits.protocol.log(
                logging.WARNING,
                "malformed request body",
                reason=reason_of(cause) if cause is not None else "the request body is malformed",
            )
            return
        event = str(args[0]) if args else "request failed"
        self.limits.failure.log(logging.ERROR, event, exc_info=exc if exc is not None else True)


class ApiServer(web.Server):
    """aiohttp's low-level server, making :class:`ApiRequestHandler` connections."""

    limits: LogLimits

    def __call__(self) -> web.RequestHandler:
        handler = ApiRequestHandler(self, loop=self._loop, **self._kwargs)
        handler.limits = self.limits
        return handler


class ApiRunner(web.AppRunner):
    """``web.AppRunner`` whose server answers malformed requests as the API does.

    Use it like ``AppRunner`` (``await runner.setup()``, then a ``TCPSite``); what
    :func:`~actorflow.web.serve` runs the service with.
    """

    async def _make_server(self) -> web.Server:
        # The app's own server (startup run, app frozen, its handler arguments), made
        # again as an ApiServer: aiohttp builds its Server in private code, with no
        # parameter for the protocol class, so its arguments are copied over.
        server = await super()._make_server()
        ours = ApiServer(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=server._loop,
            **server._kwargs,
        )
        # The service's own budgets (an app without the service: budgets of its own).
        ours.limits = self.app.get(LOG_LIMITS_KEY) or LogLimits()
        return ours
