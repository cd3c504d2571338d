"""The REST API's contracts: every request and response body, as msgspec Structs.

The server decodes requests with these types, encodes responses with them, and
``/openapi.json`` is generated from them (``msgspec.json.schema_components``), so the
document cannot drift from what the server does. The Python client decodes with the
same types. It imports nothing of the server: the client and the service both import it.

Field names follow the seed's API (``workflow_id``, ``input_data``, ``progress.completion``
in percent, ``execution_time`` in seconds) so that its clients work unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

ApiStatus = Literal["processing", "completed", "failed", "cancelled"]
"""A run's status as the API reports it (``interrupted`` runs report ``failed``)."""

ResultFormat = Literal["json", "csv"]

_Name = Annotated[
    str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
]
_Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]


class _Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Request bodies: unknown fields are errors (a typo must not be silently dropped)."""


class _Reply(msgspec.Struct, kw_only=True):
    """Response bodies: clients must ignore fields they do not know (we may add some)."""


# -- requests ---------------------------------------------------------------------------


class StageConfig(_Body):
    """One stage of a workflow given in the request (see ``WorkflowSpec`` in the library).

    Attributes:
        name: unique in the workflow.
        agent: a registered agent (``extractor``, ``processor``, ``insights``, ...).
        task: free text for the agent; by default the request's ``task``.
        depends_on: stages whose outputs this one receives.
        parallel_group: stages sharing a group run together.
        required: a required stage that fails fails the run.
        timeout_s: limit of one attempt.
        retries: attempts after the first, for retryable errors.
        params: the agent's settings (for ``extractor``: ``sources`` and so on).
    """

    name: _Name
    agent: _Name
    task: Annotated[str, msgspec.Meta(max_length=10_000)] | None = None
    depends_on: list[_Name] = msgspec.field(default_factory=list)
    parallel_group: _Name | None = None
    required: bool = True
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=86_400)] | None = 300.0
    retries: Annotated[int, msgspec.Meta(ge=0, le=10)] = 0
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class WorkflowConfig(_Body):
    """How to run: overrides of the chosen workflow, or a workflow of the caller's own.

    Attributes:
        stages: a whole workflow of the caller's own (then ``workflow`` must be absent).
        sources: extraction sources (``file``, ``api``, ``database``, ``inline``) added to
            every ``extractor`` stage's ``params.sources``.
        params: per stage name, params merged over the stage's own.
        parallel: start every ready stage at once.
        timeout_s: limit of the whole run.
        name: the name of a workflow given in ``stages``.
    """

    stages: Annotated[list[StageConfig], msgspec.Meta(min_length=1, max_length=64)] | None = None
    sources: Annotated[list[dict[str, Any]], msgspec.Meta(max_length=64)] | None = None
    params: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)
    parallel: bool | None = None
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=86_400)] | None = None
    name: _Name | None = None


class ExecuteRequest(_Body):
    """``POST /v1/workflows/execute``.

    Attributes:
        task: what to do, in words; without a workflow the processing operations are
            derived from it (clean/validate, normalize, calculate, filter).
        input_data: the run's input; each list of objects in it (``{"records": [...]}``,
            ``{"customers": [...]}``) is an inline source of the extraction.
        workflow: the name of a registered workflow (``GET /v1/workflow-definitions``);
            the default extraction -> processing -> insights workflow when absent.
        workflow_config: overrides, or a workflow of the caller's own.
        callback_url: POSTed the final status when the run ends (with an
            ``Idempotency-Key`` header; retried with backoff).
    """

    task: Annotated[str, msgspec.Meta(max_length=10_000)]
    input_data: dict[str, Any] = msgspec.field(default_factory=dict)
    workflow: _Name | None = None
    workflow_config: WorkflowConfig | None = None
    callback_url: _Url | None = None


# -- responses --------------------------------------------------------------------------


class ErrorDetail(_Reply):
    """What was wrong: a stable ``code``, a sentence, and the request field at fault."""

    code: str
    message: str
    field: str | None = None


class ErrorResponse(_Reply):
    """Every error answer: ``{"error": {"code", "message", "field"}}``."""

    error: ErrorDetail


class Progress(_Reply):
    """How far a run is.

    Attributes:
        current_stage: the stage running (or last finished) now.
        completion: percent, 0 to 100 (100 only when completed).
        message: the last progress message of a stage.
    """

    current_stage: str | None = None
    completion: float = 0.0
    message: str = ""


class RunError(_Reply):
    """Why a run failed or was cancelled."""

    type: str
    message: str
    stage: str | None = None


class StageSummary(_Reply):
    """One stage of a run."""

    name: str
    agent: str
    status: str
    attempts: int = 0
    duration_s: float | None = None
    error: RunError | None = None


class ExecuteResponse(_Reply):
    """The answer to ``execute``: the run was accepted and runs in the background."""

    workflow_id: str
    status: ApiStatus
    progress: Progress
    workflow: str
    stages: list[str]


class WorkflowStatus(_Reply):
    """``GET /v1/workflows/{id}/status``.

    Attributes:
        workflow_id: the run's id.
        status: ``processing``, ``completed``, ``failed`` or ``cancelled``.
        progress: stage, percent and message.
        results: once finished, each stage's output by stage name (record tables as
            ``{"type": "records", "count", "columns", "rows", "truncated"}`` with the
            first rows; ``/results`` downloads them whole).
        error: why it failed or was cancelled.
        execution_time: seconds from start to end (so far, while processing).
        workflow: the workflow's name.
        stages: each stage's state.
        started_at: unix time it started.
        finished_at: unix time it ended.
    """

    workflow_id: str
    status: ApiStatus
    progress: Progress
    results: dict[str, Any] | None = None
    error: RunError | None = None
    execution_time: float | None = None
    workflow: str = ""
    stages: list[StageSummary] = msgspec.field(default_factory=list)
    started_at: float | None = None
    finished_at: float | None = None


class WorkflowSummary(_Reply):
    """One run in a list (no results)."""

    workflow_id: str
    workflow: str
    status: ApiStatus
    progress: Progress
    error: RunError | None = None
    execution_time: float | None = None
    started_at: float | None = None
    finished_at: float | None = None


class WorkflowList(_Reply):
    """``GET /v1/workflows``: runs, newest first."""

    workflows: list[WorkflowSummary]
    count: int


class CancelResponse(_Reply):
    """``POST /v1/workflows/{id}/cancel``: cancellation was requested."""

    workflow_id: str
    status: ApiStatus
    message: str


class Health(_Reply):
    """``GET /v1/health``.

    Attributes:
        status: ``healthy``, or ``degraded`` when an agent is unhealthy.
        active_workflows: runs under way in this process.
        total_workflows: runs recorded (the store's count, or this process's).
        agents_ready: healthy agents.
        agents_total: registered agents.
        version: the server's version.
        uptime_s: seconds since the service started.
    """

    status: Literal["healthy", "degraded"]
    active_workflows: int
    total_workflows: int
    agents_ready: int
    agents_total: int
    version: str
    uptime_s: float


class AgentStatsBody(_Reply):
    """An agent's statistics: live ones of this process, and its recorded history."""

    executions: int
    successes: int
    failures: int
    success_rate: float | None
    mean_duration_s: float
    restarts: int
    busy: int
    waiting: int
    recorded_executions: int | None = None
    recorded_success_rate: float | None = None


class AgentCapability(_Reply):
    """One agent kind: what it is, what it knows, how it does."""

    name: str
    role: str
    description: str
    expertise: list[str]
    concurrency: int
    backend: Literal["pykka", "ray"]
    healthy: bool
    problem: str | None
    stats: AgentStatsBody


class AgentList(_Reply):
    """``GET /v1/agents/capabilities``."""

    agents: list[AgentCapability]
    count: int


class StageDefinition(_Reply):
    """One stage of a registered workflow."""

    name: str
    agent: str
    task: str
    depends_on: list[str]
    parallel_group: str | None
    required: bool
    timeout_s: float | None
    retries: int


class WorkflowDefinition(_Reply):
    """A workflow that ``execute`` accepts by name.

    Attributes:
        available: every agent it needs is registered.
        missing_agents: the ones that are not.
        default: the workflow ``execute`` runs when none is named.
    """

    name: str
    description: str
    parallel: bool
    timeout_s: float | None
    stages: list[StageDefinition]
    default: bool
    available: bool
    missing_agents: list[str]


class WorkflowDefinitionList(_Reply):
    """``GET /v1/workflow-definitions``."""

    workflows: list[WorkflowDefinition]


class Stats(_Reply):
    """``GET /v1/stats``: figures for the dashboard's overview."""

    runs_today: int
    runs_total: int
    active: int
    success_rate: float | None
    mean_execution_time_s: float | None
    by_status: dict[str, int]


class UploadResponse(_Reply):
    """``POST /v1/uploads``: the file is stored; use ``source`` in ``workflow_config.sources``.

    Attributes:
        upload_id: the upload's id.
        filename: the file's name as stored.
        size_bytes: its size.
        source: a ready ``file`` source reading it.
    """

    upload_id: str
    filename: str
    size_bytes: int
    source: dict[str, str]


__all__ = [
    "AgentCapability",
    "AgentList",
    "AgentStatsBody",
    "ApiStatus",
    "CancelResponse",
    "ErrorDetail",
    "ErrorResponse",
    "ExecuteRequest",
    "ExecuteResponse",
    "Health",
    "Progress",
    "ResultFormat",
    "RunError",
    "StageConfig",
    "StageDefinition",
    "StageSummary",
    "Stats",
    "UploadResponse",
    "WorkflowConfig",
    "WorkflowDefinition",
    "WorkflowDefinitionList",
    "WorkflowList",
    "WorkflowStatus",
    "WorkflowSummary",
]
