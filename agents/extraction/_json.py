"""Decoding JSON documents with errors that give the line and column.

Numbers are decoded as ``Decimal``, so that ``str()`` gives back the literal as written:
``19.990`` stays ``19.990`` where a float would print ``19.99``, and no amount of money
ever passes through a float.
"""

from __future__ import annotations

import decimal
import re
from typing import Any

import msgspec

from ._result import ReadError

_DECODER = msgspec.json.Decoder(float_hook=decimal.Decimal)
_BYTE = re.compile(r"\s*\(byte (\d+)\)$")


def decode_json(data: bytes | str) -> Any:
    """Decode one JSON document.

    Raises:
        ReadError: ``line L, column C: invalid JSON: <reason>``, or a truncation notice.
    """
    try:
        return _DECODER.decode(data)
    except msgspec.DecodeError as exc:
        raise ReadError(describe_json_error(exc, data)) from None


def describe_json_error(exc: msgspec.DecodeError, data: bytes | str) -> str:
    """Say where a decode error is, in lines and columns rather than byte offsets."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    message = str(exc)
    if "truncated" in message:
        if not raw.strip():
            return "empty, not a JSON document"
        line = raw.count(b"\n", 0, len(raw.rstrip())) + 1
        return f"line {line}: the JSON ends before the document is complete (is it truncated?)"
    match = _BYTE.search(message)
    reason = _BYTE.sub("", message).removeprefix("JSON is malformed: ")
    if match is None:
        return f"invalid JSON: {reason}"
    offset = min(int(match.group(1)), len(raw))
    start = raw.rfind(b"\n", 0, offset) + 1
    line = raw.count(b"\n", 0, offset) + 1
    column = len(raw[start:offset].decode("utf-8", errors="replace")) + 1
    return f"line {line}, column {column}: invalid JSON: {reason}"
