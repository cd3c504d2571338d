"""The rule that picks the revenue pipeline or the contract-driven path."""

from __future__ import annotations

from typing import Any

import pytest

from actorflow.agents.processing._switch import choose_pipeline

REVENUE_COLUMNS = ("id", "podcast_name", "revenue", "date")
SALES_COLUMNS = ("order_id", "amount", "revenue", "date")


@pytest.mark.parametrize(
    ("params", "run_input", "columns", "expected"),
    [
        ({}, {}, SALES_COLUMNS, "contract"),
        ({}, {}, ("date", "revenue", "currency"), "contract"),  # the seed's financial data
        ({}, {}, REVENUE_COLUMNS, "revenue"),
        ({"contract": {"fields": []}}, {}, REVENUE_COLUMNS, "contract"),
        ({"calculations": {"x": "1"}}, {"validation_rules": {"min_revenue": 1}}, (), "contract"),
        ({"roles": {}}, {}, SALES_COLUMNS, "revenue"),
        ({"rules": ["mine"]}, {}, SALES_COLUMNS, "revenue"),
        ({}, {"validation_rules": {"max_revenue": 10}}, SALES_COLUMNS, "revenue"),
        ({"validation_rules": {"min_revenue": 0.01}}, {}, SALES_COLUMNS, "revenue"),
        ({}, {"validation_rules": {"required_fields": ["amount"]}}, SALES_COLUMNS, "contract"),
        ({}, {"processing_month": "2024-03"}, SALES_COLUMNS, "contract"),
    ],
)
def test_one_rule_chooses_the_pipeline(
    params: dict[str, Any], run_input: dict[str, Any], columns: tuple[str, ...], expected: str
) -> None:
    assert choose_pipeline(params, run_input, columns) == expected
