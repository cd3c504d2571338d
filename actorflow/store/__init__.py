"""The run store: run history in SQLite, stage outputs in Parquet, resume after a crash.

::

    from actorflow import Runtime
    from actorflow.store import RunStore

    with RunStore() as store, Runtime() as rt:   # the store outlives the runtime
        rt.register_agent("extractor", Extractor)
        store.attach(rt)               # records every run; resumes runs of a dead process
        rt.run("wf.toml", input={...})
        store.list_runs(status="failed", limit=20)
"""

from ._callbacks import OpenCallback
from ._connect import ENV_VAR, default_path
from ._errors import StoreError
from ._outbox import CallbackOutbox
from ._retry import RetryError, RetryPlan
from ._schema import LATEST as SCHEMA_VERSION
from ._store import RunStore
from ._types import (
    AgentStats,
    AttemptRecord,
    Recovery,
    RunDetail,
    RunRecord,
    StageRecord,
    StoreStats,
)

__all__ = [
    "ENV_VAR",
    "SCHEMA_VERSION",
    "AgentStats",
    "AttemptRecord",
    "CallbackOutbox",
    "OpenCallback",
    "Recovery",
    "RetryError",
    "RetryPlan",
    "RunDetail",
    "RunRecord",
    "RunStore",
    "StageRecord",
    "StoreError",
    "StoreStats",
    "default_path",
]
