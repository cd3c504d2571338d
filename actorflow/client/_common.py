"""What both clients share: URLs, errors, decoding, and the SSE line parser."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import msgspec

from actorflow.api_schema import ErrorResponse, ExecuteRequest
from actorflow.contracts import ActorflowError, AnyEvent, decode_event

T = TypeVar("T")
TOKEN_ENV = "ACTORFLOW_API_TOKEN"  # noqa: S105 - the variable's name, not a secret
DEFAULT_URL = "http://127.0.0.1:8000"

ProgressCallback = Callable[[AnyEvent], None]
"""Called with each progress event of a run followed by ``execute(..., wait=True)``."""

_encoder = msgspec.json.Encoder()


class ClientError(ActorflowError):
    """The server answered with an error (or could not be reached).

    Attributes:
        status: the HTTP status (0 when the server could not be reached).
        code: the server's error code (``not_found``, ``invalid_input``, ...).
        field: the request field the server named, if any.
    """

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        where = f" (field {field})" if field else ""
        super().__init__(f"HTTP {status} {code}: {message}{where}" if status else message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def error_from(status: int, body: bytes) -> ClientError:
    try:
        detail = msgspec.json.decode(body, type=ErrorResponse).error
    except msgspec.MsgspecError:
        text = body[:200].decode("utf-8", errors="replace").strip()
        return ClientError(status, "http_error", text or "no error body")
    return ClientError(status, detail.code, detail.message, detail.field)


def decode(body: bytes, type_: type[T]) -> T:
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.MsgspecError as exc:
        raise ClientError(0, "bad_response", f"the server's answer does not decode: {exc}") from exc


def resolve_token(token: str | None) -> str | None:
    return token if token is not None else (os.environ.get(TOKEN_ENV) or None)


def headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def run_path(run_id: str, tail: str) -> str:
    return f"/v1/workflows/{quote(run_id, safe='')}/{tail}"


def list_path(status: str | None, limit: int, offset: int = 0) -> str:
    query: dict[str, Any] = {"limit": limit}
    if offset:
        query["offset"] = offset
    if status is not None:
        query["status"] = status
    return f"/v1/workflows?{urlencode(query)}"


def results_path(run_id: str, fmt: str, stage: str | None, table: str | None) -> str:
    query = {
        "format": fmt,
        **({"stage": stage} if stage else {}),
        **({"table": table} if table else {}),
    }
    return run_path(run_id, f"results?{urlencode(query)}")


def execute_body(
    task: str,
    input_data: dict[str, Any] | None,
    workflow: str | None,
    workflow_config: dict[str, Any] | None,
    callback_url: str | None,
) -> bytes:
    body: dict[str, Any] = {"task": task, "input_data": input_data or {}}
    if workflow is not None:
        body["workflow"] = workflow
    if workflow_config is not None:
        body["workflow_config"] = workflow_config
    if callback_url is not None:
        body["callback_url"] = callback_url
    # Checked against the contract here, so a mistake is reported before any request.
    try:
        msgspec.convert(body, ExecuteRequest)
    except msgspec.ValidationError as exc:
        raise ClientError(0, "invalid_input", str(exc)) from exc
    return _encoder.encode(body)


@dataclass(slots=True)
class SseParser:
    """Turns SSE lines into events; remembers the last event id for reconnecting."""

    last_id: int = 0
    _data: list[str] = field(default_factory=list)
    _id: str | None = None

    def feed(self, line: str) -> Iterator[AnyEvent]:
        line = line.rstrip("\r\n")
        if not line:
            if self._data:
                event = decode_event("\n".join(self._data))
                self._data.clear()
                if self._id is not None and self._id.isdigit():
                    self.last_id = int(self._id)
                self._id = None
                yield event
            return
        if line.startswith(":"):
            return  # a comment: keep-alive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "id":
            self._id = value
