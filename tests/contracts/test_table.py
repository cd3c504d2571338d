"""Table contracts: built in Python or decoded from TOML/JSON/workflows, they round-trip
through ``to_toml``, and every invalid one is refused naming the field and key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actorflow import ContractError, FieldSpec, TableContract, WorkflowValidationError
from actorflow.contracts import DEFAULT_ROLES, load_workflow
from tests.contracts.contract_strategies import contracts

SALES = """\
key = ["order_id"]

[[fields]]
name = "order_id"
type = "id"

[[fields]]
name = "currency"
type = "category"
allowed = ["USD", "EUR"]

[[fields]]
name = "amount"
type = "money"
scale = 2
currency = "currency"
required = true
min = 0
role = "measure"
aliases = ["total", "amount_usd"]

[[fields]]
name = "order_date"
type = "date"
date_order = "dmy"
min = "2020-01-01"
"""


def sales() -> dict[str, Any]:
    raw: dict[str, Any] = msgspec.toml.decode(SALES)
    return raw


@given(contracts())
def test_to_toml_round_trips(contract: TableContract) -> None:
    assert TableContract.decode(contract.to_toml()) == contract


@given(contracts())
def test_to_json_and_to_dict_round_trip(contract: TableContract) -> None:
    assert TableContract.decode(contract.to_json(), format="json") == contract
    assert TableContract.from_mapping(contract.to_dict()) == contract


@given(contracts(max_fields=3))
def test_a_contract_rendered_into_a_workflow_stage_reads_back_equal(
    contract: TableContract,
) -> None:
    text = 'name = "wf"\n\n[[stages]]\nname = "clean"\nagent = "processor"\n\n' + contract.to_toml(
        "stages.params.contract"
    )
    spec = load_workflow(msgspec.toml.decode(text))
    stage = spec.stage("clean")
    assert TableContract.from_mapping(stage.params["contract"]) == contract


def test_a_declared_contract_reads_as_written() -> None:
    contract = TableContract.decode(SALES)
    amount = contract.field("amount")
    assert (amount.type, amount.scale, amount.currency, amount.min) == ("money", 2, "currency", 0)
    assert amount.required and amount.aliases == ("total", "amount_usd")
    assert contract.key == ("order_id",)
    assert contract.field("currency").allowed == ("USD", "EUR")
    assert contract.order_of(contract.field("order_date")) == "dmy"


def test_toml_dates_are_bounds_like_iso_text() -> None:
    text = SALES.replace('min = "2020-01-01"', "min = 2020-01-01\nmax = 2030-12-31T23:59:00")
    contract = TableContract.decode(text)
    assert contract.field("order_date").min == "2020-01-01"
    assert contract.field("order_date").max == "2030-12-31T23:59:00"


def test_roles_default_by_type_and_can_be_overridden() -> None:
    for kind, role in DEFAULT_ROLES.items():
        assert FieldSpec(name="x", type=kind).role == role
    assert FieldSpec(name="year", type="integer", role="dimension").role == "dimension"
    contract = TableContract.decode(SALES)
    assert [f.name for f in contract.by_role("dimension")] == ["currency"]


def test_python_construction_takes_lists_and_keeps_tuples() -> None:
    spec = FieldSpec(name="amount", type="money", aliases=["total"])  # type: ignore[arg-type]
    contract = TableContract(fields=[spec], key=["amount"])  # type: ignore[arg-type]
    assert spec.aliases == ("total",)
    assert contract.fields == (spec,) and contract.key == ("amount",)


def test_columns_are_matched_by_name_then_alias_then_ignoring_case() -> None:
    contract = TableContract.decode(SALES)
    found = contract.match_columns(["Order_ID ", "total", "CURRENCY", "unrelated"])
    assert found == {"order_id": "Order_ID ", "amount": "total", "currency": "CURRENCY"}
    assert contract.match_columns(["amount", "total"]) == {"amount": "amount"}


def _set(path: list[Any], value: Any) -> dict[str, Any]:
    raw = sales()
    target: Any = raw
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return raw


BAD = [
    # (where, value, the problem's field, words of its message)
    (["fields", 2, "type"], "moneyy", "fields[2].type", "expected one of: string, integer"),
    (["fields", 2, "role"], "metric", "fields[2].role", "expected one of: measure"),
    (["fields", 3, "date_order"], "ydm", "fields[3].date_order", "expected one of: ymd"),
    (["fields", 2, "colour"], "red", "fields[2].colour", "unknown field"),
    (["fields", 2, "scale"], "two", "fields[2].scale", "Expected `int | null`"),
    (["fields", 2, "scale"], 19, "fields[2].scale", "must be 0 to 18"),
    (["fields", 0, "scale"], 2, "fields[0].scale", "only decimal and money"),
    (["fields", 0, "min"], 1, "fields[0].min", "only numeric, date and datetime"),
    (["fields", 2, "min"], "zero", "fields[2].min", "must be a number"),
    (["fields", 2, "max"], -1, "fields[2].max", "less than min"),
    (["fields", 3, "min"], "03/05/2024", "fields[3].min", "not an ISO date"),
    (["fields", 2, "currency"], "cur", "fields[2].currency", "no field 'cur'"),
    (["fields", 2, "currency"], "amount", "fields[2].currency", "a currency field is a string"),
    (["fields", 0, "date_order"], "dmy", "fields[0].date_order", "only date and datetime"),
    (["fields", 2, "allowed"], ["a"], "fields[2].allowed", "only string, category and id"),
    (["fields", 1, "allowed"], [], "fields[1].allowed", "at least one value"),
    (["fields", 1, "allowed"], ["USD", "USD"], "fields[1].allowed", "'USD' twice"),
    (["fields", 1, "allowed"], ["\ud800"], "fields[1].allowed", "no lone surrogates"),
    (["fields", 1, "name"], " ", "fields[1].name", "must not be empty"),
    (["fields", 1, "name"], "order_id", "fields[1].name", "duplicate field name"),
    (["fields", 1, "name"], "a\x07b", "fields[1].name", "control characters"),
    (["fields", 1, "aliases"], ["total"], "fields[2].aliases", "also names fields[1]"),
    (["fields", 1, "aliases"], ["amount"], "fields[1].aliases", "also names fields[2]"),
    (["fields", 2, "aliases"], ["amount"], "fields[2].aliases", "the field's own name"),
    (["fields", 2, "required"], "yes", "fields[2].required", "Expected `bool`"),
    (["fields", 2, "name"], None, "fields[2].name", "Expected `str`"),
    (["key"], ["order_id", "nope"], "key", "no field 'nope'"),
    (["key"], ["order_id", "order_id"], "key", "'order_id' twice"),
    (["key"], "order_id", "key", "Expected `array`"),
    (["date_order"], "dym", "date_order", "expected one of: ymd, mdy, dmy"),
    (["fields"], {}, "fields", "Expected `array`"),
]


@pytest.mark.parametrize(("path", "value", "field", "words"), BAD)
def test_an_invalid_contract_names_the_field_and_key(
    path: list[Any], value: Any, field: str, words: str
) -> None:
    raw = _set(path, value)
    with pytest.raises(WorkflowValidationError) as caught:
        TableContract.from_mapping(raw, stage="clean", where="params.contract")
    fields = [(p.stage, p.field) for p in caught.value.problems]
    assert ("clean", f"params.contract.{field}") in fields, caught.value.problems
    assert any(words in p.message for p in caught.value.problems), caught.value.problems


def test_a_field_without_name_or_type_is_reported_at_the_missing_key() -> None:
    raw = sales()
    del raw["fields"][2]["type"]
    with pytest.raises(WorkflowValidationError) as caught:
        TableContract.from_mapping(raw, where="contract")
    assert caught.value.problems[0].field == "contract.fields[2].type"
    assert "missing required field" in caught.value.problems[0].message


def test_every_problem_of_a_field_is_reported_at_once() -> None:
    raw = _set(["fields", 0, "scale"], 2)
    raw["fields"][0]["min"] = 1
    with pytest.raises(WorkflowValidationError) as caught:
        TableContract.from_mapping(raw)
    assert {p.field for p in caught.value.problems} == {"fields[0].scale", "fields[0].min"}


@pytest.mark.parametrize(
    ("document", "words"),
    [("fields = [", "not valid toml"), ("fields = 3", "Expected `array`")],
)
def test_a_bad_document_is_a_validation_error(document: str, words: str) -> None:
    with pytest.raises(WorkflowValidationError, match=words):
        TableContract.decode(document)


def test_a_non_table_contract_is_refused() -> None:
    with pytest.raises(WorkflowValidationError, match="not a list"):
        TableContract.decode("[1]", format="json")


def test_python_construction_raises_contract_errors_naming_the_key() -> None:
    with pytest.raises(ContractError) as caught:
        FieldSpec(name="qty", type="integer", scale=2, allowed=("1",))
    assert [p.field for p in caught.value.problems] == ["scale", "allowed"]
    assert "field 'scale'" in str(caught.value)
    ok = FieldSpec(name="amount", type="money", currency="cur")
    with pytest.raises(ContractError, match="no field 'cur'") as caught:
        TableContract(fields=(ok,), key=("amount",))
    assert caught.value.problems[0].field == "fields[0].currency"


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_workflow_file_with_a_bad_contract_names_stage_and_field(
    tmp_path: Path, suffix: str
) -> None:
    raw = _set(["fields", 2, "type"], "moneyy")
    workflow = {
        "name": "wf",
        "stages": [
            {"name": "read", "agent": "extractor"},
            {"name": "clean", "agent": "processor", "params": {"contract": raw}},
        ],
    }
    path = tmp_path / f"wf{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(workflow), encoding="utf-8")
    else:
        head = 'name = "wf"\n[[stages]]\nname = "read"\nagent = "extractor"\n'
        stage = '[[stages]]\nname = "clean"\nagent = "processor"\n'
        body = SALES.replace('type = "money"', 'type = "moneyy"')
        table = body.replace("[[fields]]", "[[stages.params.contract.fields]]").replace(
            'key = ["order_id"]', '[stages.params.contract]\nkey = ["order_id"]'
        )
        path.write_text(head + stage + table, encoding="utf-8")
    with pytest.raises(WorkflowValidationError) as caught:
        load_workflow(path)
    (problem,) = caught.value.problems
    assert (problem.stage, problem.field) == ("clean", "params.contract.fields[2].type")
    assert caught.value.source == str(path)


def test_a_workflow_with_a_valid_contract_loads() -> None:
    spec = load_workflow(
        {"name": "wf", "stages": [{"name": "s", "agent": "a", "params": {"contract": sales()}}]}
    )
    assert TableContract.from_mapping(spec.stages[0].params["contract"]) == TableContract.decode(
        SALES
    )


def test_a_contract_param_that_is_not_a_table_is_a_workflow_problem() -> None:
    with pytest.raises(WorkflowValidationError) as caught:
        load_workflow(
            {"name": "wf", "stages": [{"name": "s", "agent": "a", "params": {"contract": [1]}}]}
        )
    (problem,) = caught.value.problems
    assert (problem.stage, problem.field) == ("s", "params.contract")
    assert "not a list" in problem.message


@given(contract=contracts(), data=st.data())
def test_any_broken_key_of_any_field_is_named_with_its_index(
    contract: TableContract, data: st.DataObject
) -> None:
    raw = contract.to_dict()
    index = data.draw(st.integers(0, len(raw["fields"]) - 1), label="index")
    spec = raw["fields"][index]
    numeric = spec["type"] in ("decimal", "money")
    breaks = {
        "type": "bogus",
        "role": "boss",
        "date_order": "ddd",
        "required": "maybe",
        "aliases": "not-a-list",
        "scale": 99 if numeric else 2,
        "unexpected": 1,
    }
    key = data.draw(st.sampled_from(sorted(breaks)), label="key")
    spec[key] = breaks[key]
    with pytest.raises(WorkflowValidationError) as caught:
        TableContract.from_mapping(raw, stage="s", where="params.contract")
    assert f"params.contract.fields[{index}].{key}" in [p.field for p in caught.value.problems]
    assert all(p.stage == "s" for p in caught.value.problems)
