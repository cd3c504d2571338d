"""The REST API's contracts: every request and response body, as msgspec Structs.

The server decodes requests with these types, encodes responses with them, and
``/openapi.json`` is generated from them (``msgspec.json.schema_components``), so the
document cannot drift from what the server does. The Python client decodes with the
same types. It imports nothing of the server: the client and the service both import it.

Field names and shapes follow the seed's API (``workflow_id``, ``input_data``,
``progress.completion`` in percent, ``execution_time`` in seconds, ``error`` as a string,
the run list as a JSON array, capabilities keyed by agent name) so that its clients work
unchanged; actorflow's own fields come beside the seed's, never instead of them. Requests
accept the seed's workflow vocabulary too (``timeout``, ``retry_count``, ``agent_name``,
``global_timeout``, ...): see ``StageConfig`` and ``WorkflowConfig``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

ApiStatus = Literal["processing", "completed", "failed", "cancelled"]
"""A run's status as the API reports it (``interrupted`` runs report ``failed``)."""

ResultFormat = Literal["json", "csv"]

_Name = Annotated[
    str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
]
_Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
_Task = Annotated[str, msgspec.Meta(max_length=10_000)]
_Timeout = Annotated[float, msgspec.Meta(gt=0, le=86_400)]
_Retries = Annotated[int, msgspec.Meta(ge=0, le=10)]

AgentState = Literal["ready", "busy", "unavailable"]
"""An agent in ``Health.agents``: ``busy`` when every actor of its pool is working,
``unavailable`` when it is unhealthy."""


class _Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Request bodies: unknown fields are errors (a typo must not be silently dropped)."""


class _Reply(msgspec.Struct, kw_only=True):
    """Response bodies: clients must ignore fields they do not know (we may add some)."""


# -- requests ---------------------------------------------------------------------------


class StageConfig(_Body):
    """One stage of a workflow given in the request (see ``WorkflowSpec`` in the library).

    The seed's names are accepted beside actorflow's: ``agent_name`` for ``agent``,
    ``task_template`` for ``task``, ``timeout`` for ``timeout_s``, ``retry_count`` for
    ``retries`` (giving both of a pair is an error naming both). The seed's agent names
    ``data_extractor``, ``data_processor`` and ``insights_generator`` are the built-in
    ``extractor``, ``processor`` and ``insights``.

    Attributes:
        name: unique in the workflow.
        agent: a registered agent (``extractor``, ``processor``, ``insights``, ...).
        task: free text for the agent; by default the request's ``task``.
        depends_on: stages whose outputs this one receives.
        parallel_group: stages sharing a group run together.
        required: a required stage that fails fails the run.
        timeout_s: limit of one attempt (300 seconds when neither it nor ``timeout``
            is given).
        retries: attempts after the first, for retryable errors (0 by default).
        params: the agent's settings (for ``extractor``: ``sources`` and so on).
        agent_name: the seed's name for ``agent``.
        task_template: the seed's name for ``task``.
        timeout: the seed's name for ``timeout_s``.
        retry_count: the seed's name for ``retries``.
    """

    name: _Name
    agent: _Name | UnsetType = UNSET
    task: _Task | UnsetType | None = UNSET
    depends_on: list[_Name] = msgspec.field(default_factory=list)
    parallel_group: _Name | None = None
    required: bool = True
    timeout_s: _Timeout | UnsetType | None = UNSET
    retries: _Retries | UnsetType = UNSET
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    agent_name: _Name | UnsetType = UNSET
    task_template: _Task | UnsetType | None = UNSET
    timeout: _Timeout | UnsetType | None = UNSET
    retry_count: _Retries | UnsetType = UNSET


class WorkflowConfig(_Body):
    """How to run: overrides of the chosen workflow, or a workflow of the caller's own.

    The seed's names are accepted beside actorflow's (giving both of a pair is an error
    naming both): ``workflow_name`` for ``name``, ``global_timeout`` for ``timeout_s``,
    ``parallel_execution_enabled`` for ``parallel``. The seed's switches are accepted
    and change nothing, since actorflow always does what they ask for:
    ``enable_progress_tracking`` / ``progress_tracking_enabled`` (progress events are
    always published: ``/events``, ``progress``), ``context_sharing_enabled`` (a stage
    always receives the outputs of the stages it depends on) and
    ``error_recovery_enabled`` (retries follow each stage's ``retries``; a run resumes
    after a crash when the server has a run store).

    Attributes:
        stages: a whole workflow of the caller's own (then ``workflow`` must be absent).
        sources: extraction sources (``file``, ``api``, ``database``, ``inline``) added to
            every ``extractor`` stage's ``params.sources``.
        params: per stage name, params merged over the stage's own.
        parallel: start every ready stage at once.
        timeout_s: limit of the whole run.
        name: the name of a workflow given in ``stages``.
        workflow_name: the seed's name for ``name``.
        global_timeout: the seed's name for ``timeout_s``.
        parallel_execution_enabled: the seed's name for ``parallel``.
        enable_progress_tracking: accepted for the seed's clients (always on).
        progress_tracking_enabled: accepted for the seed's clients (always on).
        context_sharing_enabled: accepted for the seed's clients (always on).
        error_recovery_enabled: accepted for the seed's clients (see above).
    """

    stages: Annotated[list[StageConfig], msgspec.Meta(min_length=1, max_length=64)] | None = None
    sources: Annotated[list[dict[str, Any]], msgspec.Meta(max_length=64)] | None = None
    params: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)
    parallel: bool | UnsetType | None = UNSET
    timeout_s: _Timeout | UnsetType | None = UNSET
    name: _Name | UnsetType | None = UNSET
    workflow_name: _Name | UnsetType | None = UNSET
    global_timeout: _Timeout | UnsetType | None = UNSET
    parallel_execution_enabled: bool | UnsetType | None = UNSET
    enable_progress_tracking: bool | None = None
    progress_tracking_enabled: bool | None = None
    context_sharing_enabled: bool | None = None
    error_recovery_enabled: bool | None = None


class ExecuteRequest(_Body):
    """``POST /v1/workflows/execute``.

    Attributes:
        task: what to do, in words; without a workflow the processing operations are
            derived from it (clean/validate, normalize, calculate, filter).
        input_data: the run's input; each list of objects in it (``{"records": [...]}``,
            ``{"customers": [...]}``) is an inline source of the extraction. Its
            ``sources`` in the seed's shape (``{"megaphone": {"type": "api", "url":
            ...}, ...}``, or a list of sources) are the extraction's sources when the
            workflow gives none; ``processing_month`` and ``validation_rules`` reach the
            processing and insights stages.
        workflow: the name of a registered workflow (``GET /v1/workflow-definitions``);
            the default extraction -> processing -> insights workflow when absent.
        workflow_config: overrides, or a workflow of the caller's own.
        callback_url: POSTed the final status when the run ends (with an
            ``Idempotency-Key`` header; retried with backoff).
    """

    task: _Task
    input_data: dict[str, Any] = msgspec.field(default_factory=dict)
    workflow: _Name | None = None
    workflow_config: WorkflowConfig | None = None
    callback_url: _Url | None = None


class RetryRequest(_Body):
    """``POST /v1/workflows/{id}/retry`` (the body is optional).

    Attributes:
        from_stage: also run this stage and everything downstream of it again.
    """

    from_stage: str | None = None


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
    #: taken over from the run this one retries, not run again.
    reused: bool = False
    #: its output came from the stage cache (``cache = true``): no agent ran it.
    cached: bool = False


class ExecuteResponse(_Reply):
    """The answer to ``execute``: the run was accepted and runs in the background.

    The seed's ``WorkflowResponse`` fields (``results``, ``error`` and
    ``execution_time`` are null until the run ends: ``GET /status``) and ours.
    """

    workflow_id: str
    status: ApiStatus
    progress: Progress
    workflow: str
    stages: list[str]
    results: dict[str, Any] | None = None
    error: str | None = None
    execution_time: float | None = None


class WorkflowStatus(_Reply):
    """``GET /v1/workflows/{id}/status``.

    Attributes:
        workflow_id: the run's id.
        status: ``processing``, ``completed``, ``failed`` or ``cancelled``.
        progress: stage, percent and message.
        results: once finished, each stage's output by stage name (record tables as
            ``{"type": "records", "count", "columns", "rows", "truncated"}`` with the
            first rows; ``/results`` downloads them whole).
        error: why it failed or was cancelled, in a sentence (the seed's string).
        execution_time: seconds from start to end (so far, while processing).
        error_detail: ``error`` with its type and the stage at fault.
        workflow: the workflow's name.
        stages: each stage's state.
        started_at: unix time it started.
        finished_at: unix time it ended.
        retry_of: the run this one retries (``POST /v1/workflows/{id}/retry``).
        retries: the runs retrying this one, oldest first.
    """

    workflow_id: str
    status: ApiStatus
    progress: Progress
    results: dict[str, Any] | None = None
    error: str | None = None
    execution_time: float | None = None
    error_detail: RunError | None = None
    workflow: str = ""
    stages: list[StageSummary] = msgspec.field(default_factory=list)
    started_at: float | None = None
    finished_at: float | None = None
    retry_of: str | None = None
    retries: list[str] = msgspec.field(default_factory=list)


class WorkflowSummary(_Reply):
    """One run in ``GET /v1/workflows``: the seed's ``WorkflowResponse`` fields, then ours.

    Attributes:
        results: always null in a list (``GET /v1/workflows/{id}/status`` has them): a
            list of many runs does not read every run's outputs.
        error: why it failed or was cancelled, in a sentence.
        error_detail: ``error`` with its type and the stage at fault.
    """

    workflow_id: str
    status: ApiStatus
    progress: Progress
    workflow: str
    results: dict[str, Any] | None = None
    error: str | None = None
    execution_time: float | None = None
    error_detail: RunError | None = None
    started_at: float | None = None
    finished_at: float | None = None


WorkflowList: TypeAlias = list[WorkflowSummary]
"""``GET /v1/workflows``: a JSON array of runs, newest first (the seed's shape).

Paging is in the headers: ``X-Total-Count`` (runs matching ``status``) and, when more
runs follow, ``Link: <...&offset=N>; rel="next"``."""


class RetryResponse(_Reply):
    """``POST /v1/workflows/{id}/retry``: a new run was started, linked to the old one.

    Attributes:
        workflow_id: the new run's id.
        retry_of: the run retried.
        reused: the stages taken over from it (not run again).
        rerun: the stages that run again.
    """

    workflow_id: str
    status: ApiStatus
    progress: Progress
    workflow: str
    stages: list[str]
    retry_of: str
    reused: list[str]
    rerun: list[str]


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
        agents: each agent's state by name: ``ready``, ``busy`` or ``unavailable``.
        agents_ready: healthy agents.
        agents_total: registered agents.
        version: the server's version.
        uptime_s: seconds since the service started.
    """

    status: Literal["healthy", "degraded"]
    active_workflows: int
    total_workflows: int
    agents: dict[str, AgentState]
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
    """One agent kind: the seed's ``role``, ``expertise`` and ``model``, then ours.

    Attributes:
        role: what it does.
        expertise: what it knows.
        model: the chat model it uses (the insights agent's narrator's), or null.
        name: the name stages use (the key it is listed under).
        aliases: other names stages may use for it (the seed's ``data_extractor``...).
    """

    role: str
    expertise: list[str]
    model: str | None
    name: str
    aliases: list[str]
    description: str
    concurrency: int
    backend: Literal["pykka", "ray"]
    healthy: bool
    problem: str | None
    stats: AgentStatsBody


class AgentList(_Reply):
    """``GET /v1/agents/capabilities``: agents keyed by name (the seed's shape)."""

    agents: dict[str, AgentCapability]
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
    "AgentState",
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
    "RetryRequest",
    "RetryResponse",
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
