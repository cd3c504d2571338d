"""``run_server``, what ``actorflow serve`` calls: a real process, stopped by SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys
    from actorflow.web import run_server
    run_server("127.0.0.1", 0, db=sys.argv[1], ready=lambda url: print(url, flush=True))
    print("stopped", flush=True)
    """
)


def test_run_server_serves_until_sigterm_then_stops_cleanly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "runs.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,  # not the repository: what the process writes stays in tmp_path
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.stderr else ""
        with urllib.request.urlopen(url + "v1/health", timeout=10) as response:
            health = json.loads(response.read())
        assert health["status"] == "healthy"
        assert health["agents_total"] >= 1
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert (tmp_path / "runs.db").exists()
