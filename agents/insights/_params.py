"""An insights stage's params, checked."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from actorflow.contracts import Problem, WorkflowValidationError

#: Dimensions broken down by default, those of them the records have.
DEFAULT_DIMENSIONS = ("source", "podcast_name", "name")
_KEYS = (
    "top_n",
    "dimensions",
    "value_field",
    "period_field",
    "date_field",
    "id_field",
    "outlier_threshold",
    "max_outliers",
    "max_groups",
    "charts",
    "narrate",
    "title",
    "inputs",
    "entity",
    "period",
)
#: Period units of the generic insights; ``auto`` picks one from the dates' span.
PERIOD_UNITS = ("auto", "day", "week", "month", "quarter", "year")


@dataclass(frozen=True, slots=True, kw_only=True)
class InsightsParams:
    """What an insights stage computes.

    Attributes:
        top_n: how many values the top lists and the top chart show.
        dimensions: columns to break revenue down by; None for the default ones present.
        value_field: the money column summed.
        period_field: the period column (``YYYY-MM``).
        date_field: the date a missing period column is taken from (``YYYY-MM-DD``).
        id_field: the record id shown for outliers.
        outlier_threshold: a record is an outlier when its robust z-score's magnitude
            exceeds this.
        max_outliers: outliers listed (all are counted).
        max_groups: values listed per dimension; the rest are added up as ``others``.
        charts: whether to draw the SVG charts.
        narrate: run the narrator (True), never (False), or when one is configured (None).
        title: the Markdown report's title.
        inputs: the dependencies whose records to summarise (None: the processed ones,
            else every one with records).
        entity: generic tables: what one record is, singular (``campaign``); None
            derives it from the contract (see :mod:`actorflow.agents.insights`).
        period: generic tables: the period unit of the time breakdown, one of
            ``PERIOD_UNITS`` (``auto``: month, or week/day for data spanning less than
            two months).
    """

    top_n: int = 5
    dimensions: tuple[str, ...] | None = None
    value_field: str = "revenue"
    period_field: str = "month_year"
    date_field: str = "date"
    id_field: str = "id"
    outlier_threshold: float = 3.5
    max_outliers: int = 10
    max_groups: int = 50
    charts: bool = True
    narrate: bool | None = None
    title: str = "Revenue insights"
    inputs: tuple[str, ...] | None = None
    entity: str | None = None
    period: str = "auto"


def _invalid(stage: str, field: str, message: str) -> WorkflowValidationError:
    return WorkflowValidationError([Problem(message=message, stage=stage, field=f"params.{field}")])


def _whole(value: object, *, stage: str, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _invalid(stage, field, f"must be a whole number from {low} to {high}, got {value!r}")
    return value


def _text(value: object, *, stage: str, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise _invalid(stage, field, f"must be a non-empty string, got {value!r}")
    return value


def _names(value: object, *, stage: str, field: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _invalid(stage, field, f"must be a list of names, got {value!r}")
    return tuple(_text(v, stage=stage, field=field) for v in value)


def _flag(value: object, *, stage: str, field: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid(stage, field, f"must be true or false, got {value!r}")
    return value


def _check_period(params: Mapping[str, Any], *, stage: str) -> None:
    if "period" in params and params["period"] not in PERIOD_UNITS:
        raise _invalid(
            stage, "period", f"must be one of {list(PERIOD_UNITS)}, got {params['period']!r}"
        )


def parse_params(params: Mapping[str, Any], *, stage: str) -> InsightsParams:
    """Check an insights stage's params.

    Raises:
        WorkflowValidationError: an unknown field or a bad value, naming the stage and field.
    """
    unknown = sorted(set(params) - set(_KEYS))
    if unknown:
        raise WorkflowValidationError(
            [
                Problem(
                    message=f"unknown field(s) {unknown}; expected some of {list(_KEYS)}",
                    stage=stage,
                    field="params",
                )
            ]
        )
    values: dict[str, Any] = {}
    if "top_n" in params:
        values["top_n"] = _whole(params["top_n"], stage=stage, field="top_n", low=1, high=100)
    if "max_outliers" in params:
        values["max_outliers"] = _whole(
            params["max_outliers"], stage=stage, field="max_outliers", low=0, high=1000
        )
    if "max_groups" in params:
        values["max_groups"] = _whole(
            params["max_groups"], stage=stage, field="max_groups", low=1, high=10_000
        )
    for field in ("dimensions", "inputs"):
        if field in params:
            values[field] = _names(params[field], stage=stage, field=field)
    _check_period(params, stage=stage)
    for field in (
        "value_field",
        "period_field",
        "date_field",
        "id_field",
        "title",
        "entity",
        "period",
    ):
        if field in params:
            values[field] = _text(params[field], stage=stage, field=field)
    if "outlier_threshold" in params:
        threshold = params["outlier_threshold"]
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not math.isfinite(threshold)
            or threshold <= 0
        ):
            raise _invalid(
                stage, "outlier_threshold", f"must be a positive number, got {threshold!r}"
            )
        values["outlier_threshold"] = float(threshold)
    if "charts" in params:
        values["charts"] = _flag(params["charts"], stage=stage, field="charts")
    if "narrate" in params:
        values["narrate"] = _flag(params["narrate"], stage=stage, field="narrate")
    return InsightsParams(**values)
