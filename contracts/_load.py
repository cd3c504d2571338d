"""Loading workflows from TOML, JSON or a plain dict, with errors that say where."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import msgspec

from ._errors import Problem, UnfreezableError, WorkflowValidationError
from ._nesting import MAX_DEPTH, too_deep
from ._quote import quote
from ._seed import translate_seed_vocabulary
from ._validate import validate_workflow
from ._workflow import WorkflowSpec, dec_hook

_PATH = re.compile(r"`\$(?P<path>[^`]*)`")
_STAGE_INDEX = re.compile(r"^\.stages\[(?P<index>\d+)\](?:\.(?P<field>[A-Za-z_]+))?(?P<rest>.*)$")


def load_workflow(
    source: str | Path | Mapping[str, Any] | WorkflowSpec,
    *,
    agents: Collection[str] | None = None,
) -> WorkflowSpec:
    """Load and validate a workflow.

    A file or dict may use the seed's vocabulary beside actorflow's (``timeout``,
    ``retry_count``, ``agent_name``, ``task_template``, ``global_timeout``,
    ``workflow_name``, ``parallel_execution_enabled``, the seed's switches, and the agent
    names ``data_extractor``, ``data_processor``, ``insights_generator``): see
    ``translate_seed_vocabulary``.

    Args:
        source: a path to a ``.toml`` or ``.json`` file, a dict shaped like the file, or
            an already built ``WorkflowSpec`` (only validated).
        agents: agent kinds that exist; when given, unknown agents are reported.

    Raises:
        WorkflowValidationError: naming the file, the stage and the field at fault.
    """
    if isinstance(source, WorkflowSpec):
        return validate_workflow(source, agents=agents)
    if isinstance(source, Mapping):
        return _convert(dict(source), agents=agents, origin=None)
    path = Path(source)
    origin = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorkflowValidationError(
            [Problem(message=f"cannot read workflow file: {exc.strerror or exc}")], source=origin
        ) from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            raw = msgspec.toml.decode(data)
        elif suffix == ".json":
            raw = msgspec.json.decode(data)
        else:
            raise WorkflowValidationError(
                [
                    Problem(
                        message=f"unknown workflow format {quote(suffix or '(none)')}; "
                        "use .toml or .json"
                    )
                ],
                source=origin,
            )
    except msgspec.DecodeError as exc:
        raise WorkflowValidationError(
            [Problem(message=f"not valid {suffix[1:]}: {exc}")], source=origin
        ) from exc
    except RecursionError:  # the decoders recurse: thousands of levels exhaust the stack
        raise WorkflowValidationError([_too_deep_problem(None)], source=origin) from None
    if not isinstance(raw, dict):
        raise WorkflowValidationError(
            [Problem(message="the top level must be a table/object")], source=origin
        )
    return _convert(raw, agents=agents, origin=origin)


def _convert(
    raw: dict[str, Any], *, agents: Collection[str] | None, origin: str | None
) -> WorkflowSpec:
    deep = too_deep(raw)
    if deep is not None:
        raise WorkflowValidationError([_too_deep_problem(deep)], source=origin)
    try:
        raw, renamed = translate_seed_vocabulary(raw, agents=agents)
    except WorkflowValidationError as exc:
        raise WorkflowValidationError(exc.problems, source=origin) from None
    try:
        spec = msgspec.convert(raw, WorkflowSpec, dec_hook=dec_hook)
    except msgspec.ValidationError as exc:
        raise WorkflowValidationError([_problem_from(exc, raw, renamed)], source=origin) from exc
    except UnfreezableError as exc:  # a param value that cannot be frozen
        raise WorkflowValidationError([Problem(message=str(exc))], source=origin) from exc
    return validate_workflow(spec, agents=agents, source=origin)


def _too_deep_problem(where: str | None) -> Problem:
    return Problem(
        field=where, message=f"nested more than {MAX_DEPTH} levels deep (objects and arrays)"
    )


def _problem_from(
    exc: msgspec.ValidationError, raw: dict[str, Any], renamed: dict[str, str]
) -> Problem:
    """Turn msgspec's ``... - at `$.stages[1].agent``` into a stage name and a field.

    A field renamed from the seed's vocabulary is named as it was written.
    """
    text = str(exc)
    match = _PATH.search(text)
    message = text.split(" - at ", maxsplit=1)[0]
    if not match:
        return Problem(message=message)
    path = match.group("path")
    written = renamed.get(f"${path}")
    if written is not None:
        path = written[1:]
    stage_match = _STAGE_INDEX.match(path)
    if stage_match:
        index = int(stage_match.group("index"))
        stages = raw.get("stages")
        stage_name = f"#{index + 1}"
        if isinstance(stages, list) and index < len(stages) and isinstance(stages[index], dict):
            name = stages[index].get("name")
            if isinstance(name, str):
                stage_name = name
        field = stage_match.group("field")
        if field and stage_match.group("rest"):
            field += stage_match.group("rest")
        if field is None and "unknown field" in message:
            field = message.split("`")[1] if "`" in message else None
        return Problem(stage=stage_name, field=field, message=message)
    field = path.lstrip(".") or None
    if field is None and "unknown field" in message and "`" in message:
        field = message.split("`")[1]
    return Problem(field=field, message=message)
