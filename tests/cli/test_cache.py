"""``actorflow run --no-cache`` and ``actorflow cache list|clear``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.store.retry_agents import calls

AGENTS = "tests.store.retry_agents:register"

Invoke = Callable[..., Result]


def write(tmp: Path) -> Path:
    stages = [
        {"name": name, "agent": "counted", "cache": True, "depends_on": deps,
         "params": {"counter": str(tmp / "calls.txt")}}
        for name, deps in (("a", []), ("b", ["a"]))
    ]  # fmt: skip
    path = tmp / "cached.json"
    path.write_text(json.dumps({"name": "cached", "stages": stages}), encoding="utf-8")
    return path


def test_a_second_run_says_cached_and_no_cache_runs_every_stage(
    invoke: Invoke, tmp_path: Path
) -> None:
    path = write(tmp_path)
    assert invoke("run", str(path), "--agents", AGENTS).exit_code == 0

    second = invoke("run", str(path), "--agents", AGENTS)
    assert second.exit_code == 0, second.output
    rows = [line for line in second.stdout.splitlines() if "│" in line and "succeeded" in line]
    assert len(rows) == 2
    assert all("(cached)" in row for row in rows)
    assert calls(tmp_path / "calls.txt") == ["a", "b"]

    third = invoke("run", str(path), "--no-cache", "--agents", AGENTS)
    assert third.exit_code == 0, third.output
    assert "(cached)" not in third.stdout
    assert calls(tmp_path / "calls.txt") == ["a", "b", "a", "b"]


def test_cache_list_and_clear(invoke: Invoke, tmp_path: Path) -> None:
    path = write(tmp_path)
    assert invoke("run", str(path), "--agents", AGENTS).exit_code == 0

    listed = invoke("cache", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert sorted(e["stage"] for e in json.loads(listed.stdout)) == ["a", "b"]
    assert "counted" in invoke("cache", "list").stdout

    cleared = invoke("cache", "clear", "--stage", "a")
    assert "removed 1 cache entry" in cleared.stdout
    assert [e["stage"] for e in json.loads(invoke("cache", "list", "--json").stdout)] == ["b"]
    assert "removed 1 cache entry" in invoke("cache", "clear").stdout
    assert json.loads(invoke("cache", "list", "--json").stdout) == []
    assert invoke("run", str(path), "--agents", AGENTS).exit_code == 0
    assert calls(tmp_path / "calls.txt") == ["a", "b", "a", "b"]
