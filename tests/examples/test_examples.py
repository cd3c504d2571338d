"""Every example runs, so none of them rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, tmp_path: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=tmp_path,  # never the repository root: its actorflow/ folder would shadow the package
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
