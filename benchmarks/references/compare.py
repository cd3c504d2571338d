"""Run the three reference pipelines on one generated data set and compare them.

Each reference runs in its own subprocess; wall time comes from this process and peak RSS
from ``os.wait4``, which returns the rusage of exactly that child. The outputs
(records.csv, rejects.csv, aggregates.json) must be byte-identical; the first differing
line is reported when they are not, and the exit status is then 1.

Usage: python benchmarks/references/compare.py [--rows N] [--seed S] [--json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
REFERENCES = ("plain_python", "pandas_ref", "polars_ref")
OUTPUTS = ("records.csv", "rejects.csv", "aggregates.json")


@dataclass
class RunResult:
    name: str
    wall_seconds: float
    script_seconds: float
    peak_rss_mib: float
    rows_in: int
    rows_out: int
    rejects: int
    exit_code: int
    balanced: bool = field(init=False)

    def __post_init__(self) -> None:
        self.balanced = self.rows_in == self.rows_out + self.rejects


def load_data_module() -> ModuleType:
    # Loaded by path: benchmarks/ is a folder of scripts, not an installed package.
    spec = importlib.util.spec_from_file_location("_bench_data", HERE.parent / "_data.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def available_references() -> list[str]:
    names = list(REFERENCES)
    if importlib.util.find_spec("pandas") is None:
        names.remove("pandas_ref")
    return names


def run_reference(name: str, data: Path, out_dir: Path) -> RunResult:
    script = HERE / f"{name}.py"
    with tempfile.TemporaryFile(mode="w+") as stdout:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(script), str(data), str(out_dir)], stdout=stdout
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        # wait4 reaped the child; tell Popen so it does not try again.
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        lines = stdout.read().strip().splitlines()
    stats = json.loads(lines[-1]) if proc.returncode == 0 and lines else {}
    return RunResult(
        name=name,
        wall_seconds=round(wall, 3),
        script_seconds=float(stats.get("seconds", 0.0)),
        peak_rss_mib=round(usage.ru_maxrss / 1024, 1),  # ru_maxrss is in KiB on Linux
        rows_in=int(stats.get("rows_in", -1)),
        rows_out=int(stats.get("rows_out", -1)),
        rejects=int(stats.get("rejects", -1)),
        exit_code=proc.returncode,
    )


def first_difference(left: Path, right: Path) -> str | None:
    """None when the files are byte-identical, else where and how they first differ."""
    a, b = left.read_bytes(), right.read_bytes()
    if a == b:
        return None
    lines_a, lines_b = a.split(b"\n"), b.split(b"\n")
    for number, (x, y) in enumerate(zip(lines_a, lines_b, strict=False), start=1):
        if x != y:
            return f"line {number}: {x!r} != {y!r}"
    return f"same first {min(len(lines_a), len(lines_b))} lines, lengths {len(a)} != {len(b)}"


def compare_outputs(base: str, others: list[str], root: Path) -> list[str]:
    problems = []
    for other in others:
        for filename in OUTPUTS:
            left, right = root / base / filename, root / other / filename
            if not right.exists():
                problems.append(f"{other}/{filename}: missing")
                continue
            diff = first_difference(left, right)
            if diff is not None:
                problems.append(f"{base} vs {other} {filename}: {diff}")
    return problems


def print_table(results: list[RunResult]) -> None:
    header = (
        f"{'reference':<14}{'wall s':>9}{'script s':>10}{'peak RSS MiB':>14}"
        f"{'rows_in':>10}{'rows_out':>10}{'rejects':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<14}{r.wall_seconds:>9.2f}{r.script_seconds:>10.2f}{r.peak_rss_mib:>14.1f}"
            f"{r.rows_in:>10}{r.rows_out:>10}{r.rejects:>9}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare the revenue reference pipelines.")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=None, help="generator seed")
    parser.add_argument("--data", type=Path, help="use this CSV instead of generating one")
    parser.add_argument("--keep", type=Path, help="write data and outputs here and keep them")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", nargs="+", choices=REFERENCES, help="run a subset")
    args = parser.parse_args(argv)

    data_module = load_data_module()
    seed = args.seed if args.seed is not None else data_module.DEFAULT_SEED
    names = [n for n in available_references() if not args.only or n in args.only]

    with tempfile.TemporaryDirectory(prefix="revenue-compare-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        generate_seconds = 0.0
        data = args.data
        if data is None:
            data = root / f"revenue_{args.rows}.csv"
            start = time.perf_counter()
            data_module.generate_revenue_csv(data, args.rows, seed=seed)
            generate_seconds = time.perf_counter() - start

        results = [run_reference(name, data, root / name) for name in names]
        failed = [r.name for r in results if r.exit_code != 0]
        ok_names = [r.name for r in results if r.exit_code == 0]
        problems = [f"{n}: exit code != 0" for n in failed]
        problems += [f"{r.name}: rows_in != rows_out + rejects" for r in results if not r.balanced]
        if len(ok_names) > 1:
            problems += compare_outputs(ok_names[0], ok_names[1:], root)

    identical = not problems
    if args.json:
        print(
            json.dumps(
                {
                    "rows": args.rows if args.data is None else None,
                    "seed": seed,
                    "data": str(data) if args.data is not None else None,
                    "generate_seconds": round(generate_seconds, 3),
                    "results": [asdict(r) for r in results],
                    "identical": identical,
                    "problems": problems,
                }
            )
        )
    else:
        source = f"{args.data}" if args.data else f"{args.rows:,} generated rows, seed {seed}"
        print(f"revenue pipeline references on {source}")
        if generate_seconds:
            print(f"(generated in {generate_seconds:.1f} s)")
        print_table(results)
        print()
        print("outputs identical" if identical else "DIFFERENCES:")
        for problem in problems:
            print(f"  {problem}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
