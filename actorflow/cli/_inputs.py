"""The run input from ``--input`` (JSON text, ``@file`` or ``@-``) and ``--set key=value``.

Numbers with a fraction are read as ``Decimal``, never ``float``: run inputs carry money
(``min_revenue = 0.01``) and a float would change the cent.
"""

from __future__ import annotations

import decimal
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from actorflow.contracts import MAX_DEPTH, quote, shorten, too_deep

from ._errors import CliError

__all__ = ["parse_input", "parse_json_value"]


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def parse_json_value(text: str) -> Any:
    """JSON text as Python data, fractions as ``Decimal``, NaN and Infinity refused.

    Raises:
        json.JSONDecodeError: not JSON.
        ValueError: NaN or Infinity.
    """
    return json.loads(text, parse_float=decimal.Decimal, parse_constant=_no_constant)


def parse_input(
    text: str | None, sets: Sequence[str] = (), *, stdin: TextIO | None = None
) -> dict[str, Any]:
    """The run input: ``--input`` first, then each ``--set`` over it, in order.

    Args:
        text: a JSON object, ``@path`` to a file holding one, or ``@-`` for stdin.
        sets: ``key=value`` items; ``a.b=value`` sets a nested key; the value is read as
            JSON when it is JSON (``5``, ``true``, ``[1, 2]``), else as a string.
        stdin: where ``@-`` reads from (``sys.stdin`` by default).

    Raises:
        CliError: naming the option, the file and the position of the problem.
    """
    data: dict[str, Any] = {}
    where = "--input"
    if text is not None:
        if text.startswith("@"):
            text, where = _read(text[1:], stdin)
        try:
            value = parse_json_value(text)
        except json.JSONDecodeError as exc:
            raise CliError(
                f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
        except RecursionError:  # json recurses: thousands of levels exhaust the stack
            raise CliError(f"{where} is nested more than {MAX_DEPTH} levels deep") from None
        except ValueError as exc:
            raise CliError(f"{where} is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise CliError(f"{where} must be a JSON object ({{...}}), got {_kind(value)}")
        data = value
    for item in sets:
        _apply_set(data, item)
    # Freezing and storing the input recurse too: refuse what they could not handle.
    deep = too_deep(data)
    if deep is not None:
        if sets:
            where = f"{where} with --set" if text is not None else "--set"
        raise CliError(f"{where} is nested more than {MAX_DEPTH} levels deep (at {shorten(deep)})")
    return data


def _read(path: str, stdin: TextIO | None) -> tuple[str, str]:
    if path == "-":
        return (stdin or sys.stdin).read(), "--input from stdin"
    if not path:
        raise CliError("--input @: give a file name after @ (or @- for stdin)")
    where = f"--input file {path}"
    try:
        return Path(path).read_text(encoding="utf-8"), where
    except UnicodeDecodeError as exc:
        raise CliError(f"{where} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise CliError(f"cannot read {where}: {exc.strerror or exc}") from None


def _apply_set(data: dict[str, Any], item: str) -> None:
    key, sep, raw = item.partition("=")
    parts = key.split(".")
    if not sep or not key or any(not part for part in parts):
        raise CliError(f"--set {quote(item)}: expected key=value (a.b=value for a nested key)")
    try:
        value: Any = parse_json_value(raw)
    except ValueError:  # JSONDecodeError included: anything else is a plain string
        value = raw
    target = data
    for depth, part in enumerate(parts[:-1]):
        inner = target.setdefault(part, {})
        if not isinstance(inner, dict):
            path = ".".join(parts[: depth + 1])
            raise CliError(f"--set {quote(item)}: {quote(path)} is {_kind(inner)}, not an object")
        target = inner
    target[parts[-1]] = value


def _kind(value: Any) -> str:
    names = {
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        decimal.Decimal: "a number",
        type(None): "null",
        dict: "an object",
    }
    return names.get(type(value), type(value).__name__)
