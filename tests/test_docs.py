"""The documentation site builds with ``--strict`` (a broken link or reference fails it),
holds the pages the README points to, and its tutorial works as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import REPO

MKDOCS = Path(sys.executable).parent / "mkdocs"
TUTORIAL = REPO / "docs" / "tutorial" / "first-workflow.md"
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MKDOCS), "build", "--strict", "-f", str(config), "--site-dir", str(site)],
        cwd=config.parent,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_the_site_builds_strictly_with_the_reference_from_the_docstrings(tmp_path: Path) -> None:
    done = build(REPO / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stderr
    reference = (tmp_path / "site" / "reference" / "actorflow" / "index.html").read_text()
    assert "Runtime" in reference and "register_agent" in reference  # from the docstrings
    assert (tmp_path / "site" / "public-api" / "index.html").exists()
    for page in ("own-agent", "embedding-aiohttp", "progress-events", "ray", "web-api"):
        assert (tmp_path / "site" / "how-to" / page / "index.html").exists(), page
    assert (tmp_path / "site" / "architecture" / "index.html").exists()


@pytest.mark.slow
def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(REPO / "docs", copy / "docs")
    shutil.copytree(REPO / "examples", copy / "examples")
    shutil.copy(REPO / "mkdocs.yml", copy / "mkdocs.yml")
    index = copy / "docs" / "index.md"
    index.write_text(index.read_text() + "\nSee [nowhere](no-such-page.md).\n")
    done = build(copy / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "no-such-page.md" in done.stderr


def test_the_readme_links_into_the_site() -> None:
    readme = (REPO / "README.md").read_text()
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (REPO / link).exists(), link
    assert "docs/tutorial/first-workflow.md" in readme


def test_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    text = TUTORIAL.read_text()
    files = re.findall(r'```\w+ title="([^"]+)"\n(.*?)```', text, re.DOTALL)
    assert {name for name, _ in files} == {"sales.csv", "agents.py", "sales.toml", "run_sales.py"}
    for name, body in files:
        (tmp_path / name).write_text(body, encoding="utf-8")
    env = {**os.environ, "ACTORFLOW_DB": str(tmp_path / "runs.db")}
    env.pop("PYTHONPATH", None)
    actorflow = str(Path(sys.executable).parent / "actorflow")
    for command in (
        [actorflow, "validate", "sales.toml", "--agents", "agents:register"],
        [actorflow, "run", "sales.toml", "--agents", "agents:register", "--output", "results"],
        [sys.executable, "run_sales.py"],
    ):
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert "completed {'north': Decimal('15.60'), 'south': Decimal('7.25')}" in done.stdout
    assert (tmp_path / "results").is_dir()
