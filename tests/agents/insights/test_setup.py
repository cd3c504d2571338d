"""The insights agent loads its plotting library when its actor starts, never fatally."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from actorflow.agents.insights import InsightsAgent, _agent


def test_setup_loads_the_plotting_library(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[bool] = []
    monkeypatch.setattr(_agent, "load_matplotlib", lambda: loaded.append(True))
    InsightsAgent().setup()
    assert loaded == [True]


def test_a_broken_plotting_library_does_not_stop_the_agent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> None:
        raise ImportError("matplotlib is broken")

    monkeypatch.setattr(_agent, "load_matplotlib", broken)
    assert InsightsAgent().setup() is None  # charts report it when they are drawn


def test_the_plotting_library_loads_on_demand_not_with_the_package(tmp_path: Path) -> None:
    # A fresh interpreter (this one has imported matplotlib long ago), outside the source
    # folder so that the installed package is the one imported.
    script = (
        "import sys\n"
        "from actorflow.agents.insights import _agent\n"
        "used = {'matplotlib.figure', 'matplotlib.ticker', 'matplotlib.backends.backend_svg'}\n"
        "assert not used & set(sys.modules), 'imported with the package'\n"
        "_agent.load_matplotlib()\n"
        "assert used <= set(sys.modules), 'not loaded'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
