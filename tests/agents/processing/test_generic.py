"""The contract-driven path: any table, its contract declared or inferred."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from actorflow.contracts import DataValidationError, WorkflowValidationError
from tests.agents.processing.generic_helpers import process_table, strings

FINANCIAL = [
    {"date": "2024-01-15", "revenue": "1500.75", "currency": "USD"},
    {"date": "2024-01-16", "revenue": "1200.50", "currency": "USD"},
]
CAMPAIGNS = [
    {"name": "Campaign A", "impressions": 10000, "clicks": 150, "spend": 500},
    {"name": "Campaign B", "impressions": 8000, "clicks": 120, "spend": 400},
]
CUSTOMERS = [
    {"id": 1, "name": "John Doe", "purchases": 5, "total_spent": 250.50},
    {"id": 2, "name": "Jane Smith", "purchases": 3, "total_spent": 180.25},
]


def accounted(out: dict[str, Any], rows: int) -> None:
    assert len(out["records"]) + len(out["rejects"]) == rows
    assert out["quality_metrics"]["records_in"] == rows


def test_the_seeds_financial_example_keeps_every_record_typed() -> None:
    out = process_table(strings(FINANCIAL), task="Process and analyze financial revenue data")
    accounted(out, 2)
    frame = out["records"].frame
    assert len(out["rejects"]) == 0
    assert out["contract_source"] == "inferred"
    assert frame.schema["revenue"] == pl.Decimal(38, 2)
    assert frame.schema["date"] == pl.Date
    assert frame["revenue"].sum() == Decimal("2701.25")
    assert frame["date"].to_list() == [datetime.date(2024, 1, 15), datetime.date(2024, 1, 16)]
    metrics = out["quality_metrics"]
    assert metrics["data_retention_rate"] == 1.0
    assert metrics["processing_efficiency"] == 1.0
    # Records remain and are consistent; no id or label field: 2 of the seed's 3 checks.
    assert metrics["quality_score"] == pytest.approx(2 / 3)
    assert "[[stages.params.contract.fields]]" in out["contract_toml"]


def test_the_seeds_campaigns_get_their_performance_metrics() -> None:
    out = process_table(strings(CAMPAIGNS), task="Analyze marketing campaign performance")
    accounted(out, 2)
    frame = out["records"].frame
    assert len(out["rejects"]) == 0
    assert frame["impressions"].sum() == 18000
    assert frame["clicks"].sum() == 270
    assert frame["spend"].sum() == 900
    assert set(out["calculations"]) == {"ctr", "cpc", "cpm"}
    assert out["calculations"]["ctr"]["expression"] == "clicks / impressions"
    assert frame["ctr"].to_list() == [Decimal("0.015"), Decimal("0.015")]
    assert frame["cpc"].to_list() == [Decimal("3.33"), Decimal("3.33")]
    assert out["quality_metrics"]["quality_score"] == 1.0  # a label field: the seed's "name"


def test_metrics_are_not_added_when_the_task_does_not_ask_for_them() -> None:
    out = process_table(strings(CAMPAIGNS), task="Look at the campaigns")
    assert out["calculations"] == {}
    assert "ctr" not in out["records"].columns


def test_the_seeds_customers_keep_exact_money_and_whole_counts() -> None:
    out = process_table(strings(CUSTOMERS), task="Process customer data and generate insights")
    accounted(out, 2)
    frame = out["records"].frame
    assert len(out["rejects"]) == 0
    assert frame.schema["purchases"] == pl.Int64
    assert frame["purchases"].sum() == 8
    assert frame["total_spent"].sum() == Decimal("430.75")
    assert not any(dtype.is_float() for dtype in frame.schema.values())


def sales_orders() -> tuple[pl.DataFrame, dict[str, Any]]:
    """A messy sales table and what a careful person would make of it."""
    spellings = {
        "Home Goods": [" Home  Goods", "home goods", "HOME GOODS", "Home Goods"],
        "Toys": ["toys", "Toys ", "TOYS"],
        "Books": ["Books", "books"],
    }
    amounts = ["$1,234.50", "12.5", " 99.99 ", "€2,000", "", None, "1,000.05", "(5.00)"]
    rows: list[dict[str, Any]] = []
    expected_total = Decimal(0)
    by_category: Counter[str] = Counter()
    no_amount = []
    n = 0
    for category, variants in spellings.items():
        for variant in variants:
            for amount in amounts:
                n += 1
                order = f"ORD-{n:04d}"
                rows.append(
                    {
                        "order_id": order,
                        "order_date": f"2024-03-{1 + n % 28:02d}",
                        "customer": f"customer {n % 7}",
                        "category": variant,
                        "amount": amount,
                        "quantity": str(1 + n % 3),
                        "country": ["US", "DE", "FR"][n % 3],
                    }
                )
                if amount is None or not amount.strip():
                    no_amount.append(order)
                    continue
                text = amount.strip().replace("$", "").replace("€", "").replace(",", "")
                value = -Decimal(text[1:-1]) if text.startswith("(") else Decimal(text)
                value = value.quantize(Decimal("0.01"), rounding="ROUND_HALF_EVEN")
                expected_total += value
                by_category[category] += 1
    rows.append(dict(rows[0]))  # an order sent twice
    frame = strings(rows)
    return frame, {
        "total": expected_total,
        "top": max(spellings, key=lambda c: len(spellings[c])),
        "no_amount": no_amount,
        "rows": len(rows),
    }


def test_a_messy_sales_table_gives_its_exact_total_and_top_category() -> None:
    frame, expected = sales_orders()
    out = process_table(frame, task="Clean and analyze the sales orders, revenue by category")
    accounted(out, expected["rows"])
    records = out["records"].frame
    assert list(out["contract"]["key"]) == ["order_id"]
    assert records.schema["amount"] == pl.Decimal(38, 2)
    assert records["amount"].sum() == expected["total"]
    counts = records.group_by("category").len().sort("len", descending=True)
    assert counts["category"][0] == "Home Goods"  # the most frequent spelling of its group
    # Home Goods: two variants collapse to it, the most rows; toys: a tie of three
    # spellings, the first seen wins.
    assert set(records["category"]) == {"Home Goods", "toys", "Books"}
    # Every order without an amount is accounted for: kept, its amount missing.
    missing = records.filter(pl.col("amount").is_null())["order_id"].to_list()
    assert sorted(missing) == sorted(expected["no_amount"])
    assert out["field_quality"]["amount"]["missing"] == len(expected["no_amount"])
    rejects = out["rejects"].frame
    assert rejects["rule"].to_list() == ["duplicate"]
    assert "order_id" in rejects["reason"][0]


def test_a_declared_contract_rejects_with_the_rule_field_and_value() -> None:
    contract = {
        "key": ["order_id"],
        "fields": [
            {"name": "order_id", "type": "id", "required": True, "aliases": ["Order ID"]},
            {"name": "amount", "type": "money", "required": True, "min": 0},
            {"name": "status", "type": "category", "allowed": ["open", "paid"]},
            {"name": "note", "type": "integer"},
        ],
    }
    frame = strings(
        [
            {"Order ID": "A1", "amount": "10.005", "status": "open", "note": "1"},
            {"Order ID": "A2", "amount": "lots", "status": "open", "note": "2"},
            {"Order ID": "A3", "amount": "-1", "status": "paid", "note": "x"},
            {"Order ID": "A4", "amount": "3", "status": "lost", "note": ""},
            {"Order ID": None, "amount": "3", "status": "paid", "note": ""},
            {"Order ID": "A1", "amount": "7", "status": "paid", "note": "y"},
        ]
    )
    out = process_table(frame, task="clean and filter", params={"contract": contract})
    accounted(out, 6)
    assert out["contract_source"] == "declared"
    records = out["records"].frame
    assert records["order_id"].to_list() == ["A1"]
    assert records["amount"].to_list() == [Decimal("10.00")]  # half-even
    rejects = {r["Order ID"]: (r["rule"], r["reason"]) for r in out["rejects"].frame.to_dicts()}
    assert rejects["A2"] == ("type", "field 'amount': 'lots' is not a money value")
    assert rejects["A3"][0] == "range" and "'-1'" in rejects["A3"][1]
    assert rejects["A4"][0] == "allowed" and "'lost'" in rejects["A4"][1]
    assert rejects[None] == ("required", "missing required field 'order_id'")
    assert out["field_quality"]["note"] == {"missing": 2, "unparsed": 2, "action": "kept as null"}
    assert out["field_quality"]["amount"]["action"] == "rejected"
    warnings = [(w["field"], w["count"]) for w in out["stats"]["warnings"]]
    assert warnings == [("note", 2)]
    assert out["quality_metrics"]["data_retention_rate"] == pytest.approx(1 / 6)


def test_a_missing_required_column_is_one_stage_error_naming_it_and_the_columns() -> None:
    contract = {"fields": [{"name": "amount", "type": "money", "required": True}]}
    with pytest.raises(DataValidationError) as error:
        process_table(strings([{"total": "1"}]), params={"contract": contract})
    assert "'amount'" in str(error.value)
    assert "['total']" in str(error.value)


def test_declared_calculations_are_checked_before_the_run_and_applied() -> None:
    contract = {
        "fields": [
            {"name": "clicks", "type": "integer"},
            {"name": "impressions", "type": "integer"},
        ]
    }
    bad = {"contract": contract, "calculations": {"ctr": "clicks / views"}}
    with pytest.raises(WorkflowValidationError, match=r"params\.calculations\.ctr"):
        process_table(strings([{"clicks": "1", "impressions": "2"}]), params=bad)
    good = {
        "contract": contract,
        "calculations": {"ctr": {"expr": "clicks / impressions", "scale": 3}},
    }
    out = process_table(
        strings([{"clicks": "1", "impressions": "3"}, {"clicks": "1", "impressions": "0"}]),
        params=good,
    )
    assert out["records"].frame["ctr"].to_list() == [Decimal("0.333"), None]
    assert out["calculations"]["ctr"]["division_by_zero"] == 1
    assert [f["kind"] for f in out["findings"]] == ["division_by_zero"]
    assert out["quality_metrics"]["processing_efficiency"] == 0.5


def test_calculations_that_do_not_fit_an_inferred_contract_fail_the_stage_clearly() -> None:
    with pytest.raises(DataValidationError, match=r"inferred contract.*ctr"):
        process_table(
            strings([{"clicks": "a", "impressions": "b"}]),
            params={"calculations": {"ctr": "clicks / impressions"}},
        )


def test_a_table_without_revenue_configuration_is_processed_by_its_contract() -> None:
    out = process_table(strings([{"id": "1", "amount": "2"}]), task="clean")
    assert out["contract_source"] == "inferred"
    assert len(out["records"]) == 1


@pytest.mark.parametrize(
    "frame",
    [
        pl.DataFrame(),
        pl.DataFrame({"only": ["a", "b", "a"]}),
        pl.DataFrame(
            {"a": [None, None], "b": [None, None]}, schema={"a": pl.String, "b": pl.String}
        ),
        pl.DataFrame({f"c{i}": [str(i), "x"] for i in range(1000)}),
        pl.DataFrame({"größe": ["1", "2"], "名前": ["甲", "乙"], "montant €": ["€1", "€2"]}),
    ],
    ids=["empty", "one-column", "all-null", "1000-columns", "unicode"],
)
def test_awkward_tables_give_clear_results(frame: pl.DataFrame) -> None:
    out = process_table(frame, task="clean, normalize, calculate metrics and filter")
    accounted(out, frame.height)
    assert len(out["records"]) == frame.height
    assert set(out["field_quality"]) == set(out["records"].columns)


def test_a_declared_contract_of_1000_required_fields_rejects_by_the_first_broken_rule() -> None:
    frame = pl.DataFrame({f"c{i}": [str(i), "", "x"] for i in range(1000)})
    fields = [{"name": f"c{i}", "type": "integer", "required": True} for i in range(1000)]
    out = process_table(frame, task="clean", params={"contract": {"fields": fields}})
    accounted(out, 3)
    assert out["records"].frame.row(0) == tuple(range(1000))
    assert out["rejects"].frame.select("rule", "reason").rows() == [
        ("required", "missing required field 'c0'"),
        ("type", "field 'c0': 'x' is not an integer value"),
    ]


def test_columns_that_are_not_text_are_read_as_text_except_floats() -> None:
    frame = pl.DataFrame(
        {"n": [1, 2], "ok": [True, False], "tags": [["a"], ["b", "c"]], "meta": [{"k": 1}, None]}
    )
    out = process_table(frame, task="clean")
    records = out["records"].frame
    assert records["n"].to_list() == [1, 2]
    assert records.schema["n"] == pl.Int64
    assert records["tags"].to_list() == ['["a"]', '["b", "c"]']
    assert len(out["rejects"]) == 0
    with pytest.raises(DataValidationError, match=r"'price' in the records of 'load' is Float64"):
        process_table(pl.DataFrame({"price": [1.5]}), task="clean")
