"""Booleans, identifiers and categories: the columns told apart by their words.

* boolean: every value (but the unparsed share) is one of ``true/false``, ``yes/no``,
  ``y/n``, ``t/f``, ``on/off`` or ``1/0`` in any case; a column of only ``1``/``0`` is
  boolean only when both appear (a column of ``1`` s is a count).
* id: an id-like name (``id``, ``order_id``, ``orderId``, ``sku``, ``ref``, ``..._no``)
  over whole numbers or codes, or values shaped like ids (``ORD-0001``, UUIDs) that are
  nearly all distinct (at least ``ID_DISTINCT`` of the present values), or whole
  numbers written with leading zeros (``00123``) that are nearly all distinct.
* category: at most ``CATEGORY_RATIO`` of the present values distinct and at most
  ``CATEGORY_MAX`` distinct, once case and spaces are ignored (``North``, ``north ``
  and ``NORTH`` are one category).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from ._values import Distinct

__all__ = [
    "BOOLEAN_WORDS",
    "CATEGORY_MAX",
    "CATEGORY_RATIO",
    "ID_DISTINCT",
    "BooleanStats",
    "boolean_stats",
    "canonical",
    "category_count",
    "id_like_name",
    "id_shaped",
    "parse_booleans",
]

BOOLEAN_WORDS: dict[str, bool] = {
    "true": True, "false": False, "yes": True, "no": False, "y": True, "n": False,
    "t": True, "f": False, "on": True, "off": False, "1": True, "0": False,
}  # fmt: skip
CATEGORY_RATIO = 0.5
CATEGORY_MAX = 10_000
ID_DISTINCT = 0.9

_ID_NAME = re.compile(
    r"(?:^|[\s_.-])(?:id|uuid|guid|sku|ref|no|nr|num|number)$|^id[\s_.-]", re.IGNORECASE
)
_CAMEL_ID = re.compile(r"[a-z](?:Id|ID|No)$")  # orderId, customerNo: case matters here
_ID_VALUE = (
    r"^(?:[A-Za-z]{1,10}[-_#/]?\d{2,}[A-Za-z0-9-]*"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)


def id_like_name(name: str) -> bool:
    """Whether a column name says it holds identifiers (``order_id``, ``orderId``, ``sku``)."""
    return bool(_ID_NAME.search(name.strip()) or _CAMEL_ID.search(name.strip()))


def id_shaped(values: Distinct) -> int:
    """Rows whose value looks like an identifier (``ORD-0001``, a UUID)."""
    return values.weight(pl.col("v").str.contains(_ID_VALUE))


def canonical(value: pl.Expr) -> pl.Expr:
    """A value with case and runs of spaces ignored: what makes two categories one."""
    return value.str.to_lowercase().str.replace_all(r"\s+", " ")


def category_count(values: Distinct) -> int:
    """How many distinct values once case and spaces are ignored."""
    if values.count == 0:
        return 0
    return int(values.frame.select(canonical(pl.col("v")).n_unique()).item())


@dataclass(frozen=True, slots=True)
class BooleanStats:
    """Attributes: ``parsed`` rows that are boolean words; ``words`` whether any is a
    word (not 1/0); ``both_digits`` whether both ``1`` and ``0`` appear;
    ``failed`` examples of other values."""

    parsed: int
    words: bool
    both_digits: bool
    failed: tuple[str, ...]

    def plausible(self, values: Distinct) -> bool:
        """Enough boolean values, and not just a column of ones (or of zeros)."""
        return values.enough(self.parsed) and (self.words or self.both_digits)


def boolean_stats(values: Distinct) -> BooleanStats:
    """Check the distinct values of a column as booleans."""
    lower = pl.col("v").str.to_lowercase()
    is_word = lower.is_in(list(BOOLEAN_WORDS))
    digits = set(values.frame.filter(lower.is_in(["1", "0"]))["v"].to_list())
    return BooleanStats(
        parsed=values.weight(is_word),
        words=values.weight(is_word & ~lower.is_in(["1", "0"])) > 0,
        both_digits=digits == {"1", "0"},
        failed=values.examples(~is_word),
    )


def parse_booleans(series: pl.Series) -> pl.Series:
    """``yes``/``No``/``TRUE``/``0``/... as booleans; anything else becomes null."""
    words = series.cast(pl.String).str.strip_chars().str.to_lowercase()
    return words.replace_strict(BOOLEAN_WORDS, default=None, return_dtype=pl.Boolean)
