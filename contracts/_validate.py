"""Static checks of a workflow, done before anything runs (scheduling rule 6)."""

from __future__ import annotations

import math
from collections.abc import Collection

from ._errors import Problem, WorkflowValidationError
from ._quote import MAX_ITEMS, listing, quote
from ._table_codec import contract_problems
from ._workflow import StageSpec, WorkflowSpec, name_is_valid


def workflow_problems(
    spec: WorkflowSpec, *, agents: Collection[str] | None = None
) -> list[Problem]:
    """Return every problem of ``spec``; an empty list means it may run.

    Args:
        spec: the workflow.
        agents: the agent kinds that exist; ``None`` skips that check.
    """
    problems: list[Problem] = []
    if not name_is_valid(spec.name):
        problems.append(Problem(field="name", message=f"invalid workflow name {quote(spec.name)}"))
    if not spec.stages:
        problems.append(Problem(field="stages", message="a workflow needs at least one stage"))
    if spec.timeout_s is not None and not (spec.timeout_s > 0 and math.isfinite(spec.timeout_s)):
        problems.append(Problem(field="timeout_s", message="must be a positive number of seconds"))

    position: dict[str, int] = {}
    for index, stage in enumerate(spec.stages):
        if stage.name in position:
            problems.append(Problem(stage=stage.name, field="name", message="duplicate stage name"))
        else:
            position[stage.name] = index
        problems.extend(_stage_problems(stage, agents))

    for stage in spec.stages:
        for dep in stage.depends_on:
            if dep not in position:
                problems.append(
                    Problem(
                        stage=stage.name, field="depends_on", message=f"unknown stage {quote(dep)}"
                    )
                )
            elif dep == stage.name:
                problems.append(
                    Problem(stage=stage.name, field="depends_on", message="depends on itself")
                )
    if problems:
        return problems

    cycle = find_cycle(spec)
    if cycle:
        path = listing([*cycle, cycle[0]], sep=" -> ")
        size = f" of {len(cycle):,} stages" if len(cycle) >= MAX_ITEMS else ""
        problems.append(
            Problem(stage=cycle[0], field="depends_on", message=f"dependency cycle{size}: {path}")
        )
        return problems
    problems.extend(_order_problems(spec, position))
    return problems


def _stage_problems(stage: StageSpec, agents: Collection[str] | None) -> list[Problem]:
    out: list[Problem] = []
    if not name_is_valid(stage.name):
        out.append(Problem(stage=stage.name, field="name", message="invalid stage name"))
    if not name_is_valid(stage.agent):
        out.append(Problem(stage=stage.name, field="agent", message="invalid agent name"))
    elif agents is not None and stage.agent not in agents:
        known = listing(sorted(agents)) or "none registered"
        out.append(
            Problem(
                stage=stage.name,
                field="agent",
                message=f"unknown agent {quote(stage.agent)} (known: {known})",
            )
        )
    if stage.timeout_s is not None and not (stage.timeout_s > 0 and math.isfinite(stage.timeout_s)):
        out.append(Problem(stage=stage.name, field="timeout_s", message="must be positive"))
    if stage.retries < 0:
        out.append(Problem(stage=stage.name, field="retries", message="must be 0 or more"))
    ttl = stage.cache_ttl_s
    if ttl is not None and not (ttl > 0 and math.isfinite(ttl)):
        out.append(
            Problem(stage=stage.name, field="cache_ttl_s", message="must be a positive number")
        )
    for field in ("retry_backoff_s", "retry_backoff_max_s"):
        value = getattr(stage, field)
        if not (value >= 0 and math.isfinite(value)):
            out.append(Problem(stage=stage.name, field=field, message="must be 0 or more"))
    if len(set(stage.depends_on)) != len(stage.depends_on):
        out.append(Problem(stage=stage.name, field="depends_on", message="lists a stage twice"))
    if "contract" in stage.params:
        # ``params.contract`` is a table contract for every agent: checked here, so a
        # bad one is reported with the workflow's other problems, before anything runs.
        _, problems = contract_problems(
            stage.params["contract"], stage=stage.name, where="params.contract"
        )
        out.extend(problems)
    return out


def find_cycle(spec: WorkflowSpec) -> list[str]:
    """Return the stages of one dependency cycle, in dependency order, or ``[]``."""
    deps = {s.name: s.depends_on for s in spec.stages}
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(deps, white)
    for root in deps:
        if colour[root] != white:
            continue
        # Iterative DFS: workflows can be deep enough to hit the recursion limit.
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                colour[node] = grey
                path.append(node)
            children = [d for d in deps[node] if d in deps]
            if i < len(children):
                stack.append((node, i + 1))
                child = children[i]
                if colour[child] == grey:
                    return path[path.index(child) :]
                if colour[child] == white:
                    stack.append((child, 0))
            else:
                colour[node] = black
                path.pop()
    return []


def _order_problems(spec: WorkflowSpec, position: dict[str, int]) -> list[Problem]:
    """Declaration order must agree with dependencies, groups included."""
    out: list[Problem] = []
    group_start: dict[str, int] = {}
    members: dict[str, set[str]] = {}
    for index, stage in enumerate(spec.stages):
        if stage.parallel_group is not None:
            group_start.setdefault(stage.parallel_group, index)
            members.setdefault(stage.parallel_group, set()).add(stage.name)
    for index, stage in enumerate(spec.stages):
        starts_at = index
        if stage.parallel_group is not None and not spec.parallel:
            starts_at = group_start[stage.parallel_group]
        for dep in stage.depends_on:
            if stage.parallel_group is not None and dep in members[stage.parallel_group]:
                out.append(
                    Problem(
                        stage=stage.name,
                        field="depends_on",
                        message=(
                            f"depends on {quote(dep)} of its own parallel_group "
                            f"{quote(stage.parallel_group)}; stages of a group run together"
                        ),
                    )
                )
            elif position[dep] >= starts_at:
                out.append(
                    Problem(
                        stage=stage.name,
                        field="depends_on",
                        message=(
                            f"depends on {quote(dep)}, which is declared after it"
                            + (" (its group starts earlier)" if starts_at != index else "")
                            + "; declare dependencies first"
                        ),
                    )
                )
    return out


def validate_workflow(
    spec: WorkflowSpec, *, agents: Collection[str] | None = None, source: str | None = None
) -> WorkflowSpec:
    """Return ``spec`` if it may run.

    Raises:
        WorkflowValidationError: listing every problem found.
    """
    problems = workflow_problems(spec, agents=agents)
    if problems:
        raise WorkflowValidationError(problems, source=source)
    return spec
