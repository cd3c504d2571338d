"""``actorflow infer FILE``: the inferred contract as TOML to paste into a workflow (or
JSON), the findings as comments, and bad files as one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from click.testing import Result

from actorflow.contracts import TableContract, load_workflow
from tests.cli.cli_helpers import assert_one_line_error

Invoke = Callable[..., Result]

SALES_CSV = """\
order_id,order_date,customer,category,amount,quantity,country
SO-1001,2024-05-03, Acme Corp ,Electronics,"$1,234.50",2,US
SO-1002,05/14/2024,acme corp,electronics,€99.00,1,FR
SO-1003,"May 15, 2024",Globex,Furniture,(12.00),3,DE
SO-1004,,Initech,FURNITURE,USD 45,,US
SO-1005,3 Jun 2024,Globex,Toys,  7.25 ,5,de
SO-1006,06/01/2024,Acme Corp,Toys,"£2,000.00",10,US
SO-1007,2024/06/02,Initech,toys,,1,FR
SO-1008,06/03/2024,Globex,Electronics,$0.99,1,US
"""

EXPECTED = {
    "order_id": ("id", "id"),
    "order_date": ("date", "time"),
    "customer": ("category", "dimension"),
    "category": ("category", "dimension"),
    "amount": ("money", "measure"),
    "quantity": ("integer", "measure"),
    "country": ("category", "dimension"),
}


@pytest.fixture
def sales_csv(tmp_path: Path) -> Path:
    path = tmp_path / "sales_orders.csv"
    path.write_text(SALES_CSV, encoding="utf-8")
    return path


def test_the_printed_contract_pastes_into_a_workflow(invoke: Invoke, sales_csv: Path) -> None:
    result = invoke("infer", str(sales_csv))
    assert result.exit_code == 0, result.output
    workflow = 'name = "orders"\n\n[[stages]]\nname = "clean"\nagent = "processor"\n\n'
    spec = load_workflow(msgspec.toml.decode(workflow + result.stdout))
    contract = TableContract.from_mapping(spec.stage("clean").params["contract"])
    assert {f.name: (f.type, f.role) for f in contract.fields} == EXPECTED
    assert contract.field("order_date").date_order == "mdy"
    assert contract.field("amount").scale == 2
    assert contract.key == ("order_id",)
    assert "# - amount: warning: amounts are marked with several currencies ($, USD, £, €)" in (
        result.stdout
    )
    assert "# - amount: money, 7, 1, 7, 0" in result.stdout


def test_ambiguous_dates_are_reported_as_comments(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "shipments.csv"
    path.write_text("id,shipped\n1,03/05/2024\n2,04/06/2024\n3,\n", encoding="utf-8")
    clean = tmp_path / "clean.csv"
    clean.write_text("id,shipped\n1,2024-05-03\n2,2024-05-04\n", encoding="utf-8")
    assert "# Nothing to check" in invoke("infer", str(clean)).stdout
    result = invoke("infer", str(path), "--table", "")
    assert result.exit_code == 0, result.output
    comments = [line for line in result.stdout.splitlines() if line.startswith("# - shipped:")]
    assert len(comments) == 2
    assert "every day/month date (2 values) fits both orders; read month-day (mdy)" in comments[0]
    assert TableContract.decode(result.stdout).field("shipped").date_order == "mdy"
    dmy = invoke("infer", str(path), "--table", "", "--date-order", "dmy")
    assert TableContract.decode(dmy.stdout).field("shipped").date_order == "dmy"


def test_json_output_has_the_contract_fields_and_findings(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = [{"when": "13/05/2024", "n": "1"}, {"when": "05/13/2024", "n": "x"}]
    rows += [{"when": "01/02/2024", "n": str(i)} for i in range(30)]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = invoke("infer", str(path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rows"] == 32
    assert TableContract.from_mapping(data["contract"]).field("n").type == "integer"
    kinds = [(f["field"], f["kind"], f["severity"]) for f in data["findings"]]
    assert kinds == [("when", "mixed_date_order", "error"), ("n", "unparsed_values", "warning")]
    assert [f["unparsed"] for f in data["fields"]] == [0, 1]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing.csv", None, "file not found"),
        ("empty.csv", b"", "no columns"),
        ("binary.csv", b"\x00\x01\x02", "binary file"),
        ("bad.json", b'{"a": 1', "truncated"),
        ("table.xlsx", b"x", "cannot tell the format"),
        ("scalars.json", b"[1, 2]", "not an object"),
    ],
)
def test_a_bad_file_is_a_one_line_error(
    invoke: Invoke, tmp_path: Path, name: str, content: bytes | None, fragment: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert_one_line_error(invoke("infer", str(path)), name, fragment)
