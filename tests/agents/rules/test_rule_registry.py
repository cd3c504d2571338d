"""User rules: the Rule value, the RuleSet registry, and checking a rule's two forms."""

from __future__ import annotations

import importlib
import sys
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import strategies as st

from actorflow.agents.rules import Rule, RuleSet
from actorflow.testing import assert_rule_agrees, messy_records, names, optional


def _strip_or_none(value: str | None) -> str | None:
    return None if value is None else value.strip()


def test_rule_set_registers_and_finds_rules_by_name_in_order() -> None:
    rules = RuleSet()
    trim = rules.add(
        Rule.transform(
            "trim", field="id", scalar=_strip_or_none, vectorized=lambda e: e.str.strip_chars()
        )
    )

    @rules.calculated("net", vectorized=pl.col("revenue") - pl.col("fee_amount"))
    def net(record: dict[str, Any]) -> Decimal:
        """Revenue after fees."""
        return Decimal(record["revenue"] - record["fee_amount"])

    @rules.filter("positive", field="revenue", vectorized=lambda e: e > 0, reason="not positive")
    def positive(value: Decimal) -> bool:
        return value > 0

    assert rules.names == ("trim", "net", "positive")
    assert rules["trim"] is trim
    assert "net" in rules and len(rules) == 3
    assert net({"revenue": Decimal(5), "fee_amount": Decimal(2)}) == 3  # still a function
    assert rules["net"].description == "Revenue after fees."
    assert [r.name for r in rules.of_kind("filter")] == ["positive"]
    assert rules["positive"].reject_reason == "not positive"
    assert rules.get("nope") is None
    assert [r.name for r in rules] == ["trim", "net", "positive"]


def test_rule_set_refuses_a_second_rule_with_the_same_name() -> None:
    rules = RuleSet([Rule.calculated("x", scalar=str)])
    with pytest.raises(ValueError, match="'x' is registered already"):
        rules.add(Rule.calculated("x", scalar=repr))


def test_unknown_rule_names_list_the_registered_ones() -> None:
    with pytest.raises(KeyError, match="registered: a"):
        RuleSet([Rule.calculated("a", scalar=str)])["b"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Rule.calculated("x"), "scalar or a vectorized"),
        (lambda: Rule(name="x", kind="transform", scalar=str), "needs the field"),
        (lambda: Rule(name="", kind="calculated", scalar=str), "non-empty name"),
        (lambda: Rule(name="x", kind="sort", scalar=str), "kind must be"),  # type: ignore[arg-type]
        (lambda: Rule(name="x", kind="calculated", scalar=str, reason="r"), "only filter"),
        (lambda: Rule.calculated("x", field="a", vectorized=pl.col("a")), "function of the"),
        (lambda: Rule.calculated("x", vectorized=lambda e: e), "polars expression"),
    ],
)
def test_malformed_rules_are_refused_when_built(build: Any, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        build()


def test_a_rule_with_one_form_still_offers_the_other() -> None:
    only_scalar = Rule.transform("up", field="v", scalar=str.upper, dtype=pl.String())
    only_vectorized = Rule.transform("up", field="v", vectorized=lambda e: e.str.to_uppercase())
    frame = pl.DataFrame({"v": ["ab", "c"]})
    assert frame.select(only_scalar.to_expr()).to_series().to_list() == ["AB", "C"]
    assert only_vectorized.apply("ab") == "AB"
    record_rule = Rule.calculated("n", vectorized=pl.col("a") + pl.col("b"))
    assert record_rule.apply({"a": 1, "b": 2}) == 3


def test_filter_rules_reject_false_and_null_results() -> None:
    rule = Rule.filter("f", scalar=bool)
    assert rule.rejects(False) and rule.rejects(None) and not rule.rejects(True)
    assert rule.reject_reason == "failed rule 'f'"


def test_assert_rule_agrees_passes_for_a_faithful_field_rule() -> None:
    rule = Rule.calculated(
        "initials",
        field="podcast_name",
        scalar=lambda name: None if name is None else name[:2],
        vectorized=lambda e: e.str.slice(0, 2),
    )
    assert_rule_agrees(rule, strategy=optional(names()), max_examples=30)


def test_assert_rule_agrees_passes_for_a_faithful_record_filter() -> None:
    rule = Rule.filter(
        "has_source",
        scalar=lambda r: r["source"] is not None,
        vectorized=pl.col("source").is_not_null(),
    )
    schema = dict.fromkeys(
        ("id", "podcast_name", "revenue", "impressions", "date", "currency", "source"), pl.String
    )
    assert_rule_agrees(rule, strategy=messy_records(), schema=schema, max_examples=30)


def test_assert_rule_agrees_reports_the_inputs_where_the_forms_differ() -> None:
    with pytest.raises(AssertionError, match=r"scalar .*, vectorized "):
        assert_rule_agrees(
            lambda v: None if v is None else v.strip(),
            lambda e: e.str.strip_chars(" "),  # strips fewer characters than str.strip()
            optional(st.text(alphabet=" \tab", max_size=4)),
            max_examples=100,
        )


def test_assert_rule_agrees_needs_a_strategy_and_both_forms() -> None:
    with pytest.raises(ValueError, match="strategy"):
        assert_rule_agrees(str.strip, lambda e: e.str.strip_chars())
    with pytest.raises(ValueError, match="vectorized form"):
        assert_rule_agrees(str.strip, strategy=st.text())
    with pytest.raises(ValueError, match="both forms"):
        assert_rule_agrees(Rule.calculated("x", scalar=str), strategy=st.text())


def test_importing_actorflow_testing_without_hypothesis_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "actorflow.testing")
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # makes "import hypothesis" fail
    with pytest.raises(ImportError, match=r"pip install 'actorflow\[testing\]'"):
        importlib.import_module("actorflow.testing")
