"""Every problem of a workflow document in one pass, in file order.

Loading stops at the first structural error (msgspec converts a document until it
fails). Diagnosis goes on: each stage is converted on its own, a field that does not
convert is reported and left out (its default stands in) so that the rest of the stage is
still checked, and the stages that convert are checked together (agents, dependencies,
order) and, through ``check_stage``, by their agents (params).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

import msgspec

from ._errors import Problem, UnfreezableError
from ._quote import quote
from ._validate import workflow_problems
from ._workflow import StageSpec, WorkflowSpec, dec_hook

__all__ = ["every_problem"]

_AT = re.compile(r"`\$\.?(?P<path>[^`]*)`")
_FIELD = re.compile(r"^(?P<field>[A-Za-z_]\w*)")
_UNKNOWN_FIELD = re.compile(r"unknown field `(?P<field>[^`]+)`")
#: Fields of one stage or of the top level reported before giving up on it.
_MAX_TRIES = 20


def every_problem(
    raw: Mapping[str, Any],
    *,
    agents: Collection[str] | None = None,
    check_stage: Callable[[StageSpec], list[Problem]] | None = None,
) -> list[Problem]:
    """Every problem of the workflow document ``raw``: the top level's first, then each
    stage's (structure, agent, dependencies, params) in the order of the file.

    Args:
        raw: the decoded document (a TOML or JSON file's top-level table).
        agents: the agent kinds that exist; ``None`` skips that check.
        check_stage: the params check of a stage that converted (its agent's).
    """
    top = {key: value for key, value in raw.items() if key != "stages"}
    top_problems, top_fields = _convert_fields(top | {"stages": []}, WorkflowSpec, stage=None)
    raw_stages = raw.get("stages")
    if "stages" in raw and not isinstance(raw_stages, list):
        top_problems.append(Problem(field="stages", message="must be an array of tables"))
        raw_stages = []
    if top_fields is not None:
        named = WorkflowSpec(**{**top_fields, "stages": ()})
        top_problems.extend(
            p for p in workflow_problems(named) if p.stage is None and p.field != "stages"
        )
    if not raw_stages and "stages" not in {p.field for p in top_problems}:
        top_problems.append(Problem(field="stages", message="a workflow needs at least one stage"))
    by_index = _stage_problems(raw_stages or [], agents, check_stage)
    return top_problems + [p for index in sorted(by_index) for p in by_index[index]]


def _stage_problems(
    raw_stages: list[Any],
    agents: Collection[str] | None,
    check_stage: Callable[[StageSpec], list[Problem]] | None,
) -> dict[int, list[Problem]]:
    """Each stage's problems, by its index in the file."""
    by_index: dict[int, list[Problem]] = {}
    converted: list[tuple[int, StageSpec]] = []
    unconverted: set[str] = set()
    for index, item in enumerate(raw_stages):
        name = item.get("name") if isinstance(item, dict) else None
        label = name if isinstance(name, str) and name else f"#{index + 1}"
        if not isinstance(item, dict):
            by_index[index] = [Problem(stage=label, message="a stage must be a table")]
            continue
        problems, fields = _convert_fields(item, StageSpec, stage=label)
        by_index[index] = problems
        if fields is None:
            unconverted.add(label)
        else:
            converted.append((index, msgspec.convert(fields, StageSpec, dec_hook=dec_hook)))
    if not converted:
        return by_index
    index_of = {stage.name: index for index, stage in reversed(converted)}
    spec = WorkflowSpec(name="workflow", stages=tuple(stage for _, stage in converted))
    # A dependency on a stage that exists but did not convert is not a problem of its own.
    broken = {f"unknown stage {quote(name)}" for name in unconverted}
    for problem in workflow_problems(spec, agents=agents):
        if problem.stage in index_of and problem.message not in broken:
            by_index[index_of[problem.stage]].append(problem)
    if check_stage is not None:
        for index, stage in converted:
            if not any(p.field == "agent" for p in by_index[index]):
                # An agent may check again what the workflow's own validation found
                # (the processor reads its params.contract): one problem, said once.
                found = by_index[index]
                found.extend(p for p in check_stage(stage) if p not in found)
    return by_index


def _convert_fields(
    item: dict[str, Any], kind: type[msgspec.Struct], *, stage: str | None
) -> tuple[list[Problem], dict[str, Any] | None]:
    """Problems of converting ``item`` to ``kind``, a field at a time, and the fields
    that convert (``None`` when a required one is missing or broken)."""
    problems: list[Problem] = []
    fields = dict(item)
    for _ in range(_MAX_TRIES):
        try:
            msgspec.convert(fields, kind, dec_hook=dec_hook)
        except msgspec.ValidationError as exc:
            text = str(exc)
            message = text.split(" - at ", maxsplit=1)[0]
            unknown = _UNKNOWN_FIELD.search(message)
            at = _AT.search(text)
            path = unknown.group("field") if unknown else at.group("path") if at else ""
            top = _FIELD.match(path)
            key = top.group("field") if top else None
            problems.append(Problem(stage=stage, field=path or None, message=message))
            if key is None or key not in fields or key in {"name", "agent"}:
                return problems, None
            del fields[key]
        except (UnfreezableError, TypeError, ValueError) as exc:
            problems.append(Problem(stage=stage, field="params", message=str(exc)))
            fields.pop("params", None)
        else:
            return problems, fields
    return problems, None
