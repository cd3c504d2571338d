"""Python clients of the actorflow web service: ``Client`` (blocking) and ``AsyncClient``.

::

    from actorflow.client import Client

    client = Client("http://127.0.0.1:8000")          # token: $ACTORFLOW_API_TOKEN
    final = client.execute(
        "clean and analyse revenue",
        {"records": [{"id": "1", "podcast_name": "x", "revenue": "$10", "date": "2024-01-05"}]},
        on_progress=lambda event: print(event.kind, event.progress),
    )
    final.status, final.results["insights"]
    client.list(status="failed", limit=10); client.cancel(run_id); client.results(run_id, "csv")

``AsyncClient`` has the same methods as coroutines (``async with AsyncClient(url) as c``).
Both follow a run through its server-sent events, reconnecting where they left off. A
run is named by its id (``wf_...``) or any prefix of it that no other run's id starts
with; ``list()`` returns a list of ``WorkflowSummary`` (``offset=`` for the next page).
"""

from actorflow.api_schema import (
    AgentList,
    CancelResponse,
    Health,
    WorkflowDefinitionList,
    WorkflowList,
    WorkflowStatus,
    WorkflowSummary,
)
from actorflow.contracts import AnyEvent

from ._async import AsyncClient
from ._common import ClientError, ProgressCallback
from ._sync import Client

__all__ = [
    "AgentList",
    "AnyEvent",
    "AsyncClient",
    "CancelResponse",
    "Client",
    "ClientError",
    "Health",
    "ProgressCallback",
    "WorkflowDefinitionList",
    "WorkflowList",
    "WorkflowStatus",
    "WorkflowSummary",
]
