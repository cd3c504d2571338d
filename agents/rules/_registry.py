"""User rules: a ``Rule`` value (scalar spec + vectorized form) and a ``RuleSet`` of them.

A rule has up to two forms of one definition: ``scalar``, plain Python on one value or
one record (the spec, easy to property-test), and ``vectorized``, a polars expression
(the speed). ``actorflow.testing.assert_rule_agrees`` checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import polars as pl

RuleKind: TypeAlias = Literal["transform", "calculated", "filter"]
#: A scalar rule: one value (field rules) or one record (a mapping) in, one value out.
ScalarRule: TypeAlias = Callable[[Any], Any]
#: A vectorized field rule: the column expression in, the result expression out.
FieldExpr: TypeAlias = Callable[[pl.Expr], pl.Expr]
_KINDS = ("transform", "calculated", "filter")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Rule:
    """One user rule. Build it with :meth:`transform`, :meth:`calculated` or :meth:`filter`.

    Kinds, and where the pipeline runs them (after the built-in rules of the same step):

    - ``transform``: rewrites the column ``field`` (normalization step).
    - ``calculated``: adds (or replaces) the column ``name`` (calculation step).
    - ``filter``: rejects the records for which it is false or null (filtering step), with
      rule ``name`` and ``reason``.

    With ``field`` set, ``scalar`` takes that field's value and ``vectorized`` is a
    function of the column expression (``lambda e: e.str.strip_chars()``). Without it,
    ``scalar`` takes the whole cleaned record (a mapping) and ``vectorized`` is an
    expression over named columns (``pl.col("revenue") * 2``).

    Either form may be missing: the vectorized pipeline then calls ``scalar`` once per row
    (correct, slow), and :meth:`apply` evaluates ``vectorized`` on a one-row frame.

    Attributes:
        name: unique within a :class:`RuleSet`; the output column of a calculated rule
            and the ``rule`` of a filter's rejects.
        kind: ``transform``, ``calculated`` or ``filter``.
        scalar: the pure Python definition.
        vectorized: the polars form.
        field: the one field the rule reads (required for transforms).
        reason: a filter's rejection reason (default ``failed rule '<name>'``).
        dtype: the result type, used when ``scalar`` stands in for ``vectorized``.
        description: one line for listings.
    """

    name: str
    kind: RuleKind
    scalar: ScalarRule | None = None
    vectorized: pl.Expr | FieldExpr | None = None
    field: str | None = None
    reason: str | None = None
    dtype: pl.DataType | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError("a rule needs a non-empty name")
        if self.kind not in _KINDS:
            raise ValueError(f"rule {self.name!r}: kind must be one of {_KINDS}, not {self.kind!r}")
        if self.scalar is None and self.vectorized is None:
            raise ValueError(f"rule {self.name!r}: give a scalar or a vectorized form, or both")
        if self.kind == "transform" and self.field is None:
            raise ValueError(f"transform rule {self.name!r} needs the field it rewrites")
        if self.reason is not None and self.kind != "filter":
            raise ValueError(f"rule {self.name!r}: only filter rules have a reason")
        if self.vectorized is not None:
            if self.field is not None and isinstance(self.vectorized, pl.Expr):
                raise TypeError(
                    f"rule {self.name!r} reads field {self.field!r}: vectorized must be a "
                    "function of the column expression, e.g. lambda e: e.str.to_uppercase()"
                )
            if self.field is None and not isinstance(self.vectorized, pl.Expr):
                raise TypeError(
                    f"rule {self.name!r} reads the whole record: vectorized must be a "
                    "polars expression over named columns, e.g. pl.col('revenue') * 2"
                )

    @classmethod
    def transform(
        cls,
        name: str,
        *,
        field: str,
        scalar: ScalarRule | None = None,
        vectorized: FieldExpr | None = None,
        dtype: pl.DataType | None = None,
        description: str = "",
    ) -> Rule:
        """A rule that rewrites one column, value by value."""
        return cls(
            name=name,
            kind="transform",
            field=field,
            scalar=scalar,
            vectorized=vectorized,
            dtype=dtype,
            description=description,
        )

    @classmethod
    def calculated(
        cls,
        name: str,
        *,
        scalar: ScalarRule | None = None,
        vectorized: pl.Expr | FieldExpr | None = None,
        field: str | None = None,
        dtype: pl.DataType | None = None,
        description: str = "",
    ) -> Rule:
        """A rule that adds the column ``name``, computed from one field or the record."""
        return cls(
            name=name,
            kind="calculated",
            field=field,
            scalar=scalar,
            vectorized=vectorized,
            dtype=dtype,
            description=description,
        )

    @classmethod
    def filter(
        cls,
        name: str,
        *,
        scalar: ScalarRule | None = None,
        vectorized: pl.Expr | FieldExpr | None = None,
        field: str | None = None,
        reason: str | None = None,
        description: str = "",
    ) -> Rule:
        """A rule that keeps the records for which it is true and rejects the others."""
        return cls(
            name=name,
            kind="filter",
            field=field,
            scalar=scalar,
            vectorized=vectorized,
            reason=reason,
            description=description,
        )

    @property
    def reject_reason(self) -> str:
        """The reason a filter's rejects carry."""
        return self.reason if self.reason is not None else f"failed rule '{self.name}'"

    def to_expr(self, columns: Sequence[str] | None = None) -> pl.Expr:
        """The vectorized form as one expression.

        Args:
            columns: the record's columns, passed to ``scalar`` when it stands in for a
                missing vectorized form of a record rule (all columns when None).
        """
        if self.vectorized is not None:
            if isinstance(self.vectorized, pl.Expr):
                return self.vectorized
            assert self.field is not None  # checked at construction
            return self.vectorized(pl.col(self.field))
        scalar = self.scalar
        assert scalar is not None  # checked at construction
        dtype = pl.Boolean() if self.kind == "filter" else self.dtype
        if self.field is not None:
            source = pl.col(self.field)
        else:
            source = pl.struct(*(columns if columns is not None else [pl.all()]))
        return source.map_elements(scalar, return_dtype=dtype, skip_nulls=False)

    def apply(self, subject: Any) -> Any:
        """The scalar form on one value (field rules) or one record (a mapping)."""
        if self.scalar is not None:
            return self.scalar(subject)
        if self.field is not None:
            frame = pl.DataFrame({self.field: [subject]})
        else:
            frame = pl.DataFrame([dict(subject)])
        return frame.select(self.to_expr().alias("result")).item()

    def rejects(self, result: Any) -> bool:
        """Whether a filter's result rejects the record (false or null does)."""
        return result is None or not bool(result)


class RuleSet:
    """User rules by name, in registration order.

    Register a :class:`Rule`, or decorate its scalar definition::

        rules = RuleSet()

        @rules.calculated("net", vectorized=pl.col("revenue") - pl.col("fee_amount"))
        def net(record):
            return record["revenue"] - record["fee_amount"]
    """

    __slots__ = ("_rules",)

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> Rule:
        """Register a rule.

        Raises:
            ValueError: a rule with this name is registered already.
        """
        if rule.name in self._rules:
            raise ValueError(f"a rule named {rule.name!r} is registered already")
        self._rules[rule.name] = rule
        return rule

    def transform(
        self,
        name: str,
        *,
        field: str,
        vectorized: FieldExpr | None = None,
        dtype: pl.DataType | None = None,
        description: str = "",
    ) -> Callable[[ScalarRule], ScalarRule]:
        """Decorator: register the decorated function as a transform's scalar form."""

        def register(scalar: ScalarRule) -> ScalarRule:
            self.add(
                Rule.transform(
                    name,
                    field=field,
                    scalar=scalar,
                    vectorized=vectorized,
                    dtype=dtype,
                    description=description or _first_line(scalar),
                )
            )
            return scalar

        return register

    def calculated(
        self,
        name: str,
        *,
        vectorized: pl.Expr | FieldExpr | None = None,
        field: str | None = None,
        dtype: pl.DataType | None = None,
        description: str = "",
    ) -> Callable[[ScalarRule], ScalarRule]:
        """Decorator: register the decorated function as a calculated field's scalar form."""

        def register(scalar: ScalarRule) -> ScalarRule:
            self.add(
                Rule.calculated(
                    name,
                    scalar=scalar,
                    vectorized=vectorized,
                    field=field,
                    dtype=dtype,
                    description=description or _first_line(scalar),
                )
            )
            return scalar

        return register

    def filter(
        self,
        name: str,
        *,
        vectorized: pl.Expr | FieldExpr | None = None,
        field: str | None = None,
        reason: str | None = None,
        description: str = "",
    ) -> Callable[[ScalarRule], ScalarRule]:
        """Decorator: register the decorated function as a filter's scalar form."""

        def register(scalar: ScalarRule) -> ScalarRule:
            self.add(
                Rule.filter(
                    name,
                    scalar=scalar,
                    vectorized=vectorized,
                    field=field,
                    reason=reason,
                    description=description or _first_line(scalar),
                )
            )
            return scalar

        return register

    def __getitem__(self, name: str) -> Rule:
        try:
            return self._rules[name]
        except KeyError:
            known = ", ".join(self._rules) or "none"
            raise KeyError(f"no rule named {name!r}; registered: {known}") from None

    def get(self, name: str) -> Rule | None:
        """The rule with this name, or None."""
        return self._rules.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    @property
    def names(self) -> tuple[str, ...]:
        """Rule names, in registration order."""
        return tuple(self._rules)

    def of_kind(self, kind: RuleKind) -> tuple[Rule, ...]:
        """The rules of one kind, in registration order."""
        return tuple(r for r in self._rules.values() if r.kind == kind)

    def describe(self) -> Mapping[str, str]:
        """Name to description, for listings."""
        return {r.name: r.description for r in self._rules.values()}

    def __repr__(self) -> str:
        return f"RuleSet({list(self._rules)})"


def _first_line(fn: Callable[..., Any]) -> str:
    doc = (fn.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""
