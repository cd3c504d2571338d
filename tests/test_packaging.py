"""What a new user installs: ``make demo`` takes the runtime dependencies only, and a wheel
built from the checkout works from an empty folder, its data and static files inside.

The wheel goes into a venv of its own with ``--no-deps --no-index`` (no network); the
venv finds the dependencies through a ``.pth`` line naming this venv's site-packages,
after its own, so ``actorflow`` itself can only come from the wheel (a ``.pth`` file is
read in a site folder only: this venv's editable-install hook is never run there).
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import site
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import REPO


def test_make_demo_installs_the_package_without_extras(tmp_path: Path) -> None:
    plan = subprocess.run(
        ["make", "-n", "-B", "demo", f"VENV={tmp_path / 'venv'}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installs = [line for line in plan.splitlines() if " install " in line]
    assert installs, plan
    assert all("[" not in line and "-e " not in line for line in installs), installs
    assert any(re.search(r"\s\.(\s|$)", line) for line in installs), installs


#: pip options for installing the wheel alone, from the file, with nothing downloaded.
LOCAL = ("--no-deps", "--no-index", "--no-compile")


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding the wheel built from the checkout (and nothing else of ours)."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(root), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = root.glob("actorflow-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for inside in (
        "actorflow/demo/revenue.toml",
        "actorflow/demo/data/audiomax.csv",
        "actorflow/demo/data/megaphone_pages/page_1.json",
        "actorflow/web/static/index.html",
        "actorflow/contracts/__init__.py",
        "actorflow/agents/__init__.py",
    ):
        assert inside in names, f"the wheel lacks {inside}"
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", *LOCAL, str(wheel)],
        check=True,
        capture_output=True,
    )
    own = subprocess.run(
        [str(python), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(own) / "zz_dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8"
    )
    return venv


def wheel_env() -> dict[str, str]:
    """The environment of a user's shell: no PYTHONPATH pointing into the checkout."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "ACTORFLOW_DB"}}


@pytest.mark.slow
def test_the_wheel_imports_actorflow_from_itself(wheel_venv: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(wheel_venv / "bin" / "python"), "-c", "import actorflow; print(actorflow.__file__)"],
        cwd=tmp_path,
        env=wheel_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(wheel_venv), where


@pytest.mark.slow
def test_actorflow_demo_runs_from_the_wheel_in_an_empty_folder(
    wheel_venv: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [str(wheel_venv / "bin" / "actorflow"), "--db", "runs.db", "demo", "--output", "out"],
        cwd=tmp_path,
        env=wheel_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "completed" in result.stdout
    assert (tmp_path / "out").is_dir() and any((tmp_path / "out").rglob("*.svg"))


@contextlib.contextmanager
def serving(command: list[str], folder: Path) -> Iterator[str]:
    """Run ``actorflow serve`` from ``folder``; yield its URL; stop it at the end."""
    process = subprocess.Popen(
        command,
        cwd=folder,
        env=wheel_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        ready, _, _ = select.select([process.stdout], [], [], 120)
        line = process.stdout.readline() if ready else ""
        if "serving on " not in line:
            process.kill()
            raise AssertionError(f"serve did not start: {line}{process.stderr.read()}")
        yield line.split("serving on ", 1)[1].split()[0].rstrip("/")
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.mark.slow
def test_serve_demo_from_the_wheel_serves_the_dashboard(wheel_venv: Path, tmp_path: Path) -> None:
    command = [str(wheel_venv / "bin" / "actorflow"), "--db", "runs.db"]
    with serving([*command, "serve", "--demo", "--port", "0"], tmp_path) as url:
        with urllib.request.urlopen(f"{url}/", timeout=30) as page:
            html = page.read().decode()
        assert "<html" in html.lower()
        for asset in ("app.js", "app.css"):
            assert f"{asset}" in html
        with urllib.request.urlopen(f"{url}/v1/health", timeout=30) as health:
            assert health.status == 200
