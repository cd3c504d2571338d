"""How deeply a workflow or a run input may nest.

Decoding, converting, freezing and storing nested data are recursive, and Python's stack
holds about a thousand frames: a document nested a few hundred levels deep would end in a
``RecursionError`` somewhere in the run. So input is checked once, where it comes in,
with a limit far below that (no workflow or run input needs 100 levels) and an error that
says where.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_DEPTH", "too_deep"]

#: Levels of objects and arrays a workflow or a run input may have.
MAX_DEPTH = 100


def too_deep(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """Where ``value`` nests deeper than ``limit`` levels (``a.b[0]``), or ``None``.

    Walked without recursion, so any depth is safe to check; only containers are
    visited, and the path is spelled out only for the one that is too deep.
    """
    if not isinstance(value, _CONTAINERS):
        return None
    # Each entry: a container, its depth, and its trail (key, parent's trail) to the top.
    stack: list[tuple[Any, int, _Trail]] = [(value, 0, None)]
    push = stack.append
    while stack:
        item, depth, trail = stack.pop()
        if depth >= limit:
            return _spell(trail)
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(child, _CONTAINERS):
                push((child, depth + 1, (key, trail)))
    return None


_CONTAINERS = (dict, list, tuple)
_Trail = tuple[Any, "_Trail"] | None


def _spell(trail: _Trail) -> str:
    keys: list[Any] = []
    while trail is not None:
        key, trail = trail
        keys.append(key)
    path = ""
    for key in reversed(keys):
        path += f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
    return path or "the top level"
