"""The whole pipeline in plain Python, one record at a time: the spec, executable.

:func:`run_pipeline_scalar` is what the vectorized :func:`run_pipeline` is tested against.
It is O(n) (a set for duplicates) but slow; use it for small inputs and as a reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from ._calc import compute_rpm, month_year, parse_impressions
from ._config import FieldRoles, ValidationRules
from ._dates import parse_date
from ._dedupe import duplicate_reason, is_duplicate
from ._errors import RuleViolation
from ._filter import check_range, check_required
from ._layout import input_defaults, output_columns
from ._money import clean_money
from ._names import normalize_currency, normalize_name
from ._registry import Rule
from ._stats import (
    BUILTIN_REJECT_RULES,
    PipelineStats,
    not_an_integer_warning,
    unparseable_date_warning,
)

Row = Mapping[str, Any]


class ScalarPipelineResult(NamedTuple):
    """Records kept, records rejected (original values + ``rule`` + ``reason``), stats."""

    records: list[dict[str, Any]]
    rejects: list[dict[str, Any]]
    stats: PipelineStats


class _Run:
    """One scalar run: the configuration and the counters it updates."""

    def __init__(
        self,
        columns: Sequence[str],
        roles: FieldRoles,
        validation: ValidationRules,
        rules: Sequence[Rule],
    ) -> None:
        self.columns = columns
        self.roles = roles
        self.validation = validation
        self.rules = rules
        self.money = roles.money_fields(columns)
        self.dates = roles.date_fields(columns)
        self.names = roles.name_fields(columns)
        self.currency = roles.currency_fields(columns)
        self.outputs = output_columns(columns, roles, rules)
        self.defaults = input_defaults(roles)
        self.seen: set[str] = set()
        self.rejected = dict.fromkeys(
            (*BUILTIN_REJECT_RULES, *(r.name for r in rules if r.kind == "filter")), 0
        )
        self.warnings = dict.fromkeys(
            (
                *(unparseable_date_warning(f) for f in self.dates),
                not_an_integer_warning(roles.impressions),
            ),
            0,
        )
        self.clean = 0

    def process(self, raw: Row) -> dict[str, Any]:
        """Clean one record; raises RuleViolation when it is rejected."""
        record: dict[str, Any] = dict.fromkeys(self.defaults)
        record.update((c, raw.get(c)) for c in self.columns)
        for field in self.money:
            record[field] = clean_money(raw.get(field), field)
        record_id = raw.get(self.roles.id)
        if is_duplicate(record_id, self.seen):
            assert record_id is not None  # a null id is never a duplicate
            raise RuleViolation("duplicate", duplicate_reason(record_id), field=self.roles.id)
        warned = self._dates(record)
        self._normalize(record)
        warned = self._calculate(record) or warned
        self._filter(record)
        self.clean += not warned
        return {c: record.get(c) for c in self.outputs}

    def _dates(self, record: dict[str, Any]) -> bool:
        warned = False
        record["month_year"] = None
        for field in self.dates:
            parsed = parse_date(record[field])
            if parsed is None and record[field] is not None:
                self.warnings[unparseable_date_warning(field)] += 1
                warned = True
            if field == self.roles.date:
                record["month_year"] = month_year(parsed)
            record[field] = parsed if parsed is not None else record[field]
        return warned

    def _normalize(self, record: dict[str, Any]) -> None:
        for field in self.names:
            record[field] = normalize_name(record[field])
        for field in self.currency:
            record[field] = normalize_currency(record[field])
        for rule in self.rules:
            if rule.kind == "transform":
                assert rule.field is not None  # checked when the rule was built
                record[rule.field] = rule.apply(record.get(rule.field))

    def _calculate(self, record: dict[str, Any]) -> bool:
        raw = record[self.roles.impressions]
        impressions = parse_impressions(raw)
        if impressions is None and raw is not None:
            self.warnings[not_an_integer_warning(self.roles.impressions)] += 1
        record[self.roles.impressions] = impressions
        record["rpm"] = compute_rpm(record[self.roles.revenue], impressions)
        for rule in self.rules:
            if rule.kind == "calculated":
                record[rule.name] = rule.apply(_subject(rule, record))
        return impressions is None and raw is not None

    def _filter(self, record: dict[str, Any]) -> None:
        check_required(record, self.validation.required_fields)
        check_range(
            record[self.roles.revenue],
            min_revenue=self.validation.min_revenue,
            max_revenue=self.validation.max_revenue,
            field=self.roles.revenue,
        )
        for rule in self.rules:
            if rule.kind == "filter" and rule.rejects(rule.apply(_subject(rule, record))):
                raise RuleViolation(rule.name, rule.reject_reason, field=rule.field)


def _subject(rule: Rule, record: dict[str, Any]) -> Any:
    return record.get(rule.field) if rule.field is not None else dict(record)


def run_pipeline_scalar(
    rows: Iterable[Row],
    *,
    columns: Sequence[str] | None = None,
    roles: FieldRoles | None = None,
    validation: ValidationRules | None = None,
    rules: Iterable[Rule] = (),
) -> ScalarPipelineResult:
    """Run cleaning, normalization, calculations and filtering on records, one at a time.

    Args:
        rows: records as read: every value a string or None.
        columns: the input columns (default: every key, in order of first appearance).
        roles: which columns get which rule.
        validation: the filtering limits.
        rules: user rules, run after the built-in rules of their step, in order.

    Returns:
        Records kept (input order), rejects (original values plus ``rule`` and
        ``reason``, input order) and the run's stats.
    """
    rows = list(rows)
    if columns is None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
    run = _Run(columns, roles or FieldRoles(), validation or ValidationRules(), tuple(rules))
    records: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    for raw in rows:
        try:
            records.append(run.process(raw))
        except RuleViolation as violation:
            if violation.rule not in run.rejected:
                raise  # raised by a user rule's own code: a bug, not a rejection
            run.rejected[violation.rule] += 1
            rejects.append(
                {
                    **{c: raw.get(c) for c in columns},
                    "rule": violation.rule,
                    "reason": violation.reason,
                }
            )
    stats = PipelineStats(
        input_count=len(rows),
        output_count=len(records),
        rejected=run.rejected,
        warnings=run.warnings,
        clean_count=run.clean,
    )
    return ScalarPipelineResult(records, rejects, stats)
