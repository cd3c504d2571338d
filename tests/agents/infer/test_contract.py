"""``infer_contract`` recovers the types and roles of messy tables generated from known
types, reports what it cannot settle (ambiguous or mixed day/month orders, unparsed
values), and never crashes on odd tables."""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actorflow.agents.infer import PARSE_THRESHOLD, infer_contract
from actorflow.contracts import TableContract
from tests.agents.infer.messy_tables import messy_table, table_contracts


@given(
    declared=table_contracts(),
    rows=st.integers(min_value=20, max_value=80),
    rng=st.randoms(use_true_random=False),
)
def test_inference_recovers_each_fields_type_and_role(
    declared: TableContract, rows: int, rng: random.Random
) -> None:
    frame, columns = messy_table(rng, declared, rows)
    result = infer_contract(frame)
    assert result.contract.names == declared.names
    assert result.rows == rows
    for column in columns:
        want = column.spec
        spec = result.contract.field(want.name)
        report = result.report(want.name)
        assert (spec.type, spec.role) == (want.type, want.role), (want, column.values[:8])
        assert not spec.required
        assert report.unparsed == 0, report
        assert report.present + report.missing == rows
        if want.type in ("decimal", "money"):
            assert spec.scale == want.scale
        found = {f.kind for f in result.findings_of(want.name)}
        if want.type in ("date", "datetime"):
            if column.day_month and column.settled:
                assert spec.date_order == want.date_order
            if column.day_month and not column.settled:
                assert found == {"ambiguous_date_order"}
                assert spec.date_order == "mdy"
            else:
                assert not found
            if not column.day_month:
                assert spec.date_order is None
        elif want.type == "money":
            # the generator marks amounts with $, €, USD, £, EUR or ¥: several mean a warning
            assert set(report.currencies) <= {"$", "€", "USD", "£", "EUR", "¥"}
            several = len(report.currencies) > 1
            assert found == ({"mixed_currencies"} if several else set())
        else:
            assert not found, result.findings_of(want.name)
    assert not result.errors


def _ambiguous(rng: random.Random, rows: int) -> list[str | None]:
    out: list[str | None] = []
    for _ in range(rows):
        a, b = rng.randint(1, 12), rng.randint(1, 12)
        out.append(rng.choice([f"{a:02d}/{b:02d}/2024", f"{a}-{b}-2023", None, ""]))
    out[0] = "05/03/2024"
    return out


@given(
    rows=st.integers(min_value=1, max_value=60),
    order=st.sampled_from([None, "ymd", "mdy", "dmy"]),
    rng=st.randoms(use_true_random=False),
    iso=st.booleans(),
)
def test_an_all_ambiguous_date_column_is_always_reported(
    rows: int, order: str | None, rng: random.Random, iso: bool
) -> None:
    values = _ambiguous(rng, rows)
    day_month = sum(1 for v in values if v)
    if iso:  # year-first dates settle nothing about day-month ones
        values.append("2024-12-31")
    frame = pl.DataFrame({"shipped": pl.Series(values, dtype=pl.String)})
    result = infer_contract(frame, date_order=order)  # type: ignore[arg-type]
    used = "dmy" if order == "dmy" else "mdy"
    (finding,) = result.findings_of("shipped")
    assert (finding.kind, finding.severity, finding.date_order) == (
        "ambiguous_date_order",
        "warning",
        used,
    )
    assert finding.count == day_month
    assert str(day_month) in finding.message
    spec = result.contract.field("shipped")
    assert (spec.type, spec.date_order) == ("date", used)


@given(
    rng=st.randoms(use_true_random=False),
    rows=st.integers(min_value=0, max_value=40),
    name=st.text(min_size=1, max_size=8).filter(lambda s: s.strip() and s.isprintable()),
)
def test_a_column_needing_both_orders_is_an_error_naming_the_field(
    rng: random.Random, rows: int, name: str
) -> None:
    day = rng.randint(13, 28)
    needs_dmy = f"{day}/0{rng.randint(1, 9)}/2024"
    needs_mdy = f"0{rng.randint(1, 9)}/{day}/2024"
    values = [f"{rng.randint(1, 12)}/{rng.randint(1, 12)}/2024" for _ in range(rows)]
    values += [needs_dmy, needs_mdy]
    rng.shuffle(values)
    result = infer_contract(pl.DataFrame({name: values}))
    (error,) = result.errors
    assert (error.field, error.kind) == (name, "mixed_date_order")
    assert needs_dmy in error.examples and needs_mdy in error.examples
    assert needs_dmy in error.message and needs_mdy in error.message
    assert result.contract.field(name).type == "string"


def test_a_declared_order_is_used_only_when_the_values_do_not_settle_it() -> None:
    frame = pl.DataFrame({"a": ["03/05/2024", "04/06/2024"], "b": ["03/05/2024", "25/06/2024"]})
    result = infer_contract(frame, date_order="mdy")
    assert result.contract.field("a").date_order == "mdy"
    assert result.contract.field("b").date_order == "dmy"
    assert [f.field for f in result.findings] == ["a"]


@pytest.mark.parametrize(("junk", "kind"), [(5, "integer"), (6, "category")])
def test_a_type_needs_95_percent_of_the_values_and_the_rest_are_reported(
    junk: int, kind: str
) -> None:
    assert PARSE_THRESHOLD == 0.95
    values = [str(i % 7 + 2) for i in range(100 - junk)] + ["n/a"] * junk
    result = infer_contract(pl.DataFrame({"qty": values}))
    report = result.report("qty")
    assert report.type == kind
    if kind == "integer":
        assert (report.unparsed, report.unparsed_examples) == (junk, ("n/a",))
        (finding,) = result.findings
        assert (finding.kind, finding.count, finding.examples) == ("unparsed_values", 5, ("n/a",))
        assert "5 of 100 values are not an integer" in finding.message
    else:
        assert report.unparsed == 0


def test_the_sales_orders_example() -> None:
    frame = pl.DataFrame(
        {
            "order_id": ["1001", "1002", "1003", "1004", "1005", "1006"],
            "order_date": ["2024-05-03", "05/14/2024", "May 15, 2024", "", "3 Jun 2024", None],
            "customer": ["Acme", "acme ", "Globex", "Globex", "ACME", "Initech"],
            "category": ["Toys", "toys", "Books", "Books", "Toys", "Books"],
            "amount": ["$1,234.50", "€99.00", "(12.00)", "USD 45", " 7.25 ", ""],
            "quantity": ["2", "1", "3", "", "5", "1"],
            "country": ["US", "FR", "DE", "US", "DE", "US"],
        }
    )
    result = infer_contract(frame)
    types = {f.name: (f.type, f.role) for f in result.contract.fields}
    assert types == {
        "order_id": ("id", "id"),
        "order_date": ("date", "time"),
        "customer": ("category", "dimension"),
        "category": ("category", "dimension"),
        "amount": ("money", "measure"),
        "quantity": ("integer", "measure"),
        "country": ("category", "dimension"),
    }
    assert result.contract.key == ("order_id",)
    assert result.contract.field("order_id").unique
    assert result.contract.field("order_date").date_order == "mdy"
    assert result.contract.field("amount").scale == 2
    (finding,) = result.findings
    assert (finding.field, finding.kind) == ("amount", "mixed_currencies")
    assert finding.examples == ("$", "USD", "€")


def test_a_money_column_is_linked_to_the_currency_column() -> None:
    frame = pl.DataFrame({"price": ["$1.50", "2.00 €", "3.25"], "currency": ["USD", "EUR", "EUR"]})
    result = infer_contract(frame)
    price = result.contract.field("price")
    assert (price.type, price.currency) == ("money", "currency")
    assert result.report("price").currencies == ("$", "€")
    assert not result.findings


def test_money_in_several_currencies_without_a_currency_field_is_reported() -> None:
    frame = pl.DataFrame({"total": ["$1.50", "2.00 eur", "USD 3.25", "4.00"]})
    result = infer_contract(frame)
    (finding,) = result.findings
    assert (finding.field, finding.kind, finding.examples) == (
        "total",
        "mixed_currencies",
        ("$", "EUR", "USD"),
    )
    single = infer_contract(pl.DataFrame({"total": ["$1.50", "$2.00", "3.25"]}))
    assert not single.findings


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["1", "0", "1", "0"], "boolean"),
        (["1", "1", "1", "1"], "integer"),
        (["00123", "00456", "00789", "01234"], "id"),
        (["0.1", "2.5e-3", "7"], "number"),
        (["2024-05-03T10:00:00Z", "2024-05-04 09:30", "2024-05-05"], "datetime"),
        (["9:05 PM 2024"], "string"),
    ],
)
def test_edge_values(values: list[str], kind: str) -> None:
    assert infer_contract(pl.DataFrame({"x": values})).contract.field("x").type == kind


def test_an_empty_table_gives_an_empty_contract_and_says_so() -> None:
    result = infer_contract(pl.DataFrame())
    assert result.contract.fields == ()
    assert [f.kind for f in result.findings] == ["empty_table"]
    result = infer_contract(pl.DataFrame({"a": []}, schema={"a": pl.String}))
    assert [(f.name, f.type) for f in result.contract.fields] == [("a", "string")]
    assert [f.kind for f in result.findings] == ["empty_table"]


def test_all_null_columns_are_strings_with_a_warning() -> None:
    frame = pl.DataFrame({"a": [None, None], "b": ["", "  "], "c": ["1", "2"]})
    result = infer_contract(frame)
    assert [f.type for f in result.contract.fields] == ["string", "string", "integer"]
    assert [(f.field, f.kind) for f in result.findings] == [
        ("a", "empty_column"),
        ("b", "empty_column"),
    ]
    assert result.report("b").missing == 2


def test_a_thousand_columns_and_unicode_names() -> None:
    frame = pl.DataFrame({f"colonne_é_{i}_金額": [str(i + 2), str(i + 3), ""] for i in range(1000)})
    result = infer_contract(frame)
    assert len(result.contract.fields) == 1000
    assert {f.type for f in result.contract.fields} == {"integer"}
    assert result.contract.fields[999].name == "colonne_é_999_金額"


def test_unusable_column_names_are_renamed_and_reported() -> None:
    frame = pl.DataFrame({"": ["a"], "tab\there": ["b"], "column_1": ["c"]})
    result = infer_contract(frame)
    assert result.contract.names == ("column_1_", "column_2", "column_1")
    assert [r.column for r in result.fields] == ["", "tab\there", "column_1"]
    assert {f.kind for f in result.findings} == {"renamed_column"}


def test_columns_that_are_not_strings_are_read_as_their_text() -> None:
    frame = pl.DataFrame({"n": [1, 2, 3], "f": [1.5, 2.25, None], "b": [True, False, True]})
    types = [f.type for f in infer_contract(frame).contract.fields]
    assert types == ["integer", "decimal", "boolean"]


def test_nested_columns_are_strings_with_a_warning() -> None:
    frame = pl.DataFrame({"tags": [["a", "b"], ["c"]], "meta": [{"k": 1}, {"k": 2}]})
    result = infer_contract(frame)
    assert [f.type for f in result.contract.fields] == ["string", "string"]
    assert [(f.field, f.kind, f.count) for f in result.findings] == [
        ("tags", "nested_column", 2),
        ("meta", "nested_column", 2),
    ]
    assert (result.report("tags").present, result.report("tags").missing) == (2, 0)


def test_an_unknown_date_order_is_refused() -> None:
    with pytest.raises(ValueError, match="date_order must be one of"):
        infer_contract(pl.DataFrame({"a": ["1"]}), date_order="yolo")  # type: ignore[arg-type]
