"""How ``Records`` cross a Ray process boundary: as an Arrow table, zero-copy on read.

By default Ray would pickle a ``Records`` through polars' own binary format: one copy into
the message and a full decode on the other side. As a pyarrow ``Table`` it goes through
Ray's Arrow serializer instead: the column buffers are written once into the object store
and the receiver maps them without copying (``pl.from_arrow`` then wraps them, copying
only string columns into polars' view layout). Measured on 1M rows: get 1 ms instead of
56 ms, put 35-60 ms instead of 110 ms.

``CompatLevel.oldest()`` exports strings as ``large_string``: Ray's Arrow serializer does
not handle ``string_view`` (it logs an error and falls back to pickling). Without pyarrow,
or for a frame Arrow cannot hold (polars ``Object`` columns), the frame is pickled as is.
"""

from __future__ import annotations

import copyreg
import importlib.util
import io
import pickle
import threading
from typing import Any

import polars as pl
import ray

from actorflow.contracts import Records

_lock = threading.Lock()
_registered = False
_HAVE_PYARROW = importlib.util.find_spec("pyarrow") is not None


def records_to_wire(records: Records) -> Any:
    """A ``Records`` as what Ray serializes: a pyarrow Table, else the polars frame."""
    frame = records.frame
    if _HAVE_PYARROW:
        try:
            return frame.to_arrow(compat_level=pl.CompatLevel.oldest())
        except (pl.exceptions.PolarsError, TypeError, ValueError):
            pass  # e.g. an Object column: pickled below, or refused by pickle with a clear error
    return frame


def records_from_wire(data: Any) -> Records:
    """The inverse of :func:`records_to_wire`."""
    if isinstance(data, pl.DataFrame):
        return Records(data)
    frame = pl.from_arrow(data, rechunk=False)
    assert isinstance(frame, pl.DataFrame)
    return Records(frame)


def register_wire_types() -> None:
    """Teach this process's Ray serializer about ``Records`` (idempotent).

    Needed on each side that serializes (the driver for stage messages, each worker for
    outputs); the deserializer travels by reference with the data.
    """
    global _registered  # noqa: PLW0603  # once per process, like Ray's own registry
    with _lock:
        if _registered:
            return
        ray.util.register_serializer(
            Records, serializer=records_to_wire, deserializer=records_from_wire
        )
        _registered = True


# -- messages ----------------------------------------------------------------------------
#
# Ray serializes arguments and results with cloudpickle, whose per-object hook (written in
# Python) costs ~100 us on a small stage message, more than a tenth of a whole Ray call.
# Stage messages are frozen data, so the C pickler does for them; only ``Records`` take
# another path: they are taken out of the stream (replaced by their index) and handed to
# Ray beside it, which sends them as Arrow (see above). A message naming something in
# ``__main__`` (a class of the user's script) would not resolve in the other process:
# ``pack`` returns ``None`` for it, and the caller lets Ray's cloudpickle send it as is.

Packed = tuple[bytes] | tuple[bytes, tuple[Records, ...]]
"""A packed message: its bytes, and the ``Records`` it holds if any (Ray handles a bare
``bytes`` value without pickling it at all, ~100 us less than even an empty tuple)."""

_unpacking = threading.local()


def _records_at(index: int) -> Records:
    """Unpickling a packed message: the ``Records`` that travelled beside it."""
    records: Records = _unpacking.records[index]
    return records


def pack(message: Any) -> Packed | None:
    """``message`` as bytes plus the ``Records`` it holds (to be passed on as separate
    arguments); ``None`` if the C pickler cannot carry it (the caller sends the message
    as it is).

    Raises:
        TypeError: ``message`` holds something no pickler can carry (a lock, a file).
    """
    records: list[Records] = []

    def reduce_records(value: Records) -> tuple[Any, tuple[int]]:
        records.append(value)
        return _records_at, (len(records) - 1,)

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    # A reducer for Records alone: every other object is pickled at C speed.
    pickler.dispatch_table = {**copyreg.dispatch_table, Records: reduce_records}
    try:
        pickler.dump(message)
    except (pickle.PicklingError, AttributeError):  # local classes and the like
        return None
    data = buffer.getvalue()
    if b"__main__" in data:  # (a false alarm only costs the slower path)
        return None
    return (data, tuple(records)) if records else (data,)


def unpack(data: bytes, records: tuple[Records, ...] = ()) -> Any:
    """The message :func:`pack` made."""
    _unpacking.records = records
    try:
        return pickle.loads(data)  # noqa: S301  # our own bytes, from our own Ray actors
    finally:
        _unpacking.records = ()
