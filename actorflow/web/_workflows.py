"""Workflows the API runs: the default one, registered ones, and what a request makes of them.

A request names a registered workflow (or none: the default extraction -> processing ->
insights), may override stage params, add extraction sources, or bring a whole workflow
of its own. Whatever it brings is checked here before anything runs: the sources against
the data roots and the host policy, the inline records against the limit, the whole
against the registered agents.

Every extraction stage of an API run is then given the server's limits (the lower of
any it has and the server's): ``max_rows`` (``Settings.max_records_per_run``) and
``max_bytes_per_source`` (``Settings.max_source_bytes``), which stop a read as it passes
them, and the server's ``spill_dir``: where a run may write is not a request's to say.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import msgspec

from actorflow.api_schema import ExecuteRequest, StageConfig, StageDefinition, WorkflowDefinition
from actorflow.contracts import (
    StageSpec,
    WorkflowSpec,
    WorkflowValidationError,
    load_workflow,
)

from ._errors import ApiError, invalid
from ._guard import HostPolicy, check_query, confine
from ._settings import Settings

EXTRACTOR = "extractor"
#: What a database source may open: SQLite files, by name (the reader checks the header).
DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
#: Params a request may not set: they say where a stage writes.
_SERVER_ONLY_PARAMS = ("spill_dir",)

DEFAULT_WORKFLOW = WorkflowSpec(
    name="default",
    description=(
        "Extract the input's records (and any sources given), process them as the task "
        "says (clean, normalize, calculate, filter), then draw insights with charts"
    ),
    stages=(
        StageSpec(name="extraction", agent=EXTRACTOR, retries=2, retry_backoff_s=0.5),
        StageSpec(name="processing", agent="processor", depends_on=("extraction",)),
        StageSpec(name="insights", agent="insights", depends_on=("processing",)),
    ),
)


class Catalog:
    """The workflows ``execute`` accepts by name."""

    def __init__(self, settings: Settings) -> None:
        workflows = {DEFAULT_WORKFLOW.name: DEFAULT_WORKFLOW}
        workflows.update(settings.workflows)
        self.default = settings.default_workflow
        if self.default not in workflows:
            raise ValueError(
                f"Settings.default_workflow {self.default!r} is not a registered workflow "
                f"(known: {', '.join(sorted(workflows))})"
            )
        self.workflows: Mapping[str, WorkflowSpec] = workflows

    def get(self, name: str | None) -> WorkflowSpec:
        spec = self.workflows.get(name or self.default)
        if spec is None:
            raise invalid(
                f"no workflow called {name!r}; known: {', '.join(sorted(self.workflows))} "
                "(GET /v1/workflow-definitions)",
                "workflow",
            )
        return spec

    def definitions(self, agents: Iterable[str]) -> list[WorkflowDefinition]:
        known = set(agents)
        out = []
        for name, spec in sorted(self.workflows.items()):
            missing = sorted({s.agent for s in spec.stages} - known)
            out.append(
                WorkflowDefinition(
                    name=name,
                    description=spec.description,
                    parallel=spec.parallel,
                    timeout_s=spec.timeout_s,
                    stages=[
                        StageDefinition(
                            name=s.name,
                            agent=s.agent,
                            task=s.task,
                            depends_on=list(s.depends_on),
                            parallel_group=s.parallel_group,
                            required=s.required,
                            timeout_s=s.timeout_s,
                            retries=s.retries,
                        )
                        for s in spec.stages
                    ],
                    default=name == self.default,
                    available=not missing,
                    missing_agents=missing,
                )
            )
        return out


class Planner:
    """Turns a request into a checked workflow spec and the run's input."""

    def __init__(self, settings: Settings, catalog: Catalog, policy: HostPolicy) -> None:
        self.settings = settings
        self.catalog = catalog
        self.policy = policy
        roots = list(settings.data_roots)
        if settings.upload_dir is not None:
            roots.append(settings.upload_dir)
        self.roots = tuple(roots)

    async def plan(self, request: ExecuteRequest, agents: Collection[str]) -> WorkflowSpec:
        """The workflow to submit for ``request``.

        Raises:
            ApiError: 422 for an invalid workflow or source, 403 for a forbidden source,
                413 for too many inline records.
        """
        config = request.workflow_config
        if config is not None and config.stages is not None:
            if request.workflow is not None:
                raise invalid(
                    "give either workflow (a registered one) or workflow_config.stages "
                    "(one of your own), not both",
                    "workflow_config.stages",
                )
            raw: dict[str, Any] = {
                "name": config.name or "custom",
                "stages": [_own_stage(stage, index) for index, stage in enumerate(config.stages)],
            }
            # Everything in a workflow of the caller's own came through the API.
            checked = {stage["name"] for stage in raw["stages"]}
        else:
            raw = msgspec.to_builtins(self.catalog.get(request.workflow))
            checked = set()
        stages: list[dict[str, Any]] = raw["stages"]
        by_name = {stage["name"]: stage for stage in stages}
        for stage in stages:
            stage["task"] = stage.get("task") or request.task
            stage.setdefault("params", {})
        if config is not None:
            self._override(config.params, config.sources, by_name, checked)
            if config.parallel is not None:
                raw["parallel"] = config.parallel
            if config.timeout_s is not None:
                raw["timeout_s"] = config.timeout_s
        inline = count_records(request.input_data)
        for index, stage in enumerate(stages):
            if stage["name"] in checked:
                where = (
                    f"workflow_config.stages[{index}].params"
                    if config is not None and config.stages is not None
                    else f"workflow_config.params.{stage['name']}"
                )
                inline += await self._check_params(stage, where)
            if stage["agent"] == EXTRACTOR:  # once checked: the server's limits on top
                stage["params"] = self._confined_extraction(stage["params"])
        if inline > self.settings.max_records_per_run:
            raise ApiError(
                413,
                "too_many_records",
                f"the request holds {inline:,} records; this server takes at most "
                f"{self.settings.max_records_per_run:,} per run",
                field="input_data",
            )
        try:
            return load_workflow(raw, agents=agents)
        except WorkflowValidationError as exc:
            raise ApiError(422, "invalid_workflow", str(exc), field="workflow_config") from None

    def _override(
        self,
        params: Mapping[str, Mapping[str, Any]],
        sources: list[dict[str, Any]] | None,
        by_name: dict[str, dict[str, Any]],
        checked: set[str],
    ) -> None:
        for name, extra in params.items():
            if name not in by_name:
                raise invalid(
                    f"the workflow has no stage {name!r} (stages: {', '.join(by_name)})",
                    f"workflow_config.params.{name}",
                )
            _refuse_server_params(extra, name, f"workflow_config.params.{name}", nested=False)
            by_name[name]["params"] = {**by_name[name]["params"], **extra}
            checked.add(name)
        if sources:
            extractors = [s for s in by_name.values() if s["agent"] == EXTRACTOR]
            if not extractors:
                raise invalid(
                    "the workflow has no extractor stage to read these sources",
                    "workflow_config.sources",
                )
            for stage in extractors:
                given = stage["params"].get("sources") or []
                stage["params"] = {**stage["params"], "sources": [*given, *sources]}
                checked.add(stage["name"])

    async def _check_params(self, stage: dict[str, Any], where: str) -> int:
        """Check (and rewrite) a stage's sources; return how many inline records it has."""
        params = stage["params"]
        sources = params.get("sources")
        if sources is None:
            return 0
        if not isinstance(sources, list):
            raise invalid("sources must be a list of sources", f"{where}.sources")
        checked_sources = []
        inline = 0
        for index, source in enumerate(sources):
            field = f"{where}.sources[{index}]"
            new, records = await self._check_source(source, field)
            checked_sources.append(new)
            inline += records
        stage["params"] = {**params, "sources": checked_sources}
        if stage["agent"] == EXTRACTOR:
            _check_extraction_params(stage["params"], stage["name"], where)
        return inline

    async def _check_source(self, source: Any, field: str) -> tuple[dict[str, Any], int]:
        if not isinstance(source, dict):
            raise invalid("a source must be an object with a type", field)
        kind = source.get("type")
        if kind in ("file", "database"):
            path = source.get("path")
            if not isinstance(path, str):
                raise invalid("path must be a string", f"{field}.path")
            real = confine(path, self.roots, f"{field}.path")
            if kind == "database":
                # By the real name: a link called x.db must not open an uploaded CSV.
                if real.suffix.lower() not in DATABASE_SUFFIXES:
                    raise invalid(
                        f"a database source opens a SQLite database file "
                        f"({', '.join(DATABASE_SUFFIXES)}); {path!r} is not one "
                        "(read a CSV, JSON or text file with a file source)",
                        f"{field}.path",
                    )
                check_query(source.get("query"), f"{field}.query")
            return {**source, "path": str(real)}, 0
        if kind == "api":
            url = source.get("url")
            if not isinstance(url, str):
                raise invalid("url must be a string", f"{field}.url")
            await self.policy.check_url(url, f"{field}.url")
            return source, 0
        if kind == "inline":
            records = source.get("records")
            return source, len(records) if isinstance(records, list) else 0
        raise invalid(
            f"unknown source type {kind!r}; expected file, api, database or inline",
            f"{field}.type",
        )

    def _confined_extraction(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """An extraction stage's params with the server's limits and spill folder."""
        settings = self.settings
        confined = {
            **params,
            "max_rows": _lowest(params.get("max_rows"), settings.max_records_per_run),
            "max_bytes_per_source": _lowest(
                params.get("max_bytes_per_source"), settings.max_source_bytes
            ),
        }
        # A spill_dir here came with a registered workflow (a request's is refused).
        if settings.spill_dir is not None and confined.get("spill_dir") is None:
            confined["spill_dir"] = str(settings.spill_dir)
        return confined


def _own_stage(stage: StageConfig, index: int) -> dict[str, Any]:
    """A stage of the request's own workflow, as a dict, once its params are allowed."""
    _refuse_server_params(stage.params, stage.name, f"workflow_config.stages[{index}]")
    built: dict[str, Any] = msgspec.to_builtins(stage)
    return built


def _lowest(given: Any, limit: int) -> int:
    """The lower of a limit a stage was given (if valid) and the server's."""
    if isinstance(given, int) and not isinstance(given, bool) and 0 < given < limit:
        return given
    return limit


def _refuse_server_params(
    params: Mapping[str, Any], stage: str, where: str, *, nested: bool = True
) -> None:
    """Refuse params that only the server may set (where a stage writes)."""
    for name in _SERVER_ONLY_PARAMS:
        if name in params:
            raise invalid(
                f"stage {stage!r}: {name} cannot be set through the API; this server "
                "chooses where runs write (Settings.spill_dir)",
                f"{where}{'.params' if nested else ''}.{name}",
            )


def _check_extraction_params(params: Mapping[str, Any], stage: str, where: str) -> None:
    """The extraction agent's own checks, now rather than when the stage runs."""
    try:
        from actorflow.agents.extraction import parse_params  # noqa: PLC0415 - optional agent
    except ImportError:  # pragma: no cover - the agent ships with the package
        return
    try:
        parse_params(params, stage=stage)
    except WorkflowValidationError as exc:
        problem = exc.problems[0] if exc.problems else None
        field = f"{where}{(problem.field or '').removeprefix('params')}" if problem else where
        raise invalid(str(exc), field) from None


def count_records(input_data: Mapping[str, Any]) -> int:
    """Records the extraction will take from the input: its lists of objects."""
    return sum(
        len(value)
        for value in input_data.values()
        if isinstance(value, list) and all(isinstance(item, dict) for item in value)
    )
