"""The seam between ``actorflow demo`` and the bundled revenue example.

The example lives in the module ``actorflow.demo``, which is imported only when the
command runs. It must define::

    def main(*, console: rich.console.Console, output: pathlib.Path | None,
             db: pathlib.Path, run_workflow: Callable[..., int]) -> int: ...

``console`` is where people's output goes, ``output`` the ``--output`` folder (or
``None``), ``db`` the run store's file (``--db``, ``ACTORFLOW_DB`` or the default). It
returns the exit code. For the same progress display, summary and result files as
``actorflow run``, it calls the ``run_workflow`` it is given (``actorflow.cli.run_workflow``:
``run_workflow(workflow, input, db=db, output=output, console=console, agents=[...])``)
and returns what that returns; being handed it, the example never imports the CLI.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from rich.console import Console

from ._execute import run_workflow

__all__ = ["DEMO_MODULE", "demo_module", "run_demo", "variable_hints"]

DEMO_MODULE = "actorflow.demo"


def demo_module() -> ModuleType | None:
    """The demo's module; ``None`` when it is not installed."""
    try:
        return importlib.import_module(DEMO_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name is not None and DEMO_MODULE.startswith(exc.name):
            return None
        raise


def run_demo(console: Console, *, output: Path | None, db: Path) -> int | None:
    """Run the demo's ``main``; ``None`` when the demo is not installed."""
    module = demo_module()
    if module is None:
        return None
    main = getattr(module, "main", None)
    if not callable(main):
        return None
    code = main(console=console, output=output, db=db, run_workflow=run_workflow)
    return int(code or 0)


def variable_hints() -> dict[str, str]:
    """How to set the variables of the demo's written workflow, by name (``{}`` when the
    demo is not installed)."""
    module = demo_module()
    return {} if module is None else dict(getattr(module, "VARIABLE_HINTS", {}))
