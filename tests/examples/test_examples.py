"""Every example runs, so none of them rots."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import aiohttp
from aiohttp import web

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, tmp_path: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=tmp_path,  # not the repository: what the process writes stays in tmp_path
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_progress_events_example_shows_both_subscribers_and_the_result(tmp_path: Path) -> None:
    out = run_example("progress_events.py", tmp_path)
    assert "[async] #1 RunStarted progress=0%" in out
    assert "RunFinished progress=100%" in out
    assert "[signal] fetch: 100% batch 4 of 4" in out
    assert "[signal] report succeeded" in out
    assert "report: {'total': 5050, 'spread': 99}" in out


def test_rule_property_example_runs_as_a_script(tmp_path: Path) -> None:
    out = run_example("rule_property_test.py", tmp_path)
    assert "naive slug: caught" in out
    assert "careful slug: agrees" in out
    assert "planet-money" in out


def test_rule_property_example_runs_under_pytest(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(EXAMPLES / "rule_property_test.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_aiohttp_service_example_quotes_and_streams_progress() -> None:
    service = _load("aiohttp_service")
    runner = web.AppRunner(service.build_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            items = [
                {"sku": "a", "qty": 3, "unit_price": "0.335"},
                {"sku": "b", "qty": 1, "unit_price": "10"},
            ]
            async with http.post(f"{base}/quotes", json={"items": items}) as response:
                assert response.status == 202
                run_id = (await response.json())["run_id"]
            async with http.get(f"{base}/quotes/{run_id}/events") as stream:
                kinds = [
                    line[7:].strip().decode()
                    async for line in stream.content
                    if line.startswith(b"event: ")
                ]
            assert kinds[0] == "run_started"
            assert kinds[-1] == "run_finished"
            assert "stage_progress" in kinds
            async with http.get(f"{base}/quotes/{run_id}") as response:
                body = await response.json()
            assert body["status"] == "completed"
            assert body["quote"] == {"lines": 2, "total": "11.00"}  # 1.005 -> 1.00 half-even
            async with http.post(f"{base}/quotes", json={"items": "nope"}) as response:
                assert response.status == 400
            async with http.post(f"{base}/quotes", json={"items": [{"qty": 1}]}) as response:
                bad_id = (await response.json())["run_id"]
            async with http.get(f"{base}/quotes/{bad_id}/events") as stream:
                await stream.read()
            async with http.get(f"{base}/quotes/{bad_id}") as response:
                bad = await response.json()
            assert bad["status"] == "failed"
            assert "items[0]" in bad["error"]
    finally:
        await runner.cleanup()
