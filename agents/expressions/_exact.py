"""Exact decimal arithmetic on polars columns, as fractions of 128-bit integers.

polars' own Decimal rounds every product and quotient to the larger input scale (half
to even), so ``revenue / impressions * 1000`` would round the quotient before the
multiplication; and it raises on a zero divisor. Here a decimal value is
``num / (den * 10**scale)`` with ``num`` and ``den`` Int128 columns (``den`` positive,
absent when 1) and ``scale`` known statically; the result is rounded once, half-even.

Int128 arithmetic wraps silently on overflow. Each operation knows a static bound on its
magnitudes; where the bound may pass :data:`LIMIT`, a float estimate of the magnitude
marks the row *risky*, and the caller recomputes risky rows with the scalar evaluator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

import polars as pl

I128 = pl.Int128
# i128 holds 1.7e38; stopping at 2**125 leaves room for the float estimate's error and for
# the ``2 * remainder`` of the rounding step.
LIMIT = 2**125
_LIMIT_F = float(LIMIT)


def lit128(value: int) -> pl.Expr:
    """An Int128 literal."""
    return pl.lit(value, I128)


def negate(value: pl.Expr) -> pl.Expr:
    """``-value`` for Int128 (polars has no ``neg`` kernel for it)."""
    return lit128(0) - value


@dataclass(frozen=True)
class Exact:
    """A decimal (or integer) column ``num / (den * 10**scale)``.

    Attributes:
        num: Int128, null exactly where the value is null.
        den: Int128, positive; None stands for 1.
        scale: the power of ten under the fraction.
        num_bound: a static bound on ``|num|``.
        den_bound: a static bound on ``den``.
    """

    num: pl.Expr
    den: pl.Expr | None
    scale: int
    num_bound: int
    den_bound: int = 1

    def is_null(self) -> pl.Expr:
        return self.num.is_null()

    def to_float(self) -> pl.Expr:
        """The value as Float64."""
        value = self.num.cast(pl.Float64)
        if self.den is not None:
            value = value / self.den.cast(pl.Float64)
        return value / (10.0**self.scale) if self.scale else value


Guard = Callable[[int, Callable[[], pl.Expr]], None]


class ExactOps:
    """The operations, each registering its overflow guards with ``guard``.

    ``guard(bound, estimate)`` is called with a static bound and a thunk building a Float64
    estimate of the magnitude; it adds a runtime check only when the bound is too big.
    """

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def mul_int(self, a: pl.Expr, a_bound: int, b: pl.Expr, b_bound: int) -> tuple[pl.Expr, int]:
        bound = a_bound * b_bound
        self.guard(bound, (a.cast(pl.Float64) * b.cast(pl.Float64)).abs)
        return a * b, bound

    def rescale(self, value: Exact, scale: int) -> Exact:
        """The same value written with a larger ``scale``."""
        if scale == value.scale:
            return value
        num, bound = self.mul_int(
            value.num,
            value.num_bound,
            lit128(10 ** (scale - value.scale)),
            10 ** (scale - value.scale),
        )
        return replace(value, num=num, scale=scale, num_bound=bound)

    def _den(self, a: Exact, b: Exact) -> tuple[pl.Expr | None, int]:
        if a.den is None:
            return b.den, b.den_bound
        if b.den is None:
            return a.den, a.den_bound
        return self.mul_int(a.den, a.den_bound, b.den, b.den_bound)

    def _cross(self, a: Exact, b: Exact) -> tuple[pl.Expr, int, pl.Expr, int, int]:
        """``a.num * b.den`` and ``b.num * a.den`` at a common scale, with bounds."""
        scale = max(a.scale, b.scale)
        a, b = self.rescale(a, scale), self.rescale(b, scale)
        left, left_bound = a.num, a.num_bound
        right, right_bound = b.num, b.num_bound
        if b.den is not None:
            left, left_bound = self.mul_int(left, left_bound, b.den, b.den_bound)
        if a.den is not None:
            right, right_bound = self.mul_int(right, right_bound, a.den, a.den_bound)
        return left, left_bound, right, right_bound, scale

    def add(self, a: Exact, b: Exact, subtract: bool) -> Exact:
        left, left_bound, right, right_bound, scale = self._cross(a, b)
        bound = left_bound + right_bound
        self.guard(bound, lambda: left.cast(pl.Float64).abs() + right.cast(pl.Float64).abs())
        den, den_bound = self._den(a, b)
        num = left - right if subtract else left + right
        return Exact(num, den, scale, bound, den_bound)

    def mul(self, a: Exact, b: Exact) -> Exact:
        num, bound = self.mul_int(a.num, a.num_bound, b.num, b.num_bound)
        den, den_bound = self._den(a, b)
        return Exact(num, den, a.scale + b.scale, bound, den_bound)

    def div(self, a: Exact, b: Exact) -> tuple[Exact, pl.Expr]:
        """``a / b``: null where ``b`` is zero; also the rows to report (a non-null ``a``)."""
        # (na / (da 10^sa)) / (nb / (db 10^sb)) = (na db 10^sb) / (da nb 10^sa)
        num, num_bound = a.num, a.num_bound
        if b.den is not None:
            num, num_bound = self.mul_int(num, num_bound, b.den, b.den_bound)
        den, den_bound = b.num.abs(), b.num_bound
        if a.den is not None:
            den, den_bound = self.mul_int(den, den_bound, a.den, a.den_bound)
        scale = a.scale - b.scale
        if scale < 0:
            num, num_bound = self.mul_int(num, num_bound, lit128(10**-scale), 10**-scale)
            scale = 0
        zero = b.num == lit128(0)
        # Counted only where the dividend is there: a null dividend gives null anyway.
        reported = zero & a.num.is_not_null()
        # A sign factor rather than when/then/otherwise: ``num`` appears once in the tree.
        signed = num * pl.when(b.num < lit128(0)).then(lit128(-1)).otherwise(lit128(1))
        return (
            Exact(
                pl.when(~zero).then(signed),
                pl.when(~zero).then(den),
                scale,
                num_bound,
                den_bound,
            ),
            reported.fill_null(value=False),
        )

    def compare(self, op: str, a: Exact, b: Exact) -> pl.Expr:
        left, _, right, _, _ = self._cross(a, b)
        return _COMPARE[op](left, right)

    def round(self, value: Exact, places: int) -> Exact:
        """``value`` rounded half-even to ``places`` decimals: an integer count of units."""
        if places >= value.scale:
            shifted = self.rescale(value, places)
            num, num_bound, den, den_bound = (
                shifted.num,
                shifted.num_bound,
                shifted.den,
                shifted.den_bound,
            )
        else:
            num, num_bound = value.num, value.num_bound
            den, den_bound = lit128(10 ** (value.scale - places)), 10 ** (value.scale - places)
            if value.den is not None:
                den, den_bound = self.mul_int(den, den_bound, value.den, value.den_bound)
        if den is None:
            return Exact(num, None, places, num_bound)
        self.guard(2 * den_bound, lambda: den.cast(pl.Float64) * 2.0)
        quotient = num // den
        twice = (num % den) * lit128(2)  # floored: the remainder is in [0, den)
        up = (twice > den) | ((twice == den) & (quotient % lit128(2) == lit128(1)))
        return Exact(quotient + up.cast(I128), None, places, num_bound)

    def select(self, condition: pl.Expr, a: Exact, b: Exact) -> Exact:
        """``a`` where ``condition`` is true, else ``b`` (a null condition picks ``b``)."""
        scale = max(a.scale, b.scale)
        a, b = self.rescale(a, scale), self.rescale(b, scale)
        num = pl.when(condition).then(a.num).otherwise(b.num)
        den = None
        if a.den is not None or b.den is not None:
            one = lit128(1)
            den = (
                pl.when(condition)
                .then(a.den if a.den is not None else one)
                .otherwise(b.den if b.den is not None else one)
            )
        return Exact(num, den, scale, max(a.num_bound, b.num_bound), max(a.den_bound, b.den_bound))


_COMPARE: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def literal(value: int | Decimal) -> Exact:
    """An exact literal: ``12`` or ``0.01`` (as 1 / 10**2)."""
    if isinstance(value, int):
        return Exact(lit128(value), None, 0, abs(value))
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # literals are finite
    units = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if exponent > 0:
        units, exponent = units * 10**exponent, 0
    return Exact(lit128(units), None, -exponent, abs(units))


def needs_guard(bound: int) -> bool:
    """Whether a magnitude bound may pass :data:`LIMIT`."""
    return bound > LIMIT


def over_limit(estimate: pl.Expr) -> pl.Expr:
    """Rows whose float magnitude estimate passes :data:`LIMIT` (null counts as no)."""
    return (estimate > _LIMIT_F).fill_null(value=False)
