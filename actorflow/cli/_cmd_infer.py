"""``actorflow infer FILE``: a table's contract, inferred from its values, as TOML.

The file is read by the extractor's own readers (CSV, JSON, JSON Lines), so the table
is what an ``extractor`` stage would hand on: every value a string. The contract is
printed as a ``[stages.params.contract]`` table to paste into a workflow, then the
findings and per-field facts as TOML comments; ``--json`` prints all of it as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click
import msgspec
import polars as pl

from actorflow.agents.extraction import FileSource
from actorflow.agents.extraction._file import read_file
from actorflow.agents.extraction._result import ReadError
from actorflow.agents.infer import PARSE_THRESHOLD, Inference, infer_contract
from actorflow.contracts import DATE_ORDERS, DateOrder, Records

from ._app import cli
from ._errors import CliError

__all__ = ["infer", "inference_toml"]

_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@cli.command(
    epilog="""\b
Examples:
  actorflow infer orders.csv                   # paste the output into a workflow stage
  actorflow infer invoices.json --date-order dmy
  actorflow infer events.jsonl --json | jq '.findings'
  actorflow infer orders.csv --table ''        # a contract document of its own
"""
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "json", "jsonl"]),
    help="The file's format; by default from its extension.",
)
@click.option(
    "--date-order",
    type=click.Choice(DATE_ORDERS),
    help="How to read a date column whose every day/month value fits both orders "
    "(03/05/2024). Default: mdy, and the column is reported. Columns whose values "
    "settle the order are read in it.",
)
@click.option(
    "--table",
    default="stages.params.contract",
    show_default=True,
    help="The TOML table the contract is written in; '' for a document of its own.",
)
@click.option("--json", "json_output", is_flag=True, help="Print the inference as JSON.")
def infer(
    file: Path,
    file_format: str | None,
    date_order: DateOrder | None,
    table: str,
    json_output: bool,
) -> None:
    """Infer the contract of a CSV, JSON or JSON Lines table from its values.

    Prints each column's type (id, integer, decimal, money, number, date, datetime,
    boolean, category, string) and role as a contract to paste into a workflow stage,
    then what to check: date columns whose day/month order the values do not settle,
    columns mixing both orders (errors), values that are not of their column's type.
    A column takes a type when 95% of its present values have it. Nothing is marked
    required: add that yourself.
    """
    frame = _read(file, file_format)
    result = infer_contract(frame, date_order=date_order)
    if json_output:
        data = {
            "rows": result.rows,
            "contract": result.contract.to_dict(),
            "fields": msgspec.to_builtins(result.fields),
            "findings": msgspec.to_builtins(result.findings),
        }
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    sys.stdout.write(inference_toml(result, source=file.name, table=table))


def _read(file: Path, file_format: str | None) -> pl.DataFrame:
    fmt = file_format or _SUFFIXES.get(file.suffix.lower())
    if fmt is None:
        raise CliError(
            f"{file}: cannot tell the format from the extension {file.suffix or '(none)'!r}; "
            "use .csv, .json or .jsonl, or --format"
        )
    try:
        data = asyncio.run(read_file(FileSource(path=str(file), format=fmt)))  # type: ignore[arg-type]
    except ReadError as exc:
        raise CliError(f"{file}: {exc}") from None
    frame = data.frame.frame if isinstance(data.frame, Records) else data.frame
    if frame.width == 0:
        raise CliError(f"{file}: no columns, so no contract to infer (is the file empty?)")
    return frame


def inference_toml(result: Inference, *, source: str, table: str = "") -> str:
    """The contract as TOML, then the findings and field facts as TOML comments."""
    where = f" [{table}]" if table else ""
    lines = [
        f"# Contract of {source}, inferred from {result.rows} rows. Paste it into a workflow",
        f"# stage{where} and check it; nothing is marked required.",
        result.contract.to_toml(table).rstrip("\n"),
        "",
    ]
    if result.findings:
        lines.append("# To check:")
        for finding in result.findings:
            field = finding.field or "(table)"
            lines.append(f"# - {field}: {finding.severity}: {finding.message} [{finding.kind}]")
            if finding.examples:
                lines.append(f"#     e.g. {_examples(finding.examples)}")
    else:
        lines.append("# Nothing to check: every value has its column's type.")
    lines.append(
        f"# Fields (a type needs {PARSE_THRESHOLD:.0%} of the present values): "
        "type, present, missing, distinct, unparsed"
    )
    for report in result.fields:
        renamed = f" (column {report.column!r})" if report.column != report.name else ""
        lines.append(
            f"# - {report.name}{renamed}: {report.type}, {report.present}, {report.missing}, "
            f"{report.distinct}, {report.unparsed}"
        )
    return "\n".join(lines) + "\n"


def _examples(values: tuple[str, ...]) -> str:
    # JSON quoting keeps a value's newlines and quotes inside its comment line.
    return ", ".join(json.dumps(value, ensure_ascii=False) for value in values)
