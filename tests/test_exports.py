"""The public names of each package are exactly the documented ones (docs/public-api.md),
each exists, and the actor machinery stays out of the packages users import."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "public-api.md"

# Internals that once leaked into the public surface; they must stay out of it.
INTERNALS = {
    "actorflow.actors": {"Coordinator", "AgentActor", "AddPool", "StartRun", "Shutdown"},
    "actorflow.bus": {"fast_inbox", "context_vars", "TimerService", "ProgressReporter"},
}


def documented() -> dict[str, set[str]]:
    """Module name -> the names docs/public-api.md lists under its heading."""
    modules: dict[str, set[str]] = {}
    current: str | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"## `([\w.]+)`", line)
        if heading:
            current = heading.group(1)
            modules[current] = set()
        elif current is not None and line.startswith("`"):
            modules[current] |= set(re.findall(r"`([^`]+)`", line))
    return modules


DOCUMENTED = documented()


def test_the_page_documents_the_packages_users_import() -> None:
    assert {"actorflow", "actorflow.actors", "actorflow.bus", "actorflow.contracts"} <= set(
        DOCUMENTED
    )


@pytest.mark.parametrize("module_name", sorted(DOCUMENTED))
def test_a_module_exports_exactly_its_documented_names(module_name: str) -> None:
    if module_name == "actorflow.backends.ray":
        pytest.importorskip("ray")
    module = importlib.import_module(module_name)
    exported = set(getattr(module, "__all__", ()))
    assert exported == DOCUMENTED[module_name], (
        f"{module_name}: exported but not documented {sorted(exported - DOCUMENTED[module_name])}"
        f", documented but not exported {sorted(DOCUMENTED[module_name] - exported)}"
    )
    missing = [name for name in exported if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ names what it does not define: {missing}"


@pytest.mark.parametrize("module_name", sorted(INTERNALS))
def test_the_actor_machinery_is_not_exported_to_users(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert not INTERNALS[module_name] & set(module.__all__)
