"""Bad input around the Ray backend: a clear error before anything runs, never a hang."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ray")  # the Ray suite: skipped where Ray is not installed

from actorflow import AgentUnavailableError, BackendUnavailableError, Runtime
from actorflow.backends.ray import RayBackend
from tests.backends.ray.ray_agents import FailsSetup, WhereAmI

pytestmark = pytest.mark.ray


def run_python(code: str, cwd: Path, timeout: float = 120) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter (no Ray connected yet); it prints one JSON line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"RAY_USAGE_STATS_ENABLED": "0", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}"
    return json.loads(lines[-1])  # type: ignore[no-any-return]


@pytest.fixture
def no_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import ray`` fails, as when Ray is not installed."""
    monkeypatch.setitem(sys.modules, "ray", None)


def test_a_ray_runtime_without_ray_installed_fails_at_once_saying_how_to_install_it(
    no_ray: None,
) -> None:
    with pytest.raises(BackendUnavailableError, match=r"pip install 'actorflow\[ray\]'"):
        Runtime(backend="ray")


def test_placing_an_agent_on_ray_without_ray_installed_fails_at_registration(
    no_ray: None,
) -> None:
    with Runtime() as rt:
        with pytest.raises(BackendUnavailableError, match=r"agent 'heavy'.*needs Ray"):
            rt.register_agent("heavy", WhereAmI, backend="ray")
        assert "heavy" not in rt.agent_names


def test_the_pykka_backend_runs_without_importing_ray(tmp_path: Path) -> None:
    result = run_python(
        """
        import json, sys
        sys.modules["ray"] = None  # as if not installed
        from actorflow import Agent, Runtime
        class One(Agent):
            def perform(self, request):
                return 1
        with Runtime() as rt:
            rt.register_agent("one", One)
            status = rt.run({"name": "w", "stages": [{"name": "a", "agent": "one"}]}).status
        print(json.dumps({"status": status, "ray": sys.modules["ray"] is not None}))
        """,
        tmp_path,
    )
    assert result == {"status": "completed", "ray": False}


def test_an_unreachable_cluster_address_fails_at_start_up_within_seconds(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_python(
        f"""
        import json, time
        from actorflow import BackendUnavailableError, Runtime
        from actorflow.backends.ray import RayBackend
        rt = Runtime(backend=RayBackend("127.0.0.1:{port}"))
        t0 = time.monotonic()
        try:
            rt.start()
            print(json.dumps({{"error": None}}))
        except BackendUnavailableError as exc:
            print(json.dumps({{"error": str(exc), "s": time.monotonic() - t0}}))
        """,
        tmp_path,
    )
    assert result["error"] is not None
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in result["error"]
    assert "ray start --head" in result["error"]
    assert result["s"] < 10


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (not a Ray head)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        server.close()


def test_an_address_that_is_not_a_ray_head_fails_within_the_connect_timeout(
    tmp_path: Path, silent_server: int
) -> None:
    started = time.monotonic()
    result = run_python(
        f"""
        import json, os, time
        from actorflow import BackendUnavailableError, Runtime
        from actorflow.backends.ray import RayBackend
        rt = Runtime(backend=RayBackend("127.0.0.1:{silent_server}", connect_timeout_s=3))
        t0 = time.monotonic()
        try:
            rt.start()
            print(json.dumps({{"error": None}}), flush=True)
        except BackendUnavailableError as exc:
            print(json.dumps({{"error": str(exc), "s": time.monotonic() - t0}}), flush=True)
        os._exit(0)  # Ray's own connection attempt is still retrying in its thread
        """,
        tmp_path,
    )
    assert result["error"] is not None
    assert "could not connect to the Ray cluster at 127.0.0.1" in result["error"]
    assert "within 3s" in result["error"]
    assert 2.5 < result["s"] < 10
    assert time.monotonic() - started < 60


def test_an_address_other_than_the_connected_cluster_is_refused(ray_cluster: Any) -> None:
    rt = Runtime(backend=RayBackend("10.255.255.1:6379"))
    with pytest.raises(BackendUnavailableError, match="already connected to the Ray cluster"):
        rt.start()
    assert not rt.running


def test_an_agent_the_workers_cannot_import_fails_its_registration(
    ray_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Importable here (tmp_path is on this process's path) but not on the workers.
    (tmp_path / "only_on_the_driver.py").write_text(
        "from actorflow import Agent\n"
        "class Local(Agent):\n"
        "    def perform(self, request):\n"
        "        return 1\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from only_on_the_driver import Local  # type: ignore[import-not-found]

    with Runtime() as rt:
        with pytest.raises(AgentUnavailableError) as info:
            rt.register_agent("local", Local, backend="ray")
        assert "agent 'local' could not start on Ray" in str(info.value)
        assert "only_on_the_driver" in str(info.value)
        assert "local" not in rt.agent_names
    monkeypatch.delitem(sys.modules, "only_on_the_driver")


def test_an_agent_whose_setup_fails_on_ray_fails_its_registration(ray_cluster: Any) -> None:
    with Runtime() as rt, pytest.raises(AgentUnavailableError, match=r"no database at db\.example"):
        rt.register_agent("db", FailsSetup, backend="ray")
