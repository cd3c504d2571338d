"""The benchmark's reference pipelines agree byte for byte; the data generator is seeded."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCES = REPO / "benchmarks" / "references"
EXAMPLE_DATA = REPO / "actorflow" / "demo" / "data"
OUTPUTS = ("records.csv", "rejects.csv", "aggregates.json")
ROWS = 3_000


def load_data_module() -> ModuleType:
    # benchmarks/ is a folder of scripts, not a package, so the generator is loaded by path.
    spec = importlib.util.spec_from_file_location("_bench_data", REPO / "benchmarks" / "_data.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


data = load_data_module()


def run_reference(name: str, dataset: Path, out_dir: Path) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, str(REFERENCES / f"{name}.py"), str(dataset), str(out_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    stats: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return stats


def first_difference(expected: bytes, actual: bytes) -> str:
    for number, (a, b) in enumerate(
        zip(expected.split(b"\n"), actual.split(b"\n"), strict=False), start=1
    ):
        if a != b:
            return f"line {number}: expected {a!r}, got {b!r}"
    return f"lengths differ: {len(expected)} != {len(actual)}"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "revenue.csv"
    data.generate_revenue_csv(path, ROWS, seed=12345)
    return path


@pytest.fixture(scope="module")
def plain_output(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plain_python")
    stats = run_reference("plain_python", dataset, out)
    assert stats["rows_in"] == ROWS
    assert stats["rows_in"] == stats["rows_out"] + stats["rejects"]
    return out


@pytest.mark.slow
def test_plain_python_exercises_every_rule(plain_output: Path) -> None:
    rejects = (plain_output / "rejects.csv").read_text(encoding="utf-8")
    for rule in ("money", "duplicate", "required", "range"):
        assert f",{rule}," in rejects
    aggregates = json.loads((plain_output / "aggregates.json").read_text(encoding="utf-8"))
    months = [entry["month_year"] for entry in aggregates["revenue_by_month_year"]]
    assert months[-1] is None  # unparseable dates are kept and grouped last
    assert months[:-1] == sorted(months[:-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["polars_ref", "pandas_ref"])
def test_reference_matches_plain_python(
    name: str, dataset: Path, plain_output: Path, tmp_path: Path
) -> None:
    if name == "pandas_ref":
        pytest.importorskip("pandas")
    stats = run_reference(name, dataset, tmp_path)
    assert stats["rows_in"] == ROWS
    assert stats["rows_in"] == stats["rows_out"] + stats["rejects"]
    for filename in OUTPUTS:
        expected = (plain_output / filename).read_bytes()
        actual = (tmp_path / filename).read_bytes()
        assert actual == expected, f"{name} {filename}: {first_difference(expected, actual)}"


def test_generator_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    first = data.generate_revenue_csv(tmp_path / "a.csv", 2_000, seed=99)
    # A different chunk size must not change the stream of rows.
    second = data.generate_revenue_csv(tmp_path / "b.csv", 2_000, seed=99, chunk_rows=7)
    other = data.generate_revenue_csv(tmp_path / "c.csv", 2_000, seed=100)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    lines = first.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(data.COLUMNS)
    assert len(lines) == 2_001  # no value contains a line break


def test_example_data_is_small_and_paginated() -> None:
    files = [p for p in EXAMPLE_DATA.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 100_000
    audiomax = (EXAMPLE_DATA / "audiomax.csv").read_text(encoding="utf-8").splitlines()
    assert audiomax[0] == ",".join(data.COLUMNS)
    assert 250 <= len(audiomax) - 1 <= 350

    page: str | None = "page_1.json"
    seen = []
    while page is not None:
        body = json.loads((EXAMPLE_DATA / "megaphone_pages" / page).read_text(encoding="utf-8"))
        assert set(body) == {"data", "next"}
        for record in body["data"]:
            assert set(record) == {
                "id",
                "podcast_name",
                "revenue",
                "impressions",
                "date",
                "currency",
            }
        seen.append(len(body["data"]))
        page = body["next"]
    assert seen == [100, 100, 100]
