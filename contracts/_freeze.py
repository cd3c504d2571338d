"""Deep immutability for everything that crosses an actor boundary.

Payloads are frozen once, when a message is built, so receivers never copy defensively.
``freeze`` accepts a closed set of immutable types and converts the usual mutable
containers (dict, list, set) into immutable ones; anything else is refused, which is how
an agent that returns, say, an open file gets a clear stage error instead of sharing it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Mapping
from typing import Any, NoReturn

import msgspec

from ._errors import UnfreezableError

_SCALARS: tuple[type, ...] = (
    str,
    int,
    float,
    bool,
    bytes,
    type(None),
    decimal.Decimal,
    dt.date,
    dt.datetime,
    dt.time,
    dt.timedelta,
    uuid.UUID,
    enum.Enum,
)


class FrozenMap(dict[str, Any]):
    """A read-only, hashable, picklable ``dict``.

    A ``dict`` subclass (rather than ``MappingProxyType``) so that msgspec encodes it
    natively and pickle can carry it across a process boundary.
    """

    __slots__ = ()

    def _refuse(self, *_args: object, **_kwargs: object) -> NoReturn:
        raise TypeError("FrozenMap is immutable: build a new mapping instead")

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    def __hash__(self) -> int:  # type: ignore[override]  # immutable, so hashable
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[type[FrozenMap], tuple[dict[str, Any]]]:
        return (FrozenMap, (dict(self),))

    def __copy__(self) -> FrozenMap:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenMap:
        return self

    def __repr__(self) -> str:
        return f"FrozenMap({dict.__repr__(self)})"

    def thaw(self) -> dict[str, Any]:
        """Return a deep, mutable copy (dicts and lists) for callers that want to edit."""
        return thaw(self)  # type: ignore[no-any-return]


def _is_frozen_struct(value: object) -> bool:
    return isinstance(value, msgspec.Struct) and bool(value.__struct_config__.frozen)


def freeze(value: Any, *, where: str = "value") -> Any:  # noqa: PLR0911  # one return per kind
    """Return a deeply immutable equivalent of ``value``.

    Args:
        value: plain data (scalars, dicts, lists, tuples, sets), frozen msgspec Structs,
            or objects that declare themselves immutable with ``__actorflow_frozen__``
            (such as ``Records``).
        where: a path used in error messages.

    Raises:
        UnfreezableError: for a value that cannot be made immutable, naming where it was.
    """
    if isinstance(value, _SCALARS) or _is_frozen_struct(value):
        return value
    if getattr(value, "__actorflow_frozen__", False):
        return value
    if isinstance(value, FrozenMap):
        # A FrozenMap built directly may still hold mutable values.
        if all(_is_frozen_leaf(v) for v in value.values()):
            return value
        return FrozenMap({k: freeze(v, where=f"{where}.{k}") for k, v in value.items()})
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnfreezableError(f"{where}: mapping keys must be strings, got {key!r}")
            out[key] = freeze(item, where=f"{where}.{key}")
        return FrozenMap(out)
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item, where=f"{where}[{i}]") for i, item in enumerate(value))
    if isinstance(value, (set, frozenset)):
        return frozenset(freeze(item, where=f"{where}{{}}") for item in value)
    raise UnfreezableError(
        f"{where}: a {type(value).__name__} cannot cross an actor boundary; "
        "use plain data (str, numbers, Decimal, dates, dict, list), a frozen Struct or Records"
    )


def _is_frozen_leaf(value: Any) -> bool:
    return (
        isinstance(value, _SCALARS)
        or _is_frozen_struct(value)
        or bool(getattr(value, "__actorflow_frozen__", False))
    )


def thaw(value: Any) -> Any:
    """Turn frozen containers back into dicts and lists (for JSON-minded callers)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    if isinstance(value, frozenset):
        return [thaw(v) for v in value]
    return value
