"""Which columns get which rule (``FieldRoles``) and the filtering limits (``ValidationRules``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

_DEFAULT_REQUIRED = ("podcast_name", "revenue", "date")


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldRoles:
    """Which columns are money, dates, names and currency, and which are the key fields.

    Columns named explicitly always take their role (a missing money column rejects every
    record as ``<field>: missing``); columns matched by suffix take it only when present.

    Attributes:
        money: money columns, cleaned in this order before the suffix matches.
        money_suffixes: any other column ending in one of these is money too.
        dates: date columns.
        date_suffixes: any other column ending in one of these is a date too.
        names: name columns (whitespace collapsed, title case).
        currency: currency columns (stripped, upper case).
        id: the column duplicates are found by.
        revenue: the money column that rpm and the revenue range use.
        impressions: the column parsed as an integer count.
        date: the date column ``month_year`` comes from.
    """

    money: tuple[str, ...] = ("revenue",)
    money_suffixes: tuple[str, ...] = ("_amount",)
    dates: tuple[str, ...] = ("date",)
    date_suffixes: tuple[str, ...] = ("_date",)
    names: tuple[str, ...] = ("name", "podcast_name")
    currency: tuple[str, ...] = ("currency",)
    id: str = "id"
    revenue: str = "revenue"
    impressions: str = "impressions"
    date: str = "date"

    def __post_init__(self) -> None:
        if self.revenue not in self.money:
            raise ValueError(
                f"the revenue field {self.revenue!r} must be one of the money fields {self.money}"
            )
        if self.date not in self.dates:
            raise ValueError(f"the date field {self.date!r} must be one of the dates {self.dates}")

    def money_fields(self, columns: Iterable[str]) -> tuple[str, ...]:
        """The money columns for a table with these columns, in cleaning order."""
        return _with_suffixed(self.money, self.money_suffixes, columns)

    def date_fields(self, columns: Iterable[str]) -> tuple[str, ...]:
        """The date columns present in a table with these columns."""
        cols = list(columns)
        return tuple(c for c in _with_suffixed(self.dates, self.date_suffixes, cols) if c in cols)

    def name_fields(self, columns: Iterable[str]) -> tuple[str, ...]:
        """The name columns present."""
        cols = set(columns)
        return tuple(c for c in self.names if c in cols)

    def currency_fields(self, columns: Iterable[str]) -> tuple[str, ...]:
        """The currency columns present."""
        cols = set(columns)
        return tuple(c for c in self.currency if c in cols)


def _with_suffixed(
    named: Sequence[str], suffixes: Sequence[str], columns: Iterable[str]
) -> tuple[str, ...]:
    extra = [c for c in columns if c not in named and c.endswith(tuple(suffixes))]
    return (*named, *extra) if suffixes else tuple(named)


def to_decimal(value: Decimal | int | str | float, *, what: str) -> Decimal:
    """Turn a configured limit into an exact, finite Decimal.

    A float (JSON gives ``0.01`` as one) is read through its shortest repr, which is the
    number the user wrote; it never takes part in arithmetic.

    Raises:
        ValueError: the value is not a finite number.
    """
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} must be finite, got {value!r}")
        value = repr(value)
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{what} must be a decimal number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationRules:
    """The run input's ``validation_rules``: what filtering keeps.

    Attributes:
        min_revenue: the smallest revenue kept (inclusive); ``None`` for no lower bound.
        max_revenue: the largest revenue kept (inclusive); ``None`` for no upper bound.
        required_fields: fields that must be non-null and non-empty after normalization,
            checked in this order.
    """

    min_revenue: Decimal | None = Decimal("0.01")
    max_revenue: Decimal | None = Decimal("100000")
    required_fields: tuple[str, ...] = field(default=_DEFAULT_REQUIRED)

    def __post_init__(self) -> None:
        for name in ("min_revenue", "max_revenue"):
            bound = getattr(self, name)
            if bound is not None and not (isinstance(bound, Decimal) and bound.is_finite()):
                raise ValueError(
                    f"{name} must be a finite Decimal or None, got {bound!r}; "
                    "use ValidationRules.from_mapping to convert numbers and strings"
                )
        fields: object = self.required_fields  # typed as a tuple; callers may still err
        if isinstance(fields, str) or not isinstance(fields, Iterable):
            raise TypeError(f"required_fields must be a tuple of field names, got {fields!r}")
        object.__setattr__(self, "required_fields", tuple(self.required_fields))

    @classmethod
    def from_mapping(cls, rules: Mapping[str, object] | None) -> ValidationRules:
        """Build from a run input's ``validation_rules`` mapping; missing keys keep defaults.

        Args:
            rules: ``min_revenue`` / ``max_revenue`` (Decimal, int, str or float; ``None``
                disables the bound) and ``required_fields`` (a list of names).

        Raises:
            ValueError: an unknown key, or a limit that is not a finite number.
        """
        rules = dict(rules or {})
        unknown = set(rules) - {"min_revenue", "max_revenue", "required_fields"}
        if unknown:
            raise ValueError(
                f"unknown validation rule(s) {sorted(unknown)}; "
                "expected min_revenue, max_revenue, required_fields"
            )
        defaults = cls()
        bounds: dict[str, Decimal | None] = {}
        for name in ("min_revenue", "max_revenue"):
            if name not in rules:
                bounds[name] = getattr(defaults, name)
                continue
            raw = rules[name]
            if raw is None:
                bounds[name] = None
            elif isinstance(raw, Decimal | int | str | float):
                bounds[name] = to_decimal(raw, what=name)
            else:
                raise ValueError(f"{name} must be a number, got {raw!r}")
        required = rules.get("required_fields", defaults.required_fields)
        if isinstance(required, str) or not isinstance(required, Iterable):
            raise ValueError(f"required_fields must be a list of names, got {required!r}")
        return cls(
            min_revenue=bounds["min_revenue"],
            max_revenue=bounds["max_revenue"],
            required_fields=tuple(str(f) for f in required),
        )
