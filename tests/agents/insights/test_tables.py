"""Generic insights: any business table, read through the contract its processing used."""

from __future__ import annotations

import datetime
import io
import re
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.console import Console

from actorflow.agents.insights import InsightsParams, summarise
from actorflow.cli._render import print_insights
from actorflow.cli._results import ResultWriter
from actorflow.contracts import (
    DataValidationError,
    FieldSpec,
    Records,
    StageOutcome,
    TableContract,
    freeze,
)
from tests.agents.insights.table_helpers import (
    insight,
    processed,
    processing_output,
    run_insights,
    seed_campaigns,
    seed_customers,
    seed_financial,
    typed_frame,
)

SIX = Decimal("0.000001")
TENTH = Decimal("0.1")


def _share(part: Decimal, whole: Decimal) -> str:
    return str((part * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_EVEN))


FINANCIAL = TableContract(
    fields=[
        FieldSpec(name="date", type="date"),
        FieldSpec(name="revenue", type="money", scale=2, currency="currency"),
        FieldSpec(name="currency", type="category"),
    ]
)
CAMPAIGNS = TableContract(
    fields=[
        FieldSpec(name="name", type="string"),
        FieldSpec(name="impressions", type="integer"),
        FieldSpec(name="clicks", type="integer"),
        FieldSpec(name="spend", type="money", scale=2),
    ]
)
CUSTOMERS = TableContract(
    fields=[
        FieldSpec(name="id", type="id"),
        FieldSpec(name="name", type="string"),
        FieldSpec(name="purchases", type="integer"),
        FieldSpec(name="total_spent", type="money", scale=2),
    ]
)
ORDERS = TableContract(
    fields=[
        FieldSpec(name="order_id", type="id"),
        FieldSpec(name="order_date", type="date"),
        FieldSpec(name="customer", type="string"),
        FieldSpec(name="category", type="category"),
        FieldSpec(name="amount", type="money", scale=2),
        FieldSpec(name="quantity", type="integer"),
        FieldSpec(name="country", type="category"),
    ],
    key=("order_id",),
)


def _campaigns_outcome() -> tuple[pl.DataFrame, StageOutcome]:
    frame = typed_frame(seed_campaigns(), CAMPAIGNS)
    frame = frame.with_columns((pl.col("clicks") / pl.col("impressions")).alias("ctr"))
    return frame, processed(frame, CAMPAIGNS, calculations={"ctr": "clicks / impressions"})


def test_the_seed_financial_example_totals_2701_25() -> None:
    rows = seed_financial()
    assert sum(Decimal(r["revenue"]) for r in rows) == Decimal("2701.25")
    out = run_insights(processed(typed_frame(rows, FINANCIAL), FINANCIAL))
    totals = insight(out, "totals")
    assert totals["data"]["total"] == "2701.25"
    assert totals["sentence"].startswith("Total revenue is 2,701.25 across 2 records")
    assert out["summary"]["measures"]["revenue"]["total"] == "2701.25"
    # Two days of data: the periods are days, and the second is compared with the first.
    assert out["summary"]["period_unit"] == "day"
    change = insight(out, "period_change")["data"]
    assert (change["period"], change["previous"]) == ("2024-01-16", "2024-01-15")
    assert (change["change"], change["change_pct"]) == ("-300.25", "-20.0")


def test_the_seed_campaigns_totals_and_an_overall_ctr_of_1_5_percent() -> None:
    _, outcome = _campaigns_outcome()
    out = run_insights(outcome, {"entity": "campaign"})
    measures = out["summary"]["measures"]
    assert {k: measures[k]["total"] for k in ("impressions", "clicks", "spend")} == {
        "impressions": "18000",
        "clicks": "270",
        "spend": "900.00",
    }
    assert "ctr" not in measures  # a rate is never added up
    ctr = out["summary"]["rates"]["ctr"]
    assert (ctr["value"], ctr["percent"]) == ("0.015000", "1.5")
    assert ctr["inputs"] == {"clicks": "270", "impressions": "18000"}
    assert insight(out, "totals")["sentence"].startswith("Total spend is 900.00 across 2 campaigns")
    assert "Overall ctr is 1.5%" in insight(out, "rate_ctr")["sentence"]


def test_the_seed_customers_totals() -> None:
    rows = seed_customers()
    out = run_insights(processed(typed_frame(rows, CUSTOMERS), CUSTOMERS))
    measures = out["summary"]["measures"]
    assert measures["purchases"]["total"] == "8"
    assert measures["total_spent"]["total"] == "430.75"
    assert out["summary"]["main_measure"] == "total_spent"  # money comes first
    assert "id" not in measures  # an id is not a measure


ORDER_ROWS = [
    # order_id, date, customer, category, amount, quantity, country
    ("o1", "2024-01-03", "Ann", "Electronics", "1200.00", 1, "FR"),
    ("o2", "2024-01-15", "Bob", "Books", "35.50", 2, "DE"),
    ("o3", "2024-02-01", "Cid", "Electronics", "799.99", 1, "FR"),
    ("o4", "2024-02-11", "Dee", "Garden", "150.25", 3, "ES"),
    ("o5", "2024-02-20", "Ann", "Books", "12.75", 1, "FR"),
    ("o6", "2024-03-02", "Eve", "Toys", "60.00", 4, "DE"),
    ("o7", "2024-03-09", "Bob", "Garden", "310.10", 2, "DE"),
    ("o8", "2024-03-30", "Fay", "Electronics", "99.01", 1, "ES"),
    ("o9", "2024-04-04", "Gus", "Toys", "45.45", 3, "FR"),
]


def _orders() -> pl.DataFrame:
    keys = ["order_id", "order_date", "customer", "category", "amount", "quantity", "country"]
    return typed_frame([dict(zip(keys, r, strict=True)) for r in ORDER_ROWS], ORDERS)


def test_a_sales_orders_table_gives_its_top_category_and_shares() -> None:
    out = run_insights(processed(_orders(), ORDERS), {"top_n": 3})
    total = sum(Decimal(r[4]) for r in ORDER_ROWS)
    by_category: dict[str, Decimal] = {}
    for r in ORDER_ROWS:
        by_category[r[3]] = by_category.get(r[3], Decimal(0)) + Decimal(r[4])
    ranked = sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))
    expected, rest = ranked[:3], ranked[3:]
    top = insight(out, "top_category")
    assert [(g["value"], g["amount"], g["share_pct"]) for g in top["data"]["groups"]] == [
        (name, str(amount), _share(amount, total)) for name, amount in expected
    ]
    assert top["sentence"].startswith(f"The top 3 category values by amount are {expected[0][0]}")
    assert insight(out, "totals")["sentence"].startswith(
        f"Total amount is {total:,} across 9 orders"
    )
    # The fourth category is added up as "others" in the report's table.
    ((_, rest_amount),) = rest
    others = f"|  | 1 others | {rest_amount} | 2 | {_share(rest_amount, total)}% |"
    assert others in out["markdown"]
    assert set(out["summary"]["dimensions"]) == {"category", "country"}  # not the customers
    assert "top_category.svg" in out["charts"]
    assert "amount_by_month.svg" in out["charts"]


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["north", "south", "east"]),
            st.integers(0, 500),
            st.integers(1, 5000),
        ),
        min_size=1,
        max_size=30,
    )
)
@example(rows=[("north", 1, 10), ("north", 50, 100), ("south", 3, 7)])
def test_a_rate_at_total_level_is_a_ratio_of_sums(rows: list[tuple[str, int, int]]) -> None:
    contract = TableContract(
        fields=[
            FieldSpec(name="region", type="category"),
            FieldSpec(name="clicks", type="integer"),
            FieldSpec(name="impressions", type="integer"),
        ]
    )
    frame = typed_frame(
        [{"region": g, "clicks": c, "impressions": i} for g, c, i in rows], contract
    ).with_columns((pl.col("clicks") / pl.col("impressions")).alias("ctr"))
    outcome = processed(frame, contract, calculations={"ctr": "clicks / impressions"})
    rate = run_insights(outcome, {"charts": False})["summary"]["rates"]["ctr"]

    def ratio(part: list[tuple[str, int, int]]) -> Decimal:
        return Decimal(sum(c for _, c, _ in part)) / Decimal(sum(i for _, _, i in part))

    exact = ratio(rows).quantize(SIX, rounding=ROUND_HALF_EVEN)
    assert rate["value"] == str(exact)
    mean = (sum(Decimal(c) / Decimal(i) for _, c, i in rows) / len(rows)).quantize(SIX)
    if mean != exact:
        assert rate["value"] != str(mean)
    assert rate["by"]["dimension"] == "region"
    for entry in rate["by"]["values"]:
        group = [r for r in rows if r[0] == entry["group"]]
        assert entry["value"] == str(ratio(group).quantize(SIX, rounding=ROUND_HALF_EVEN))


SERIES = TableContract(
    fields=[FieldSpec(name="day", type="date"), FieldSpec(name="amount", type="money")]
)


def _series(points: list[tuple[str, str]]) -> pl.DataFrame:
    return typed_frame([{"day": d, "amount": a} for d, a in points], SERIES)


def test_period_over_period_change_on_a_known_series() -> None:
    frame = _series(
        [("2024-01-05", "100.00"), ("2024-02-05", "150.00"), ("2024-03-01", "60.00"),
         ("2024-03-31", "60.00"), ("2024-05-02", "240.00")]
    )  # fmt: skip
    out = run_insights(processed(frame, SERIES))
    assert out["summary"]["period_unit"] == "month"
    periods = [
        (p["period"], p["value"], p["previous"], p["change"], p["change_pct"])
        for p in out["summary"]["periods"]
    ]
    assert periods == [
        ("2024-01", "100.00", None, None, None),
        ("2024-02", "150.00", "2024-01", "50.00", "50.0"),
        ("2024-03", "120.00", "2024-02", "-30.00", "-20.0"),
        ("2024-05", "240.00", "2024-03", "120.00", "100.0"),  # April has no records
    ]
    assert insight(out, "period_change")["sentence"] == (
        "In 2024-05, amount was 240.00, up 100.0% (120.00) from 2024-03 (120.00)."
    )
    assert insight(out, "best_period")["data"]["period"] == "2024-05"
    assert "amount_by_month.svg" in out["charts"]


def test_data_spanning_under_two_months_is_by_week_and_the_unit_can_be_set() -> None:
    frame = _series([("2024-01-01", "1.00"), ("2024-01-08", "2.00"), ("2024-01-21", "4.00")])
    weekly = run_insights(processed(frame, SERIES))["summary"]
    assert weekly["period_unit"] == "week"
    assert [p["period"] for p in weekly["periods"]] == ["2024-W01", "2024-W02", "2024-W03"]
    quarterly = run_insights(processed(frame, SERIES), {"period": "quarter"})["summary"]
    assert [(p["period"], p["value"]) for p in quarterly["periods"]] == [("2024-Q1", "7.00")]


def test_sentences_titles_and_charts_use_the_tables_own_field_names() -> None:
    contract = TableContract(
        fields=[
            FieldSpec(name="booking_id", type="id"),
            FieldSpec(name="gross_bookings", type="money"),
            FieldSpec(name="region", type="category"),
        ]
    )
    rows = [
        {"booking_id": f"b{i}", "gross_bookings": f"{10 * (i + 1)}.00", "region": r}
        for i, r in enumerate(["west", "east", "west", "north"])
    ]
    out = run_insights(processed(typed_frame(rows, contract), contract))
    assert insight(out, "totals")["sentence"] == (
        "Total gross_bookings is 100.00 across 4 bookings (25.00 per booking on average)."
    )
    assert insight(out, "top_region")["title"] == "Top region by gross_bookings"
    assert "Top 3 region values by gross_bookings" in out["charts"]["top_region.svg"]
    assert "## gross_bookings by region" in out["markdown"]
    words = " ".join(i["sentence"] for i in out["insights"]) + out["markdown"]
    assert "revenue" not in words.lower()
    assert "podcast" not in words.lower()


def test_an_empty_table_is_a_clear_result() -> None:
    out = run_insights(processed(_orders().head(0), ORDERS))
    assert out["insights"][0]["sentence"] == "There are no orders to summarise."
    assert out["summary"]["record_count"] == 0
    assert out["charts"] == {}


def test_a_table_of_one_column_is_broken_down_by_records() -> None:
    contract = TableContract(fields=[FieldSpec(name="category", type="category")])
    frame = typed_frame([{"category": c} for c in ["a", "b", "a", "a"]], contract)
    out = run_insights(processed(frame, contract))
    assert insight(out, "totals")["sentence"] == (
        "There are 4 records; the table has no measure to add up."
    )
    groups = insight(out, "top_category")["data"]["groups"]
    assert [(g["value"], g["count"], g["share_pct"]) for g in groups] == [
        ("a", 3, "75.0"),
        ("b", 1, "25.0"),
    ]


def test_an_all_null_measure_is_reported_not_a_crash() -> None:
    contract = TableContract(
        fields=[FieldSpec(name="region", type="category"), FieldSpec(name="amount", type="money")]
    )
    frame = typed_frame([{"region": "x", "amount": None}] * 3, contract)
    out = run_insights(processed(frame, contract))
    assert insight(out, "totals")["sentence"] == "3 records and no amount value among them."
    assert out["summary"]["measures"]["amount"] == {
        "kind": "decimal", "money": True, "total": "0.00", "average": None,
        "count": 0, "missing": 3,
    }  # fmt: skip
    assert insight(out, "outliers")["data"]["count"] == 0


def test_a_thousand_columns() -> None:
    contract = TableContract(
        fields=[
            FieldSpec(name="segment", type="category"),
            *(FieldSpec(name=f"m{i}", type="money") for i in range(1000)),
        ]
    )
    rows = [
        {"segment": "s" + str(r % 3), **{f"m{i}": f"{r}.{i % 100:02d}" for i in range(1000)}}
        for r in range(20)
    ]
    out = run_insights(processed(typed_frame(rows, contract), contract), {"charts": False})
    measures = out["summary"]["measures"]
    assert len(measures) == 1000
    for i in (0, 517, 999):
        expected = sum(Decimal(row[f"m{i}"]) for row in rows)
        assert measures[f"m{i}"]["total"] == str(expected)
    assert insight(out, "measures")["sentence"].endswith("and 991 more measures.")


def test_data_quality_comes_from_the_processing_output() -> None:
    outcome = processed(
        _orders(),
        ORDERS,
        rejected=1,
        field_quality={"amount": {"missing": 1, "unparsed": 2, "action": "rejected"}},
        findings=[{"field": "order_date", "kind": "ambiguous_date", "severity": "warning",
                   "message": "all values ambiguous; read as mdy", "count": 9,
                   "examples": [], "date_order": "mdy"}],
    )  # fmt: skip
    quality = insight(run_insights(outcome), "data_quality")
    assert quality["sentence"] == (
        "Processing kept 9 of 10 orders (90.0%), 1 rejected; quality score 1.00; fields with "
        "gaps: amount 1 missing, 2 unparsed (rejected); 1 finding reported."
    )
    assert quality["data"]["findings"][0]["field"] == "order_date"


def test_the_cli_writes_the_generic_markdown_and_every_chart_it_links(tmp_path: Path) -> None:
    out = run_insights(processed(_orders(), ORDERS))
    writer = ResultWriter(tmp_path)
    writer.write_stage("insights", out)
    markdown = (tmp_path / "insights.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert sorted(links) == ["amount_by_month.svg", "top_category.svg"]
    for name in links:
        assert (tmp_path / name).read_text(encoding="utf-8").lstrip().startswith("<?xml")
    console = Console(file=io.StringIO(), force_terminal=False, width=200)
    assert print_insights(console, {"insights": out})
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Total amount is 2,713.05 across 9 orders" in printed
    assert "charts: top_category.svg, amount_by_month.svg" in printed


def test_records_without_a_contract_keep_the_revenue_report() -> None:
    frame = pl.DataFrame(
        {"podcast_name": ["a"], "revenue": [Decimal("1.00")], "date": ["2024-01-02"]},
        schema={"podcast_name": pl.String, "revenue": pl.Decimal(38, 2), "date": pl.String},
    )
    outcome = StageOutcome(
        stage="process",
        agent="processor",
        status="succeeded",
        output=freeze({"records": Records(frame)}),
    )
    out = run_insights(outcome)
    assert out["summary"]["total_revenue"] == "1.00"
    assert "revenue_by_month.svg" in out["charts"]


def test_a_datetime_time_field_is_grouped_by_its_dates() -> None:
    contract = TableContract(
        fields=[FieldSpec(name="at", type="datetime"), FieldSpec(name="n", type="integer")]
    )
    frame = pl.DataFrame(
        {"at": [datetime.datetime(2024, 1, 1, 23, 59), datetime.datetime(2024, 1, 2, 0, 1)],
         "n": [1, 2]}
    )  # fmt: skip
    out = run_insights(processed(frame, contract))
    assert [(p["period"], p["value"]) for p in out["summary"]["periods"]] == [
        ("2024-01-01", "1"),
        ("2024-01-02", "2"),
    ]


def test_a_params_value_field_that_is_not_a_measure_is_a_clear_error() -> None:
    with pytest.raises(DataValidationError, match=r"params.value_field 'revenue'.*amount"):
        run_insights(processed(_orders(), ORDERS), {"value_field": "revenue"})


def test_outliers_of_an_integer_measure_keep_its_own_units() -> None:
    contract = TableContract(
        fields=(FieldSpec(name="ticket", type="id"), FieldSpec(name="minutes", type="integer"))
    )
    values = [10, 11, 12, 10, 11, 500]
    frame = typed_frame([{"ticket": f"t{i}", "minutes": v} for i, v in enumerate(values)], contract)
    outliers = insight(run_insights(processed(frame, contract)), "outliers")
    assert outliers["data"]["count"] == 1
    (row,) = outliers["data"]["records"]
    assert (row["id"], row["value"]) == ("t5", "500")
    assert "around a median of 11" in outliers["sentence"]  # median of 10,10,11,11,12,500


def test_derived_amounts_add_up_and_derived_numbers_do_not() -> None:
    contract = TableContract(
        fields=(
            FieldSpec(name="day", type="date"),
            FieldSpec(name="revenue", type="money"),
            FieldSpec(name="cost", type="money"),
            FieldSpec(name="month", type="integer"),  # derived, listed by the processing
        )
    )
    rows = [
        {"day": "2024-01-02", "revenue": "10.00", "cost": "4.50", "month": 1},
        {"day": "2024-02-03", "revenue": "20.00", "cost": "5.25", "month": 2},
    ]
    frame = typed_frame(rows, contract).with_columns(
        (pl.col("revenue") - pl.col("cost")).alias("margin")
    )
    outcome = processed(
        frame, contract, calculations={"margin": "revenue - cost", "month": "month(day)"}
    )
    measures = run_insights(outcome, {"charts": False})["summary"]["measures"]
    assert measures["margin"]["total"] == "20.25"
    assert "month" not in measures
    assert list(measures) == ["revenue", "cost", "margin"]


def test_a_number_measure_and_unicode_field_names(tmp_path: Path) -> None:
    contract = TableContract(
        fields=(
            FieldSpec(name="Région", type="category"),
            FieldSpec(name="durée (h)", type="number"),
        )
    )
    rows = [{"Région": r, "durée (h)": h} for r, h in [("Île", 1.5), ("Nord", 2.25), ("Île", 3)]]
    out = run_insights(processed(typed_frame(rows, contract), contract))
    assert out["summary"]["measures"]["durée (h)"]["total"] == "6.75"
    assert insight(out, "totals")["sentence"].startswith("Total durée (h) is 6.75 across 3")
    assert set(out["charts"]) == {"top_R_gion.svg"}
    ResultWriter(tmp_path).write_stage("insights", out)
    markdown = (tmp_path / "insights.md").read_text(encoding="utf-8")
    for name in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown):
        assert (tmp_path / name).is_file()


def test_a_table_without_measures_counts_records_by_period() -> None:
    contract = TableContract(fields=(FieldSpec(name="seen", type="date"),))
    days = ["2024-01-01", "2024-03-01", "2024-03-02", "2024-04-30"]
    out = run_insights(processed(typed_frame([{"seen": d} for d in days], contract), contract))
    assert [(p["period"], p["value"]) for p in out["summary"]["periods"]] == [
        ("2024-01", "1"), ("2024-03", "2"), ("2024-04", "1"),
    ]  # fmt: skip
    assert insight(out, "period_change")["sentence"] == (
        "In 2024-04, the number of records was 1, down 50.0% (1) from 2024-03 (2)."
    )
    assert "records_by_month.svg" in out["charts"]


def test_summarise_gives_the_generic_report_without_a_runtime() -> None:
    output = processing_output(_orders(), ORDERS)
    records = output.pop("records")
    found = summarise(records, processing={"process": output}, params=InsightsParams(top_n=2))
    by_agent = run_insights(processed(_orders(), ORDERS), {"top_n": 2})
    assert found["summary"] == by_agent["summary"]
    assert found["markdown"] == by_agent["markdown"]
    assert len(insight(found, "top_category")["data"]["groups"]) == 2


def test_a_dimension_of_one_value_gives_way_to_those_that_break_the_table_down() -> None:
    # The extractor's source label is one value for a one-source extract: no breakdown.
    contract = TableContract(
        fields=[*ORDERS.fields, FieldSpec(name="source", type="category")], key=("order_id",)
    )
    frame = _orders().with_columns(source=pl.lit("sales"))
    out = run_insights(processed(frame, contract), {"top_n": 3})
    assert "source" not in out["summary"]["dimensions"]
    assert set(out["summary"]["dimensions"]) == {"category", "country"}


def test_a_measure_named_with_a_vowel_takes_an() -> None:
    frame = _orders().with_columns(
        amount=pl.when(pl.col("order_id") == "o1").then(None).otherwise(pl.col("amount"))
    )
    sentence = insight(run_insights(processed(frame, ORDERS)), "totals")["sentence"]
    assert "1 order without an amount" in sentence
