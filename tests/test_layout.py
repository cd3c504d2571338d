"""The layout holds: each layer imports only the layers below it, and the checkout imports
as the package.

The layers, bottom up, are the top-level folders ``contracts/``, ``bus/``, ``actors/`` and
``agents/`` (``actorflow.contracts`` ... ``actorflow.agents``); everything else under
``actorflow`` (cli, web, store, client, demo, backends, the runtime, the package's own
``__init__``) is the shell, which no layer imports. Imports are read with :mod:`ast`, so
those inside functions and ``if TYPE_CHECKING:`` blocks count too, and relative imports
are resolved against the module's own package.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import REPO

#: Bottom up; a layer may import itself and the layers before it.
LAYERS = ("contracts", "bus", "actors", "agents")
SHELL = "the shell"


def allowed(layer: str) -> set[str]:
    return set(LAYERS[: LAYERS.index(layer) + 1])


def module_name(path: Path, root: Path) -> tuple[str, bool]:
    """The dotted name of ``root/<layer>/.../path`` under ``actorflow``, and whether it is
    a package's ``__init__``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(["actorflow", *parts]), is_package


def layer_of(name: str) -> str | None:
    """The layer a module belongs to, :data:`SHELL` for the rest of ``actorflow``, or
    ``None`` for modules that are not ours."""
    parts = name.split(".")
    if parts[0] != "actorflow":
        return None
    if len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    return SHELL


def imported_modules(tree: ast.Module, name: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module an import statement anywhere in ``tree`` names, with its line."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                if node.level - 1 >= len(anchor):
                    raise AssertionError(f"{name}:{node.lineno}: relative import beyond the top")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            if base == "actorflow":
                # ``from actorflow import x``: x is a layer, or a name of the shell.
                for alias in node.names:
                    yield node.lineno, f"actorflow.{alias.name}"
            else:
                yield node.lineno, base


def violations(source: str, path: str, name: str, is_package: bool) -> list[str]:
    """The imports of one module that reach above its layer, as ``path:line: ...``."""
    layer = layer_of(name)
    assert layer in LAYERS, name
    tree = ast.parse(source, filename=path)
    found = []
    for line, imported in imported_modules(tree, name, is_package):
        target = layer_of(imported)
        if target is not None and target not in allowed(layer):
            found.append((line, f"{path}:{line}: {layer} imports {imported} ({target})"))
    return [message for _, message in sorted(found)]


def layer_files(layer: str) -> list[Path]:
    return sorted((REPO / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_itself_and_the_layers_below(layer: str) -> None:
    files = layer_files(layer)
    assert files, f"no module found under {REPO / layer}"
    found = []
    for path in files:
        name, is_package = module_name(path, REPO)
        relative = str(path.relative_to(REPO))
        found += violations(path.read_text(encoding="utf-8"), relative, name, is_package)
    assert found == [], "\n".join(found)


def test_the_check_sees_imports_in_functions_type_checking_blocks_and_relative_ones() -> None:
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
import polars
from actorflow.contracts import Event
from . import _values
from .. import contracts
if TYPE_CHECKING:
    from actorflow.web import Settings
def late():
    import actorflow.bus.signals
    from ... import store
    from ...actors import Agent
    from actorflow import Runtime, agents
"""
    found = violations(source, "x.py", "actorflow.contracts.sub.x", is_package=False)

    assert found == [
        "x.py:9: contracts imports actorflow.web (the shell)",
        "x.py:11: contracts imports actorflow.bus.signals (bus)",
        "x.py:12: contracts imports actorflow.store (the shell)",
        "x.py:13: contracts imports actorflow.actors (actors)",
        "x.py:14: contracts imports actorflow.Runtime (the shell)",
        "x.py:14: contracts imports actorflow.agents (agents)",
    ]


def test_relative_imports_resolve_against_the_package_of_an_init() -> None:
    # In agents/extraction/__init__.py, ``..`` is actorflow.agents and ``...`` is actorflow.
    source = "from .. import rules\nfrom ...web import Settings\nfrom ... import actors\n"
    found = violations(
        source, "agents/extraction/__init__.py", "actorflow.agents.extraction", is_package=True
    )

    assert found == [
        "agents/extraction/__init__.py:2: agents imports actorflow.web (the shell)",
    ]


IMPORT_CHECK = """
import json, actorflow, actorflow.actors, actorflow.agents.extraction
print(json.dumps({"actors": actorflow.actors.__file__, "extraction":
    actorflow.agents.extraction.__file__}))
"""


@pytest.mark.parametrize("where", ["repository root", "another folder"])
def test_the_package_and_its_layers_import_from_the_root_and_from_elsewhere(
    where: str, tmp_path: Path
) -> None:
    cwd = REPO if where == "repository root" else tmp_path
    # No PYTHONPATH: elsewhere, only the install can find the package.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    files = json.loads(done.stdout)
    if where == "repository root":
        # The checkout is the package: its actorflow/actors is the top-level actors/.
        actors = Path(files["actors"]).resolve()
        assert actors == REPO / "actors" / "__init__.py", actors
        assert Path(files["extraction"]).resolve().is_relative_to(REPO / "agents")


CLIENT_IMPORT = """
import json, sys
import actorflow.client
heavy = ["pykka", "aiohttp.web", "actorflow._runtime", "actorflow.web", "actorflow.store",
         "actorflow.actors", "actorflow.bus"]
print(json.dumps([name for name in heavy if name in sys.modules]))
"""


def test_the_http_client_loads_neither_the_server_nor_the_runtime_nor_the_store(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CLIENT_IMPORT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_the_package_still_gives_every_public_name_on_first_use() -> None:
    code = (
        "import actorflow, json; "
        "print(json.dumps([n for n in actorflow.__all__ if getattr(actorflow, n, None) is None]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
