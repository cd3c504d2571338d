"""Duplicates by id (spec §1.2): the first record with a given non-empty id wins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import polars as pl

R = TypeVar("R", bound=Mapping[str, Any])


def duplicate_reason(record_id: str) -> str:
    """The rejection reason of a later record with an id seen before."""
    return f"duplicate id '{record_id}'"


def is_duplicate(record_id: str | None, seen: set[str]) -> bool:
    """Tell whether an id was seen before, remembering it if not.

    A null or empty id is never a duplicate. A set, never a scan: O(1) per record.

    Args:
        record_id: the record's id.
        seen: the ids of the records kept so far; updated in place.
    """
    if record_id is None or record_id == "":
        return False
    if record_id in seen:
        return True
    seen.add(record_id)
    return False


def dedupe(records: Iterable[R], key: str = "id") -> tuple[list[R], list[R]]:
    """Split records into the first occurrence of each id and the later duplicates.

    Args:
        records: records that passed money cleaning, in input order.
        key: the id field.

    Returns:
        ``(kept, duplicates)``, each in input order.
    """
    seen: set[str] = set()
    kept: list[R] = []
    duplicates: list[R] = []
    for record in records:
        (duplicates if is_duplicate(record.get(key), seen) else kept).append(record)
    return kept, duplicates


def is_duplicate_expr(record_id: pl.Expr, candidate: pl.Expr | None = None) -> pl.Expr:
    """Vectorized :func:`is_duplicate`: true for every occurrence of an id but the first.

    Args:
        record_id: the id column (string).
        candidate: which rows take part (the spec: those that passed money cleaning);
            others are never duplicates and never hide a later row. All rows when None.
    """
    keyed = record_id.is_not_null() & (record_id != "")
    if candidate is not None:
        keyed = keyed & candidate.fill_null(False)
    # Masked-out rows share the null key; is_first_distinct is a hash pass, O(n).
    key = pl.when(keyed).then(record_id)
    return keyed & ~key.is_first_distinct()
