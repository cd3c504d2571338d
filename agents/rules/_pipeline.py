"""The whole pipeline on a polars DataFrame: cleaning, normalization, calculations, filtering.

One lazy query, every step a column expression, so the work is O(n) and vectorized. The
cleaned values replace the columns in place (user rules see ``pl.col("revenue")`` as the
cleaned Decimal); the rejects take their original values from the input table.

Memory is spent on what the outputs hold, and little more: the query hands back only
the columns the rules compute (the others are the input's own), and the records are
filtered out of it one column at a time, each working column let go once copied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import polars as pl

from ._calc import compute_rpm_series, month_year_expr, parse_impressions_expr
from ._config import FieldRoles, ValidationRules
from ._dates import parse_date_series
from ._dedupe import is_duplicate_expr
from ._filter import (
    missing_required_expr,
    out_of_range_expr,
    range_reason_expr,
    required_reason_expr,
)
from ._layout import input_defaults, output_columns
from ._money import MONEY_DTYPE, clean_money_expr, money_reason_expr
from ._names import normalize_currency_series, normalize_name_series
from ._registry import Rule
from ._stats import (
    BUILTIN_REJECT_RULES,
    PipelineStats,
    not_an_integer_warning,
    unparseable_date_warning,
)

_P = "__af_"  # prefix of the pipeline's working columns
_RAW = _P + "raw_"
_MONEY, _DUP, _REACHED, _RULE, _REASON = (
    _P + n for n in ("money", "dup", "reached", "rule", "reason")
)
_IMPRESSIONS = _P + "impressions"
#: The columns the pipeline computes (whatever the input holds under these names).
_CALCULATED = ("rpm", "month_year")


class PipelineResult(NamedTuple):
    """Records kept, records rejected (original values + ``rule`` + ``reason``), stats."""

    records: pl.DataFrame
    rejects: pl.DataFrame
    stats: PipelineStats


def _check_input(
    schema: Mapping[str, pl.DataType], roles: FieldRoles, rules: Sequence[Rule]
) -> None:
    columns = list(schema)
    clashes = [c for c in columns if c.startswith(_P)]
    if clashes:
        raise ValueError(f"column names starting with {_P!r} are reserved: {clashes}")
    string_roles = {
        *roles.money_fields(columns),
        *roles.date_fields(columns),
        *roles.name_fields(columns),
        *roles.currency_fields(columns),
        roles.id,
        roles.impressions,
    }
    for name in sorted(string_roles & set(columns)):
        if schema[name] not in (pl.String, pl.Null):
            raise TypeError(
                f"column {name!r} is {schema[name]}, the rules take strings: read CSV "
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


def _whole(rule: Callable[[pl.Series], pl.Series], column: str) -> pl.Expr:
    """A string rule on the whole column at once (the public ``*_expr`` are elementwise).

    polars calls an elementwise function once per chunk, and a CSV read gives dozens of
    uneven chunks: each call would pay for its own distinct-value pass and its Python
    glue. Here the whole column goes in one call, which halves the time of the dates.
    """
    return pl.col(column).map_batches(rule, return_dtype=pl.String, is_elementwise=False)


def _rpm_of_pairs(pairs: pl.Series) -> pl.Series:
    """:func:`compute_rpm_series` on a struct of revenue ``r`` and impressions ``i``."""
    return compute_rpm_series(pairs.struct.field("r"), pairs.struct.field("i"))


def _first(pairs: Sequence[tuple[pl.Expr, pl.Expr]], dtype: pl.DataType | None = None) -> pl.Expr:
    """The value of the first condition that holds, else null (of ``dtype``, a string)."""
    result: pl.Expr = pl.lit(None, dtype=dtype or pl.String())
    for condition, value in reversed(pairs):
        result = pl.when(condition).then(value).otherwise(result)
    return result


#: Rows per slice of a large table. Every rule but duplicates reads one row, so a long
#: table is processed a slice at a time and the rules' working columns exist for one
#: slice only (10M rows: peak 3.9 GiB in one piece, about 3 GiB in 1M-row slices).
SLICE_ROWS = 1_000_000


def run_pipeline(
    frame: pl.DataFrame,
    *,
    roles: FieldRoles | None = None,
    validation: ValidationRules | None = None,
    rules: Iterable[Rule] = (),
    slice_rows: int = SLICE_ROWS,
    duplicates: pl.Series | None = None,
) -> PipelineResult:
    """Run cleaning, normalization, calculations and filtering on a table of strings.

    The vectorized twin of :func:`run_pipeline_scalar`: same records, rejects and stats.
    A table longer than ``slice_rows`` is processed in slices of that many rows, after
    one pass over the whole table finds the duplicates; user rules must therefore
    compute a row from that row alone, which their scalar spec already says. A caller
    that holds only a slice of a longer table (read from disk, say) gives the slice's
    ``duplicates``, found by :func:`duplicate_flags` over the whole table.

    Args:
        frame: the input, every rule column a string (CSV read with ``infer_schema=False``).
        roles: which columns get which rule.
        validation: the filtering limits.
        rules: user rules, run after the built-in rules of their step, in order.
        slice_rows: the most rows processed at once.
        duplicates: the duplicate flag of each row, from :func:`duplicate_flags` over
            the whole table this frame is a slice of; by default found in ``frame``.

    Returns:
        ``(records, rejects, stats)``. Records keep input order, money as
        ``Decimal(38, 2)``; rejects hold the original values plus ``rule`` and ``reason``;
        ``input == records + rejects`` always.

    Raises:
        TypeError: a rule column is not a string column.
        ValueError: reserved or clashing column or rule names, ``slice_rows`` < 1, or
            ``duplicates`` not one flag per row.
    """
    if slice_rows < 1:
        raise ValueError(f"slice_rows must be at least 1, got {slice_rows}")
    if duplicates is not None and len(duplicates) != frame.height:
        raise ValueError(f"{len(duplicates)} duplicate flags for {frame.height} rows")
    roles, validation, user = roles or FieldRoles(), validation or ValidationRules(), tuple(rules)
    plan = _Plan(frame.schema, roles, validation, user)
    frame = _typed(frame.lazy(), frame.schema).collect() if _untyped(frame.schema) else frame
    if frame.height <= slice_rows:
        return _run(plan, frame, duplicates)
    if duplicates is None:
        duplicates = plan.duplicates(frame.lazy())
    parts = [
        # A plan per slice: building the query records its warnings and visible columns.
        _run(
            _Plan(frame.schema, roles, validation, user),
            frame.slice(offset, slice_rows),
            duplicates.slice(offset, slice_rows),
        )
        for offset in range(0, frame.height, slice_rows)
    ]
    # Not rechunked: every column has the same slices, so the chunks stay aligned and no
    # later operation copies the table to line them up.
    return PipelineResult(
        pl.concat([part.records for part in parts], how="vertical_relaxed", rechunk=False),
        pl.concat([part.rejects for part in parts], how="vertical_relaxed"),  # few: one chunk
        PipelineStats.combine([part.stats for part in parts]),
    )


def duplicate_flags(
    table: pl.LazyFrame, *, roles: FieldRoles | None = None, rules: Iterable[Rule] = ()
) -> pl.Series:
    """Which rows of ``table`` the cleaning rejects as duplicates: the one rule that looks
    across rows, found over the whole table before it is processed a slice at a time.

    Only the id and money columns are read, so over a scan of files on disk this holds
    two columns, not the table.
    """
    schema = table.collect_schema()
    plan = _Plan(schema, roles or FieldRoles(), ValidationRules(), tuple(rules))
    return plan.duplicates(_typed(table, schema))


def _untyped(schema: Mapping[str, pl.DataType]) -> list[str]:
    return [c for c, dtype in schema.items() if dtype == pl.Null]


def _typed(table: pl.LazyFrame, schema: Mapping[str, pl.DataType]) -> pl.LazyFrame:
    """An all-null column (JSON with no value, say) has dtype Null: make it strings."""
    untyped = _untyped(schema)
    return table.with_columns(pl.col(c).cast(pl.String) for c in untyped) if untyped else table


def _run(plan: _Plan, frame: pl.DataFrame, duplicates: pl.Series | None = None) -> PipelineResult:
    """The pipeline on one table (or one slice, with its rows' duplicate flags)."""
    lf = plan.start(frame.lazy())
    if duplicates is not None:
        lf = lf.with_columns(duplicates.alias(_DUP))
    lf = plan.calculate(plan.normalize(plan.clean(plan.value_rules(lf, duplicates is None))))
    lf, checks = plan.filter(lf)
    # Only what the outputs need leaves the query: the record columns the rules compute,
    # the first rule each row broke, the warning flags and the cleaned money the reasons
    # look at. Columns no rule changes are taken from the input as they are, so they
    # share its memory whatever the engine does with them.
    passed = plan.unchanged()
    wanted = [c for c in plan.output if c not in passed]
    wanted += [_RULE, *plan.warning_columns(), *plan.cleaned_money]
    # The in-memory engine: the rules get whole columns (see _whole). The streaming engine
    # was slower here and held more memory (measured at 1M and 10M rows).
    done = lf.select(list(dict.fromkeys(wanted))).collect(engine="in-memory")
    if passed:
        done = pl.concat([done, frame.select(passed)], how="horizontal")
    stats = _stats(done, plan.warnings, checks)
    # One chunk: a mask chunked unlike a column would make polars rechunk (copy) that
    # column before filtering it.
    keep = done.get_column(_RULE).is_null().rechunk()
    rejects = plan.rejects(frame, done.select(plan.reason_inputs(done.columns)), ~keep, checks)
    # The records are filtered one column at a time, and each column of ``done`` is let
    # go as soon as its kept rows are copied (unless the input still holds it): filtering
    # the whole table at once would hold two copies of every column at the peak.
    if bool(keep.all()):
        return PipelineResult(done.select(plan.output).rechunk(), rejects, stats)
    kept: list[pl.DataFrame] = []
    for name in plan.output:
        # A frame operation, not a Series one: a column polars holds as one repeated
        # value (the extractor's source name) stays that way instead of being spelled out.
        # One chunk each: columns chunked unlike each other make every later operation on
        # the table rechunk all of it first (~10 ms a million rows, each time).
        kept.append(done.select(name).filter(keep).rechunk())
        done = done.drop(name)
    del done
    return PipelineResult(pl.concat(kept, how="horizontal"), rejects, stats)


class _Plan:
    """The lazy query of one run, built step by step in the spec's order."""

    def __init__(
        self,
        schema: Mapping[str, pl.DataType],
        roles: FieldRoles,
        validation: ValidationRules,
        user: tuple[Rule, ...],
    ) -> None:
        _check_input(schema, roles, user)
        self.columns = list(schema)
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

    @property
    def output(self) -> tuple[str, ...]:
        """The record columns, in order."""
        return output_columns(self.columns, self.roles, self.user)

    @property
    def cleaned_money(self) -> list[str]:
        """The working columns of the cleaned money (before any user transform)."""
        return [_P + "m_" + f for f in self.money]

    def unchanged(self) -> list[str]:
        """The record columns no rule changes: input columns passed through as read."""
        columns, roles = self.columns, self.roles
        changed = {
            *self.money,
            *self.dates,
            *roles.name_fields(columns),
            *roles.currency_fields(columns),
            roles.impressions,
            *_CALCULATED,
            *(r.field for r in self.user if r.kind == "transform" and r.field is not None),
            *(r.name for r in self.user if r.kind == "calculated"),
        }
        return [c for c in self.output if c in columns and c not in changed]

    def reason_inputs(self, columns: Sequence[str]) -> list[str]:
        """The columns of the finished table that :meth:`reasons` read."""
        fields = [self.roles.revenue, *self.validation.required_fields]
        wanted = [_RULE, *self.cleaned_money, *(f for f in fields if f in columns)]
        return list(dict.fromkeys(wanted))

    def warning_columns(self) -> list[str]:
        """The working columns of the warning flags, in :attr:`warnings` order."""
        return [_warning_column(i) for i in range(len(self.warnings))]

    def start(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The query's input, with the columns the records always have (null if absent)."""
        absent = [c for c in input_defaults(self.roles) if c not in self.columns]
        absent += [
            f for r in self.user if (f := r.field) and f not in self.columns and f not in absent
        ]
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in absent)

    def value_rules(self, lf: pl.LazyFrame, find_duplicates: bool = True) -> pl.LazyFrame:
        """The built-in rules of one raw value, in two parallel steps.

        Money (and impressions) first: finding duplicates needs to know which records
        money kept. The duplicates then run beside the dates, names and currency, so no
        step leaves a core idle waiting on a single rule. The later steps only combine
        these results, in the spec's order.
        """
        columns, roles = self.columns, self.roles
        impressions = [] if self.late_impressions else [self._impressions()]
        lf = lf.with_columns(
            *(clean_money_expr(pl.col(f)).alias(_P + "m_" + f) for f in self.money),
            *impressions,
        )
        money_failed = self._money_failed(pl.col(_P + "m_" + f) for f in self.money)
        # A slice of a longer table comes with its duplicate flags (see duplicates).
        duplicates = [self._duplicate_flags(money_failed)] if find_duplicates else []
        return lf.with_columns(
            money_failed.alias(_MONEY),
            *duplicates,
            *(_whole(parse_date_series, f).alias(_P + "d_" + f) for f in self.dates),
            *(_whole(normalize_name_series, f) for f in roles.name_fields(columns)),
            *(_whole(normalize_currency_series, f) for f in roles.currency_fields(columns)),
        )

    def duplicates(self, frame: pl.LazyFrame) -> pl.Series:
        """The duplicate flag of every row of ``frame``: the one rule that looks across
        rows, so a table processed in slices gets it from the whole table first.

        Only an id seen more than once can make a duplicate. Those rows are found by a
        group count over the ids' 64-bit hashes, which polars runs on every core (a
        collision only adds rows to check), and the rule itself, money cleaning
        included, runs on them alone: every row of such an id is among them, in order.
        (10M rows: 0.5 s instead of 3.5 s for the rule over every row, whose
        first-occurrence pass runs on one core.)
        """
        record_id = pl.col(self.roles.id)
        has_id = record_id.is_not_null() & (record_id != "")
        table = self.start(frame).select(self.roles.id, *self.money).collect()
        key = pl.when(has_id).then(record_id.hash()).alias(_DUP)
        # A lazy query: the same window run eagerly took twice as long (measured).
        repeated = (
            table.lazy().select(key).select(pl.col(_DUP).is_not_null() & (pl.len().over(_DUP) > 1))
        )
        rows = repeated.collect().to_series().arg_true()
        flags = pl.repeat(False, table.height, dtype=pl.Boolean, eager=True).alias(_DUP)
        if rows.len():
            money_failed = self._money_failed(clean_money_expr(pl.col(f)) for f in self.money)
            found = table[rows].select(self._duplicate_flags(money_failed)).to_series()
            flags = flags.scatter(rows, found)
        return flags

    @staticmethod
    def _money_failed(cleaned: Iterable[pl.Expr]) -> pl.Expr:
        """True where any cleaned money value is null (its record is rejected)."""
        return pl.any_horizontal(money.is_null() for money in cleaned)

    def _duplicate_flags(self, money_failed: pl.Expr) -> pl.Expr:
        """Duplicates among the records money kept (spec: dedupe after money)."""
        return is_duplicate_expr(pl.col(self.roles.id), ~money_failed).alias(_DUP)

    def clean(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        """1. Money, then duplicates among the records money kept, then dates."""
        roles = self.roles
        lf = lf.with_columns(
            *(pl.col(_P + "m_" + f).alias(f) for f in self.money),
            (~pl.col(_MONEY) & ~pl.col(_DUP)).alias(_REACHED),
        )
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
        pair = pl.struct(pl.col(self.roles.revenue).alias("r"), impressions.alias("i"))
        rpm = pair.map_batches(_rpm_of_pairs, return_dtype=MONEY_DTYPE, is_elementwise=False)
        lf = lf.with_columns(rpm.alias("rpm"))
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
        # The index of the first check broken, not its name: a small integer column.
        code = pl.UInt8() if len(checks) <= 2**8 else pl.UInt32()
        lf = lf.with_columns(
            _first(
                [(cond, pl.lit(i, dtype=code)) for i, (_, cond) in enumerate(checks)], code
            ).alias(_RULE)
        )
        return lf, [name for name, _ in checks]

    def rejects(
        self, frame: pl.DataFrame, done: pl.DataFrame, rejected: pl.Series, checks: list[str]
    ) -> pl.DataFrame:
        """The rejected rows: their values as read, the rule they broke and why.

        Reason texts are built for these rows only, and each rule's text only for the
        rows that broke it: formatting a message for every row costs more than all the
        checks together.
        """
        raw = frame.filter(rejected)
        rows = done.filter(rejected).with_columns(
            raw.get_column(c).alias(_RAW + c) for c in raw.columns
        )
        codes = rows.get_column(_RULE)
        reason = pl.repeat(None, rows.height, dtype=pl.String, eager=True)
        for name, text in self.reasons(rows.schema).items():
            where = (codes == checks.index(name)).arg_true()
            if where.len():
                # with_columns, not select: a literal text is spread over every row.
                texts = rows[where].with_columns(text.alias(_REASON)).get_column(_REASON)
                reason = reason.scatter(where, texts)
        rule = codes.replace_strict(list(range(len(checks))), checks, return_dtype=pl.String)
        rejects = raw.select(self.columns).with_columns(rule.alias("rule"), reason.alias("reason"))
        return rejects.rechunk()  # aligned chunks (see run_pipeline); these rows are few

    def reasons(self, schema: Mapping[str, pl.DataType]) -> dict[str, pl.Expr]:
        """The reason text of each rule (``schema``: the finished table's)."""
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
        return reasons

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
        *((pl.col(_RULE) == i).sum().alias("rule:" + name) for i, name in enumerate(rule_names)),
    ).row(0, named=True)
    return PipelineStats(
        input_count=counts["input"],
        output_count=counts["output"],
        rejected={name: counts["rule:" + name] for name in rule_names},
        warnings={name: counts[_warning_column(i)] for i, name in enumerate(warnings)},
        clean_count=counts["clean"],
    )
