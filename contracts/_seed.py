"""The seed's workflow vocabulary, translated into actorflow's.

The seed document configures workflows with names of its own (``timeout``,
``retry_count``, ``global_timeout``, ``agent_name``, ``data_extractor``...). Workflow
files and the API's ``workflow_config`` accept them: this module renames them to
actorflow's before a workflow is decoded, and remembers what it renamed so that an error
about a renamed field names the field as it was written.

Giving a seed name and its actorflow twin together is an error naming both: which one
was meant cannot be guessed. The seed's switches (``enable_progress_tracking`` and the
like) ask for what actorflow always does, so they are checked (a bool or null) and dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ._errors import Problem, WorkflowValidationError
from ._quote import quote

#: The seed's agent names, and the built-in agents they name.
SEED_AGENT_NAMES: Mapping[str, str] = {
    "data_extractor": "extractor",
    "data_processor": "processor",
    "insights_generator": "insights",
}
#: Stage fields: the seed's name -> actorflow's.
SEED_STAGE_FIELDS: Mapping[str, str] = {
    "agent_name": "agent",
    "task_template": "task",
    "timeout": "timeout_s",
    "retry_count": "retries",
}
#: Workflow fields: the seed's name -> actorflow's.
SEED_WORKFLOW_FIELDS: Mapping[str, str] = {
    "workflow_name": "name",
    "global_timeout": "timeout_s",
    "parallel_execution_enabled": "parallel",
}
#: The seed's switches: accepted, and without effect (actorflow always does these).
SEED_SWITCHES: tuple[str, ...] = (
    "enable_progress_tracking",
    "progress_tracking_enabled",
    "context_sharing_enabled",
    "error_recovery_enabled",
)


def translate_seed_vocabulary(
    raw: Mapping[str, Any], *, agents: Collection[str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """``raw`` (a workflow as a dict) with the seed's names replaced by actorflow's.

    Args:
        raw: a workflow shaped like a workflow file; its stages too are translated.
        agents: the registered agent kinds, when known: a seed agent name that is
            registered under its own name (an agent of the user's) is left alone.

    Returns:
        The translated workflow (a new dict; ``raw`` is not changed), and what was
        renamed, as msgspec paths: ``{"$.stages[0].timeout_s": "$.stages[0].timeout"}``.

    Raises:
        WorkflowValidationError: a seed name given with its twin, or a switch that is
            not a bool.
    """
    problems: list[Problem] = []
    renamed: dict[str, str] = {}
    out = _rename(raw, SEED_WORKFLOW_FIELDS, "$", None, problems=problems, renamed=renamed)
    for switch in SEED_SWITCHES:
        if switch in out:
            value = out.pop(switch)
            if value is not None and not isinstance(value, bool):
                problems.append(
                    Problem(
                        field=switch,
                        message=f"Expected `bool`, got `{_json_type(value)}` (the seed's "
                        f"switch {switch} is true or false)",
                    )
                )
    stages = out.get("stages")
    if isinstance(stages, list):
        translated = []
        for index, stage in enumerate(stages):
            if not isinstance(stage, Mapping):
                translated.append(stage)
                continue
            name = stage.get("name")
            label = name if isinstance(name, str) else f"#{index + 1}"
            new = _rename(
                stage,
                SEED_STAGE_FIELDS,
                f"$.stages[{index}]",
                label,
                problems=problems,
                renamed=renamed,
            )
            agent = new.get("agent")
            if (
                isinstance(agent, str)
                and agent in SEED_AGENT_NAMES
                and (agents is None or agent not in agents)
            ):
                new["agent"] = SEED_AGENT_NAMES[agent]
            translated.append(new)
        out["stages"] = translated
    if problems:
        raise WorkflowValidationError(problems)
    return out, renamed


def _rename(
    raw: Mapping[str, Any],
    names: Mapping[str, str],
    path: str,
    stage: str | None,
    *,
    problems: list[Problem],
    renamed: dict[str, str],
) -> dict[str, Any]:
    out = dict(raw)
    for seed, ours in names.items():
        if seed not in out:
            continue
        if ours in out:
            problems.append(
                Problem(
                    stage=stage,
                    field=seed,
                    message=f"give {quote(seed)} (the seed's name) or {quote(ours)}, not both: "
                    "they are the same setting",
                )
            )
            continue
        out[ours] = out.pop(seed)
        renamed[f"{path}.{ours}"] = f"{path}.{seed}"
    return out


def _json_type(value: object) -> str:
    if isinstance(value, str):
        return "str"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__
