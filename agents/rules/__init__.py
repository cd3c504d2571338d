"""The rules of the revenue pipeline, twice: pure scalar functions and vectorized polars.

The scalar functions are ``docs/revenue-pipeline.md`` in code, one value or one record at
a time; each has a vectorized twin (``*_expr`` on polars expressions, ``*_series`` on
Series) that property tests prove equal to it. :func:`run_pipeline` runs the whole spec on
a DataFrame, :func:`run_pipeline_scalar` on dicts. Users add their own rules as
:class:`Rule` values in a :class:`RuleSet`; ``actorflow.testing`` checks their two forms
agree.
"""

from ._calc import (
    compute_rpm,
    compute_rpm_expr,
    compute_rpm_series,
    month_year,
    month_year_expr,
    parse_impressions,
    parse_impressions_expr,
    parse_impressions_series,
)
from ._config import FieldRoles, ValidationRules
from ._dates import DATE_FORMATS, parse_date, parse_date_expr, parse_date_series
from ._dedupe import dedupe, duplicate_reason, is_duplicate, is_duplicate_expr
from ._errors import RuleViolation
from ._filter import (
    check_range,
    check_required,
    missing_required_expr,
    out_of_range_expr,
    range_reason_expr,
    required_reason,
    required_reason_expr,
)
from ._money import (
    MONEY_DTYPE,
    clean_money,
    clean_money_expr,
    clean_money_series,
    money_reason_expr,
)
from ._names import (
    normalize_currency,
    normalize_currency_expr,
    normalize_currency_series,
    normalize_name,
    normalize_name_expr,
    normalize_name_series,
)
from ._pipeline import SLICE_ROWS, PipelineResult, duplicate_flags, run_pipeline
from ._reference import ScalarPipelineResult, run_pipeline_scalar
from ._registry import FieldExpr, Rule, RuleKind, RuleSet, ScalarRule
from ._stats import BUILTIN_REJECT_RULES, PipelineStats

__all__ = [
    "BUILTIN_REJECT_RULES",
    "DATE_FORMATS",
    "MONEY_DTYPE",
    "SLICE_ROWS",
    "FieldExpr",
    "FieldRoles",
    "PipelineResult",
    "PipelineStats",
    "Rule",
    "RuleKind",
    "RuleSet",
    "RuleViolation",
    "ScalarPipelineResult",
    "ScalarRule",
    "ValidationRules",
    "check_range",
    "check_required",
    "clean_money",
    "clean_money_expr",
    "clean_money_series",
    "compute_rpm",
    "compute_rpm_expr",
    "compute_rpm_series",
    "dedupe",
    "duplicate_flags",
    "duplicate_reason",
    "is_duplicate",
    "is_duplicate_expr",
    "missing_required_expr",
    "money_reason_expr",
    "month_year",
    "month_year_expr",
    "normalize_currency",
    "normalize_currency_expr",
    "normalize_currency_series",
    "normalize_name",
    "normalize_name_expr",
    "normalize_name_series",
    "out_of_range_expr",
    "parse_date",
    "parse_date_expr",
    "parse_date_series",
    "parse_impressions",
    "parse_impressions_expr",
    "parse_impressions_series",
    "range_reason_expr",
    "required_reason",
    "required_reason_expr",
    "run_pipeline",
    "run_pipeline_scalar",
]
