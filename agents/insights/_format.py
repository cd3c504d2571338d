"""Exact numbers as text: money with two places, percentages with one, never via float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

CENT = Decimal("0.01")
#: The arithmetic context of every figure: amounts have up to 38 digits, so the default
#: 28-digit context would round sums of large amounts (and trap on quantizing them).
EXACT = Context(prec=80, rounding=ROUND_HALF_EVEN)
_TENTH = Decimal("0.1")


def money(value: Decimal) -> str:
    """Plain two-place text of an amount (``"12345.60"``), for data."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_EVEN))


def money_text(value: Decimal) -> str:
    """Two places with thousands separators (``"12,345.60"``), for sentences."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):,}"


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part / whole * 100`` with one decimal place (half-even); None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_TENTH, rounding=ROUND_HALF_EVEN)


def percent_text(value: Decimal | None) -> str:
    """``"12.5%"``, or ``"n/a"`` for no value."""
    return "n/a" if value is None else f"{value}%"


def count_text(value: int) -> str:
    """A count with thousands separators."""
    return f"{value:,}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``"1 record"``, ``"2 records"``."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count_text(count)} {word}"


def label(value: object) -> str:
    """A dimension or period value as text; a missing one reads ``(none)``."""
    return "(none)" if value is None or value == "" else str(value)
