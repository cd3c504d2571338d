"""``actorflow run`` of a workflow without roles: the table is processed by its contract."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import polars as pl
from click.testing import Result

SALES = """order_id,order_date,customer,category,amount,quantity,country
ORD-1,2024-03-01,ann, Home  Goods,"$1,234.50",2,US
ORD-2,2024-03-02,bob,home goods,12.5,1,DE
ORD-3,2024-03-02,cy,Toys,,3,FR
ORD-4,2024-03-04,dee,HOME GOODS,€99.99,1,US
ORD-1,2024-03-01,ann, Home  Goods,"$1,234.50",2,US
"""


def test_a_workflow_without_roles_types_the_records_in_its_result_files(
    invoke: Callable[..., Result], write_workflow: Callable[..., Path], tmp_path: Path
) -> None:
    csv = tmp_path / "sales.csv"
    csv.write_text(SALES, encoding="utf-8")
    workflow = write_workflow(
        f"""
name = "sales"

[[stages]]
name = "extract"
agent = "extractor"
[[stages.params.sources]]
type = "file"
path = {json.dumps(str(csv))}

[[stages]]
name = "process"
agent = "processor"
task = "Clean and analyze the sales orders"
depends_on = ["extract"]
"""
    )
    out = tmp_path / "out"
    result = invoke("run", str(workflow), "--output", str(out))
    assert result.exit_code == 0, result.output
    records = pl.read_parquet(out / "process.records.parquet")
    assert records.schema["amount"] == pl.Decimal(38, 2)
    assert records.schema["order_date"] == pl.Date
    assert records["amount"].sum() == Decimal("1346.99")
    assert set(records["category"]) == {"Home Goods", "Toys"}
    assert records.filter(pl.col("amount").is_null())["order_id"].to_list() == ["ORD-3"]
    rejects = pl.read_csv(out / "process.rejects.csv", infer_schema=False)
    assert rejects["rule"].to_list() == ["duplicate"]
    saved = json.loads((out / "process.json").read_text(encoding="utf-8"))
    assert saved["contract_source"] == "inferred"
    assert "[[stages.params.contract.fields]]" in saved["contract_toml"]
    # What was assumed is said, in the form that pins it.
    assert "inferred contract · process" in result.stdout
    assert saved["contract_toml"].strip() in result.stdout
