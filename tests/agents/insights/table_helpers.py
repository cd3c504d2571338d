"""Contract-driven processing outputs built by hand, and the insights agent run on them.

The outputs follow the interface agreed with the processing agent: typed ``Records``
(``pl.Decimal`` money), ``contract`` from ``TableContract.to_dict()``, ``calculations``,
``quality_metrics``, ``field_quality`` and ``findings``.
"""

from __future__ import annotations

import ast
import asyncio
import datetime
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from actorflow.actors import StageRequest
from actorflow.agents.insights import InsightsAgent
from actorflow.contracts import (
    Records,
    StageOutcome,
    StageSpec,
    TableContract,
    freeze,
    thaw,
)
from tests.web.seed_curl import SEED_CURL

REPO = Path(__file__).resolve().parents[3]


def _seed_client_literal(name: str) -> dict[str, Any]:
    """A dict literal assigned to ``name`` in the seed's client example (kept verbatim)."""
    tree = ast.parse((REPO / "tests" / "web" / "seed_client.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == name
        ):
            value: dict[str, Any] = ast.literal_eval(node.value)
            return value
    raise AssertionError(f"the seed client has no {name!r}")


def seed_financial() -> list[dict[str, Any]]:
    """The seed's "Process financial data" records."""
    records: list[dict[str, Any]] = _seed_client_literal("financial_data")["records"]
    return records


def seed_campaigns() -> list[dict[str, Any]]:
    """The seed's "Process marketing data" campaigns."""
    campaigns: list[dict[str, Any]] = _seed_client_literal("marketing_data")["campaigns"]
    return campaigns


def seed_customers() -> list[dict[str, Any]]:
    """The seed's cURL example's customers (the JSON body of its first command)."""
    body = SEED_CURL.split("-d '", 1)[1].split("'", 1)[0]
    customers: list[dict[str, Any]] = json.loads(body)["input_data"]["customers"]
    return customers


def _dtype(spec: Mapping[str, Any]) -> pl.DataType:
    kind = spec["type"]
    if kind in ("money", "decimal"):
        return pl.Decimal(38, spec.get("scale", 2))
    return {
        "integer": pl.Int64(),
        "number": pl.Float64(),
        "date": pl.Date(),
        "datetime": pl.Datetime("us"),
        "boolean": pl.Boolean(),
    }.get(kind, pl.String())


def _value(raw: object, spec: Mapping[str, Any]) -> object:
    if raw is None:
        return None
    kind = spec["type"]
    if kind in ("money", "decimal"):
        return Decimal(str(raw))
    if kind == "integer":
        return int(str(raw))
    if kind == "number":
        return float(str(raw))
    if kind == "date":
        return raw if isinstance(raw, datetime.date) else datetime.date.fromisoformat(str(raw))
    return str(raw)


def typed_frame(rows: Sequence[Mapping[str, Any]], contract: TableContract) -> pl.DataFrame:
    """The rows typed as the processing stage types them (money as ``pl.Decimal``)."""
    specs = contract.to_dict()["fields"]
    return pl.DataFrame(
        {s["name"]: [_value(r.get(s["name"]), s) for r in rows] for s in specs},
        schema={s["name"]: _dtype(s) for s in specs},
    )


def processed(
    frame: pl.DataFrame,
    contract: TableContract,
    *,
    calculations: Mapping[str, str] | None = None,
    field_quality: Mapping[str, Any] | None = None,
    findings: Sequence[Mapping[str, Any]] = (),
    rejected: int = 0,
) -> StageOutcome:
    """A succeeded processing outcome carrying ``frame`` and what the agreed output has."""
    output = processing_output(
        frame,
        contract,
        calculations=calculations,
        field_quality=field_quality,
        findings=findings,
        rejected=rejected,
    )
    return StageOutcome(
        stage="process", agent="processor", status="succeeded", output=freeze(output)
    )


def processing_output(
    frame: pl.DataFrame,
    contract: TableContract,
    *,
    calculations: Mapping[str, str] | None = None,
    field_quality: Mapping[str, Any] | None = None,
    findings: Sequence[Mapping[str, Any]] = (),
    rejected: int = 0,
) -> dict[str, Any]:
    """The contract-driven processing stage's output for ``frame`` (the agreed keys)."""
    n = frame.height
    quality = {
        "data_retention_rate": n / (n + rejected) if n + rejected else 0.0,
        "processing_efficiency": 1.0,
        "quality_score": 1.0,
        "clean_rate": 1.0,
        "records_per_s": 1000.0,
        "records_in": n + rejected,
        "records_out": n,
        "rejected": rejected,
    }
    return {
        "records": Records(frame),
        "rejects": Records(),
        "contract": contract.to_dict(),
        "contract_toml": contract.to_toml(table="stages.params.contract"),
        "contract_source": "declared",
        "findings": list(findings),
        "quality_metrics": quality,
        "field_quality": dict(field_quality or {}),
        "calculations": {
            name: {"expression": text, "type": "number", "division_by_zero": 0}
            for name, text in (calculations or {}).items()
        },
    }


def run_insights(
    outcome: StageOutcome,
    params: Mapping[str, Any] | None = None,
    agent: InsightsAgent | None = None,
) -> dict[str, Any]:
    """The insights agent's output for one processing dependency, as plain data."""
    stage = StageSpec(
        name="insights",
        agent="insights",
        depends_on=("process",),
        params=freeze(dict(params or {})),
    )
    request = StageRequest.of(stage, dependencies={"process": outcome})
    output = asyncio.run((agent or InsightsAgent()).perform(request))
    plain: dict[str, Any] = thaw(freeze(output))  # as the runtime keeps it
    json.dumps(plain)  # plain data: no Decimal, date or polars value left in it
    return plain


def insight(output: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The insight of ``kind`` (exactly one)."""
    (found,) = [i for i in output["insights"] if i["kind"] == kind]
    return dict(found)
