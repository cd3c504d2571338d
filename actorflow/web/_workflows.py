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

from actorflow.api_schema import (
    ExecuteRequest,
    StageDefinition,
    WorkflowConfig,
    WorkflowDefinition,
)
from actorflow.contracts import (
    StageSpec,
    WorkflowSpec,
    WorkflowValidationError,
    load_workflow,
    translate_seed_vocabulary,
)

from ._errors import ApiError, invalid
from ._guard import HostPolicy, check_query, confine
from ._settings import Settings

EXTRACTOR = "extractor"
#: What a database source may open: SQLite files, by name (the reader checks the header).
DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
#: A stage's attempt limit when the request gives none (``StageSpec``'s default).
_DEFAULT_STAGE_TIMEOUT_S = 300.0
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
        given = _seed_translated(config, agents)
        raw, checked = self._base(request, given)
        stages: list[dict[str, Any]] = raw["stages"]
        by_name = {stage["name"]: stage for stage in stages}
        for stage in stages:
            stage["task"] = stage.get("task") or request.task
            stage.setdefault("params", {})
        if config is not None:
            self._override(config.params, config.sources, by_name, checked)
            for key in ("parallel", "timeout_s"):
                if given.get(key) is not None:
                    raw[key] = given[key]
        seed_sources = _use_input_sources(request.input_data, stages, checked)
        inline = count_records(request.input_data)
        for index, stage in enumerate(stages):
            if stage["name"] in checked:
                where = (
                    f"workflow_config.stages[{index}].params"
                    if config is not None and config.stages is not None
                    else f"workflow_config.params.{stage['name']}"
                )
                if seed_sources is not None and stage["params"].get("sources") is seed_sources:
                    where = "input_data"  # the sources came from input_data.sources
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

    def _base(
        self, request: ExecuteRequest, given: Mapping[str, Any]
    ) -> tuple[dict[str, Any], set[str]]:
        """The workflow to start from, as a dict, and the stages that came from the request."""
        config = request.workflow_config
        if config is None or config.stages is None:
            return msgspec.to_builtins(self.catalog.get(request.workflow)), set()
        if request.workflow is not None:
            raise invalid(
                "give either workflow (a registered one) or workflow_config.stages "
                "(one of your own), not both",
                "workflow_config.stages",
            )
        for index, stage in enumerate(config.stages):
            _refuse_server_params(stage.params, stage.name, f"workflow_config.stages[{index}]")
        raw = {"name": given.get("name") or "custom", "stages": given["stages"]}
        # Everything in a workflow of the caller's own came through the API.
        return raw, {stage["name"] for stage in raw["stages"]}

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


def _seed_translated(config: WorkflowConfig | None, agents: Collection[str]) -> dict[str, Any]:
    """The fields of ``config`` that were given, in actorflow's names (see
    ``translate_seed_vocabulary``): stages, name, timeout_s, parallel.

    Raises:
        ApiError: 422 for a seed name given with its twin, naming both.
    """
    if config is None:
        return {}
    given: dict[str, Any] = msgspec.to_builtins(config)  # fields left unset are absent
    for key in ("sources", "params"):
        given.pop(key, None)
    if given.get("stages") is None:
        given.pop("stages", None)
    try:
        translated, _ = translate_seed_vocabulary(given, agents=agents)
    except WorkflowValidationError as exc:
        problem = exc.problems[0]
        field = f"workflow_config.{problem.field}"
        if problem.stage is not None and config.stages is not None:
            index = next((i for i, s in enumerate(config.stages) if s.name == problem.stage), None)
            field = f"workflow_config.stages[{index}].{problem.field}"
        raise invalid(problem.message, field) from None
    stages = translated.get("stages")
    if stages is not None:
        for stage in stages:
            # Defaults of the API's stages, once the seed's names are actorflow's.
            stage.setdefault("timeout_s", _DEFAULT_STAGE_TIMEOUT_S)
            stage.setdefault("retries", 0)
            if "agent" not in stage:
                raise invalid(
                    f"stage {stage['name']!r} names no agent: give agent (or the seed's "
                    "agent_name)",
                    f"workflow_config.stages[{stages.index(stage)}].agent",
                )
    return translated


def _use_input_sources(
    input_data: Mapping[str, Any], stages: list[dict[str, Any]], checked: set[str]
) -> list[dict[str, Any]] | None:
    """Give ``input_data.sources`` to the extractor stages that have no sources (and mark
    them to be checked); return them (``None`` when there are none)."""
    sources = _input_sources(input_data)
    if sources is not None:
        for stage in stages:
            if stage["agent"] == EXTRACTOR and not stage["params"].get("sources"):
                stage["params"] = {**stage["params"], "sources": sources}
                checked.add(stage["name"])
    return sources


def _input_sources(input_data: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """``input_data.sources`` as a list of sources, if given: the seed's shape, a source
    by name (``{"megaphone": {"type": "api", "url": ...}}``), or a list of sources.

    Raises:
        ApiError: 422 for sources of another shape.
    """
    sources = input_data.get("sources")
    if sources is None:
        return None
    if isinstance(sources, Mapping):
        out = []
        for name, source in sources.items():
            if not isinstance(source, Mapping):
                raise invalid(
                    "a source must be an object with a type", f"input_data.sources.{name}"
                )
            out.append({"name": name, **source})
        return out
    if isinstance(sources, list) and all(isinstance(s, Mapping) for s in sources):
        return [dict(s) for s in sources]
    raise invalid(
        "sources must be an object of sources by name (the seed's shape: "
        '{"megaphone": {"type": "api", "url": "..."}}) or a list of sources',
        "input_data.sources",
    )


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
