"""The whole pipeline on a polars DataFrame: cleaning, normalization, calculations, filtering.

One lazy query, every step a column expression, so the work is O(n) and vectorized. The
cleaned values replace the columns in place (user rules see ``pl.col("revenue")`` as the
cleaned Decimal) while copies of the raw columns, free in Arrow, feed the rejects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import polars as pl

from ._calc import compute_rpm_expr, month_year_expr, parse_impressions_expr
from ._config import FieldRoles, ValidationRules
from ._dates import parse_date_expr
from ._dedupe import is_duplicate_expr
from ._filter import (
    missing_required_expr,
    out_of_range_expr,
    range_reason_expr,
    required_reason_expr,
)
from ._layout import input_defaults, output_columns
from ._money import clean_money_expr, money_reason_expr
from ._names import normalize_currency_expr, normalize_name_expr
from ._registry import Rule
from ._stats import (
    BUILTIN_REJECT_RULES,
    PipelineStats,
    not_an_integer_warning,
    unparseable_date_warning,
)

_P = "__af_"  # prefix of the pipeline's working columns
_RAW = _P + "raw_"
_MONEY, _DUP, _REACHED, _RULE = (_P + n for n in ("money", "dup", "reached", "rule"))
_IMPRESSIONS = _P + "impressions"
# The streaming engine wins on big tables (its morsels run on every core) and costs ~10 ms
# of start-up on small ones, which batches from an actor often are (measured, 2 cores).
_STREAMING_FROM = 100_000


class PipelineResult(NamedTuple):
    """Records kept, records rejected (original values + ``rule`` + ``reason``), stats."""

    records: pl.DataFrame
    rejects: pl.DataFrame
    stats: PipelineStats


def _check_input(frame: pl.DataFrame, roles: FieldRoles, rules: Sequence[Rule]) -> None:
    clashes = [c for c in frame.columns if c.startswith(_P)]
    if clashes:
        raise ValueError(f"column names starting with {_P!r} are reserved: {clashes}")
    columns = frame.columns
    string_roles = {
        *roles.money_fields(columns),
        *roles.date_fields(columns),
        *roles.name_fields(columns),
        *roles.currency_fields(columns),
        roles.id,
        roles.impressions,
    }
    for name in sorted(string_roles & set(columns)):
        if frame.schema[name] not in (pl.String, pl.Null):
            raise TypeError(
                f"column {name!r} is {frame.schema[name]}, the rules take strings: read CSV "
                "with infer_schema=False (JSON values with str())"
            )
    names = [r.name for r in rules]
    if any(n.startswith(_P) for n in names):
        raise ValueError(f"rule names starting with {_P!r} are reserved: {names}")
    reused = {n for n in names if names.count(n) > 1} | (
        {r.name for r in rules if r.kind == "filter"} & set(BUILTIN_REJECT_RULES)
    )
    if reused:
        raise ValueError(f"user rule names must be unique and not built-in: {sorted(reused)}")


def _first(pairs: Sequence[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    """The value of the first condition that holds, else null."""
    result: pl.Expr = pl.lit(None, dtype=pl.String)
    for condition, value in reversed(pairs):
        result = pl.when(condition).then(value).otherwise(result)
    return result


def run_pipeline(
    frame: pl.DataFrame,
    *,
    roles: FieldRoles | None = None,
    validation: ValidationRules | None = None,
    rules: Iterable[Rule] = (),
) -> PipelineResult:
    """Run cleaning, normalization, calculations and filtering on a table of strings.

    The vectorized twin of :func:`run_pipeline_scalar`: same records, rejects and stats.

    Args:
        frame: the input, every rule column a string (CSV read with ``infer_schema=False``).
        roles: which columns get which rule.
        validation: the filtering limits.
        rules: user rules, run after the built-in rules of their step, in order.

    Returns:
        ``(records, rejects, stats)``. Records keep input order, money as
        ``Decimal(38, 2)``; rejects hold the original values plus ``rule`` and ``reason``;
        ``input == records + rejects`` always.

    Raises:
        TypeError: a rule column is not a string column.
        ValueError: reserved or clashing column or rule names.
    """
    plan = _Plan(frame, roles or FieldRoles(), validation or ValidationRules(), tuple(rules))
    lf = plan.calculate(plan.normalize(plan.clean(plan.value_rules(plan.start(frame)))))
    lf, checks = plan.filter(lf)
    done = lf.collect(engine="in-memory" if frame.height < _STREAMING_FROM else "auto")

    kept = pl.col(_RULE).is_null()
    records = done.filter(kept).select(output_columns(plan.columns, plan.roles, plan.user))
    # Reason texts are built for the rejects only: formatting a message for every row
    # costs more than all the checks together.
    rejected = done.filter(~kept)
    rejects = rejected.select(
        *(pl.col(_RAW + c).alias(c) for c in plan.columns),
        pl.col(_RULE).alias("rule"),
        plan.reason(rejected.schema).alias("reason"),
    )
    return PipelineResult(records, rejects, _stats(done, plan.warnings, checks))


class _Plan:
    """The lazy query of one run, built step by step in the spec's order."""

    def __init__(
        self,
        frame: pl.DataFrame,
        roles: FieldRoles,
        validation: ValidationRules,
        user: tuple[Rule, ...],
    ) -> None:
        _check_input(frame, roles, user)
        self.columns = frame.columns
        self.roles = roles
        self.validation = validation
        self.user = user
        self.money = roles.money_fields(self.columns)
        self.dates = roles.date_fields(self.columns)
        self.warnings: list[str] = []
        # Columns a scalar-only user rule sees as the record.
        self.visible = list(output_columns(self.columns, roles, ()))
        # A user transform of the impressions field must run before it is parsed.
        self.late_impressions = any(
            r.kind == "transform" and r.field == roles.impressions for r in user
        )

    def start(self, frame: pl.DataFrame) -> pl.LazyFrame:
        """Keep the raw values for the rejects (free: Arrow buffers are shared)."""
        absent = [c for c in input_defaults(self.roles) if c not in self.columns]
        absent += [
            f for r in self.user if (f := r.field) and f not in self.columns and f not in absent
        ]
        # An all-null column (JSON with no value, say) has dtype Null: make it strings.
        untyped = [c for c, dtype in frame.schema.items() if dtype == pl.Null]
        return (
            frame.lazy()
            .with_columns(pl.col(c).cast(pl.String) for c in untyped)
            .with_columns(
                *(pl.col(c).alias(_RAW + c) for c in self.columns),
                *(pl.lit(None, dtype=pl.String).alias(c) for c in absent),
            )
        )

    def value_rules(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        """Every built-in rule of one raw value, in one parallel step.

        The later steps only combine these results, in the spec's order.
        """
        columns, roles = self.columns, self.roles
        impressions = [] if self.late_impressions else [self._impressions()]
        return lf.with_columns(
            *(clean_money_expr(pl.col(f)).alias(_P + "m_" + f) for f in self.money),
            *(parse_date_expr(pl.col(f)).alias(_P + "d_" + f) for f in self.dates),
            *(normalize_name_expr(pl.col(f)).alias(f) for f in roles.name_fields(columns)),
            *(normalize_currency_expr(pl.col(f)).alias(f) for f in roles.currency_fields(columns)),
            *impressions,
        )

    def clean(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        """1. Money, then duplicates among the records money kept, then dates."""
        roles = self.roles
        money_failed = pl.any_horizontal(pl.col(_P + "m_" + f).is_null() for f in self.money)
        lf = lf.with_columns(money_failed.alias(_MONEY)).with_columns(
            *(pl.col(_P + "m_" + f).alias(f) for f in self.money),
            is_duplicate_expr(pl.col(roles.id), ~pl.col(_MONEY)).alias(_DUP),
        )
        lf = lf.with_columns((~pl.col(_MONEY) & ~pl.col(_DUP)).alias(_REACHED))
        parsed = {f: pl.col(_P + "d_" + f) for f in self.dates}
        month = parsed.get(roles.date, pl.lit(None, dtype=pl.String))
        unparseable = [
            self._warning(unparseable_date_warning(f), pl.col(f).is_not_null() & p.is_null())
            for f, p in parsed.items()
        ]
        return lf.with_columns(
            *(pl.coalesce(p, f).alias(f) for f, p in parsed.items()),
            month_year_expr(month).alias("month_year"),
            *unparseable,
        )

    def normalize(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        """2. Names and currency (done with the value rules), then user transforms."""
        for rule in self.user:
            if rule.kind == "transform" and rule.field is not None:
                lf = lf.with_columns(rule.to_expr(self.visible).alias(rule.field))
        return lf

    def calculate(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        """3. Impressions, rpm, month_year (with the dates), then user calculated fields."""
        if self.late_impressions:
            lf = lf.with_columns(self._impressions())
        impressions = pl.col(self.roles.impressions)
        not_integer = impressions.is_not_null() & pl.col(_IMPRESSIONS).is_null()
        lf = lf.with_columns(
            pl.col(_IMPRESSIONS).alias(self.roles.impressions),
            self._warning(not_an_integer_warning(self.roles.impressions), not_integer),
        )
        lf = lf.with_columns(compute_rpm_expr(pl.col(self.roles.revenue), impressions).alias("rpm"))
        for rule in self.user:
            if rule.kind == "calculated":
                lf = lf.with_columns(rule.to_expr(self.visible).alias(rule.name))
                self.visible.append(rule.name)
        return lf

    def filter(self, lf: pl.LazyFrame) -> tuple[pl.LazyFrame, list[str]]:
        """4. Required fields, range, then user filters; the first rule broken rejects."""
        roles, validation = self.roles, self.validation
        checks: list[tuple[str, pl.Expr]] = [
            ("money", pl.col(_MONEY)),
            ("duplicate", pl.col(_DUP)),
            ("required", missing_required_expr(validation.required_fields, lf.collect_schema())),
            (
                "range",
                out_of_range_expr(
                    pl.col(roles.revenue),
                    min_revenue=validation.min_revenue,
                    max_revenue=validation.max_revenue,
                ),
            ),
        ]
        checks += [
            (r.name, ~r.to_expr(self.visible).fill_null(False))
            for r in self.user
            if r.kind == "filter"
        ]
        lf = lf.with_columns(_first([(cond, pl.lit(name)) for name, cond in checks]).alias(_RULE))
        return lf, [name for name, _ in checks]

    def reason(self, schema: Mapping[str, pl.DataType]) -> pl.Expr:
        """The reason text of each rejected row (``schema``: the finished table's)."""
        roles, validation = self.roles, self.validation

        def raw(field: str) -> pl.Expr:
            # The value as read; a column the input lacks reads as null.
            return pl.col(_RAW + field) if field in self.columns else pl.lit(None, pl.String)

        reasons = {
            "money": pl.coalesce(
                money_reason_expr(raw(f), pl.col(_P + "m_" + f), f) for f in self.money
            ),
            # A user transform may rewrite the id; the reason names the id as read.
            "duplicate": pl.concat_str(pl.lit("duplicate id '"), raw(roles.id), pl.lit("'")),
            "required": required_reason_expr(validation.required_fields, schema),
            "range": range_reason_expr(
                pl.col(roles.revenue),
                min_revenue=validation.min_revenue,
                max_revenue=validation.max_revenue,
                field=roles.revenue,
            ),
        }
        reasons.update((r.name, pl.lit(r.reject_reason)) for r in self.user if r.kind == "filter")
        return _first([(pl.col(_RULE) == name, text) for name, text in reasons.items()])

    def _impressions(self) -> pl.Expr:
        return parse_impressions_expr(pl.col(self.roles.impressions)).alias(_IMPRESSIONS)

    def _warning(self, name: str, condition: pl.Expr) -> pl.Expr:
        """A warning flag column, counted only on records that reached the date step."""
        self.warnings.append(name)
        return (pl.col(_REACHED) & condition).alias(_warning_column(len(self.warnings) - 1))


def _warning_column(index: int) -> str:
    return f"{_P}warning_{index}"


def _stats(done: pl.DataFrame, warnings: list[str], rule_names: list[str]) -> PipelineStats:
    flags = [pl.col(_warning_column(i)) for i in range(len(warnings))]
    kept = pl.col(_RULE).is_null()
    counts = done.select(
        pl.len().alias("input"),
        kept.sum().alias("output"),
        (kept & ~pl.any_horizontal(flags)).sum().alias("clean"),
        *(flag.sum().alias(_warning_column(i)) for i, flag in enumerate(flags)),
        *((pl.col(_RULE) == name).sum().alias("rule:" + name) for name in rule_names),
    ).row(0, named=True)
    return PipelineStats(
        input_count=counts["input"],
        output_count=counts["output"],
        rejected={name: counts["rule:" + name] for name in rule_names},
        warnings={name: counts[_warning_column(i)] for i, name in enumerate(warnings)},
        clean_count=counts["clean"],
    )
