"""``${NAME}`` in a workflow file's text values, filled in from the environment.

A workflow file can leave what differs between machines (an API's URL, a data folder) to
the environment: ``url = "${MEGAPHONE_URL}"``. ``actorflow run`` and ``actorflow
validate`` fill each one in; an unset one is an error naming the variable, the stage and
field that use it, and how to set it. Files without variables are passed on untouched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from actorflow._validation import WorkflowSource, workflow_document
from actorflow.contracts import Problem, WorkflowValidationError

__all__ = ["expand_variables"]

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_variables(
    workflow: WorkflowSource, environ: Mapping[str, str] | None = None
) -> WorkflowSource:
    """The workflow with its ``${NAME}`` variables filled in from ``environ``.

    Raises:
        WorkflowValidationError: a variable that is not set, one problem each, naming the
            variable, where it is used and how to set it.
    """
    if not isinstance(workflow, (str, Path)):
        return workflow
    path = Path(workflow)
    raw = workflow_document(path)
    if not isinstance(raw, dict) or not _VARIABLE.search(msgspec.json.encode(raw).decode()):
        return workflow
    env = os.environ if environ is None else environ
    missing: list[Problem] = []

    def fill(value: Any, stage: str | None, where: str) -> Any:
        if isinstance(value, str):
            missing.extend(
                _unset(name, stage, where, path)
                for name in dict.fromkeys(_VARIABLE.findall(value))
                if name not in env
            )
            return _VARIABLE.sub(lambda m: env.get(m.group(1), m.group(0)), value)
        if isinstance(value, dict):
            return {k: fill(v, stage, f"{where}.{k}" if where else k) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v, stage, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    expanded: dict[str, Any] = fill(
        {key: value for key, value in raw.items() if key != "stages"}, None, ""
    )
    stages = raw.get("stages")
    if isinstance(stages, list):
        expanded["stages"] = [
            fill(item, str(item.get("name")) if isinstance(item, dict) else None, "")
            for item in stages
        ]
    if missing:
        raise WorkflowValidationError(missing, source=str(path))
    return expanded


def _unset(name: str, stage: str | None, where: str, path: Path) -> Problem:
    # Lazy: _demo hands the demo _execute's run_workflow, and _execute uses this module.
    from ._demo import variable_hints  # noqa: PLC0415

    how = variable_hints().get(name)
    return Problem(
        stage=stage,
        field=where or None,
        message=f"uses ${{{name}}}, and the environment variable {name} is not set: "
        f"set it first (export {name}=... or {name}=... actorflow run {path})"
        + (f"; {how}" if how else ""),
    )
