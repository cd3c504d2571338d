"""The web service's settings: limits, security rules, workflows, all in one value."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from actorflow.contracts import WorkflowSpec

from ._errors import InsecureConfigError

TOKEN_ENV = "ACTORFLOW_API_TOKEN"  # noqa: S105 - the variable's name, not a secret
DATA_ROOTS_ENV = "ACTORFLOW_DATA_ROOTS"
ALLOWED_HOSTS_ENV = "ACTORFLOW_ALLOWED_HOSTS"

MiB = 1024 * 1024
MIN_TOKEN_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service can be told; the defaults are the safe ones.

    Attributes:
        api_token: when set, every route but ``/v1/health`` needs
            ``Authorization: Bearer <token>`` (the dashboard: open ``/?token=<token>``
            once; a same-site cookie carries it afterwards).
        data_roots: folders that ``file`` and ``database`` sources given through the
            API may read (no ``..``, no symlink out). None: such sources are refused.
        upload_dir: where ``POST /v1/uploads`` stores files (a data root of its own);
            by default ``uploads/`` beside the run store's database.
        allowed_hosts: hosts that ``api`` sources and ``callback_url`` may reach
            (``name``, ``*.suffix`` or an IP address); listed hosts may be private. When
            empty, any public host.
        allow_private_networks: let API-submitted runs reach loopback, link-local and
            private addresses that are not listed in ``allowed_hosts``.
        trusted_hosts: ``Host`` header values accepted (without port; empty: any). The
            server sets the loopback names when it binds to loopback, which defeats DNS
            rebinding against a local service.
        max_body_bytes: largest JSON request body.
        body_timeout_s: longest wait for a JSON request body to arrive in full; a client
            that stops sending half-way gets a 408 and its connection is closed.
        max_upload_bytes: largest uploaded file.
        max_records_per_run: most records given inline (input lists and inline sources);
            each extraction stage reads at most this many from all its sources together
            (its ``max_rows``): a read that passes it stops there and fails the stage.
        max_source_bytes: most bytes one source of an API-submitted run may read (the
            extractor's ``max_bytes_per_source``): a file's size, an API's response
            bodies, a query result's values. Reading stops there and fails the stage.
        spill_dir: where API-submitted runs write tables too big for memory (the
            extractor's ``spill_dir``, which the API does not let a request set); by
            default ``$ACTORFLOW_SPILL_DIR``, else ``spill/`` beside the run store's
            database, else the temp dir.
        max_concurrent_runs: most runs submitted through the API under way at once.
        max_json_depth: deepest nesting accepted in a request body.
        result_rows: rows of each record table shown in a status's ``results``.
        download_rows: rows of each record table in a JSON results download; a longer
            table is cut there (``"truncated": true``, with its full ``count``): its
            whole is the CSV download, which is streamed. It bounds what one request
            can make the service hold as JSON.
        keep_finished: finished runs the service keeps in memory (older ones are read
            back from the store).
        keep_results: of those, how many keep their stage outputs in memory for result
            downloads when there is a run store; older ones' outputs are read back from
            its Parquet files, so memory does not grow with the size of past runs.
        workflows: workflows ``execute`` accepts by name (besides ``default``).
        default_workflow: the name of the workflow run when none is named.
        webhook_timeout_s: limit of one callback attempt.
        webhook_max_elapsed_s: how long callbacks are retried before giving up.
        webhook_backoff_s: first delay between attempts (doubling, with jitter).
        dashboard: serve the dashboard at ``/``.
    """

    api_token: str | None = None
    data_roots: tuple[Path, ...] = ()
    upload_dir: Path | None = None
    allowed_hosts: tuple[str, ...] = ()
    allow_private_networks: bool = False
    trusted_hosts: tuple[str, ...] = ()
    max_body_bytes: int = 10 * MiB
    body_timeout_s: float = 30.0
    max_upload_bytes: int = 50 * MiB
    max_records_per_run: int = 100_000
    max_source_bytes: int = 64 * MiB
    spill_dir: Path | None = None
    max_concurrent_runs: int = 64
    max_json_depth: int = 32
    result_rows: int = 100
    download_rows: int = 100_000
    keep_finished: int = 256
    keep_results: int = 16
    workflows: Mapping[str, WorkflowSpec] = field(default_factory=dict)
    default_workflow: str = "default"
    webhook_timeout_s: float = 10.0
    webhook_max_elapsed_s: float = 300.0
    webhook_backoff_s: float = 0.5
    dashboard: bool = True

    def __post_init__(self) -> None:
        for name in (
            "max_body_bytes",
            "max_upload_bytes",
            "max_records_per_run",
            "max_source_bytes",
            "max_concurrent_runs",
            "max_json_depth",
            "keep_finished",
            "download_rows",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"Settings.{name} must be at least 1, got {getattr(self, name)}")
        if self.body_timeout_s <= 0:
            raise ValueError(f"Settings.body_timeout_s must be positive, got {self.body_timeout_s}")
        if self.api_token is not None and len(self.api_token) < MIN_TOKEN_LENGTH:
            raise InsecureConfigError(
                f"Settings.api_token must be at least {MIN_TOKEN_LENGTH} characters long "
                f"(it has {len(self.api_token)})"
            )
        object.__setattr__(self, "data_roots", tuple(Path(p).expanduser() for p in self.data_roots))

    def __repr__(self) -> str:
        # The token never shows (in a traceback, a debugger, a log line): only whether
        # there is one.
        parts = []
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if item.name == "api_token" and value is not None:
                parts.append("api_token='[redacted]'")
            else:
                parts.append(f"{item.name}={value!r}")
        return f"Settings({', '.join(parts)})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``ACTORFLOW_API_TOKEN``, ``ACTORFLOW_DATA_ROOTS`` (separated by
        ``os.pathsep``) and ``ACTORFLOW_ALLOWED_HOSTS`` (comma-separated); keyword
        arguments win over the environment.

        Raises:
            InsecureConfigError: an ``ACTORFLOW_API_TOKEN`` shorter than 8 characters.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get(TOKEN_ENV):
            token = env[TOKEN_ENV]
            if len(token) < MIN_TOKEN_LENGTH:
                raise InsecureConfigError(
                    f"{TOKEN_ENV} must be at least {MIN_TOKEN_LENGTH} characters long "
                    f"(it has {len(token)}); use a long random value"
                )
            values["api_token"] = token
        if env.get(DATA_ROOTS_ENV):
            values["data_roots"] = tuple(
                Path(p) for p in env[DATA_ROOTS_ENV].split(os.pathsep) if p
            )
        if env.get(ALLOWED_HOSTS_ENV):
            values["allowed_hosts"] = tuple(
                h.strip() for h in env[ALLOWED_HOSTS_ENV].split(",") if h.strip()
            )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
