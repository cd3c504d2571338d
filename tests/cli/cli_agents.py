"""Agents of the CLI tests, registered with ``--agents tests.cli.cli_agents:register``."""

from __future__ import annotations

import decimal
import logging
from typing import Any

import structlog

from actorflow import (
    Agent,
    Problem,
    Records,
    RetryableError,
    Runtime,
    StageRequest,
    WorkflowValidationError,
)

_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    '<rect width="10" height="10"/></svg>'
)


def register(runtime: Runtime) -> None:
    """Register every agent of the CLI tests."""
    runtime.register_agent("table", Table)
    runtime.register_agent("report", Report)
    runtime.register_agent("flaky", Flaky)
    runtime.register_agent("broken", Broken)
    runtime.register_agent("chatty", Chatty)
    runtime.register_agent("hold", Hold)
    runtime.register_agent("threshold", Threshold)


def explode(runtime: Runtime) -> None:
    """A registration hook that fails, for the bad-input tests."""
    raise RuntimeError("no agents today")


class Table(Agent):
    """Returns sales records (money as Decimal) and their total."""

    role = "extractor"
    expertise = ("sales", "money")

    def perform(self, request: StageRequest) -> dict[str, Any]:
        rows = int(request.params.get("rows", 3))
        records = Records.from_dicts(
            [
                {"id": i, "customer": f"c{i % 2}", "amount": decimal.Decimal(f"{i}.25")}
                for i in range(rows)
            ]
        )
        request.report_progress(0.5, "half the rows")
        month = request.input.get("month", "none")
        total = sum((decimal.Decimal(f"{i}.25") for i in range(rows)), decimal.Decimal("0.00"))
        return {"records": records, "total": total, "month": month}


class Report(Agent):
    """Writes insights: Markdown, a chart and figures."""

    role = "insights"

    def perform(self, request: StageRequest) -> dict[str, Any]:
        table = request.output("sales", {})
        total = table.get("total", decimal.Decimal("0"))
        return {
            "markdown": f"# Sales\n\nTotal revenue was **{total}**.\n",
            "charts": {"by_month": _SVG},
            "insights": [{"kind": "total", "value": total, "sentence": f"Total {total}"}],
        }


class Flaky(Agent):
    """Fails with a retryable error for ``params.failures`` attempts, then succeeds."""

    def perform(self, request: StageRequest) -> dict[str, Any]:
        if request.attempt <= int(request.params.get("failures", 1)):
            raise RetryableError(f"attempt {request.attempt} hit a busy service")
        return {"attempt": request.attempt}


class Broken(Agent):
    """Always fails, with an error that is not retryable."""

    def perform(self, request: StageRequest) -> Any:
        raise ValueError("the data makes no sense")


class Chatty(Agent):
    """Logs through structlog and through stdlib logging, then returns."""

    def perform(self, request: StageRequest) -> dict[str, Any]:
        structlog.get_logger("cli_agents").info("chatty says hello", rows=3)
        logging.getLogger("cli_agents.stdlib").warning("chatty warns through logging")
        return {"said": "hello"}


class Hold(Agent):
    """Returns at once here; the recovery test's first process registers a blocking one."""

    def perform(self, request: StageRequest) -> dict[str, Any]:
        return {"held": False, "seen": sorted(request.outputs)}


class Threshold(Agent):
    """Checks its params as the README's "Writing your own agent" says: a message naming
    the field for one problem, a list of ``Problem`` for several."""

    def check_params(self, params: Any, *, stage: str) -> None:
        limit = params.get("limit")
        if not isinstance(limit, int):
            raise WorkflowValidationError("must be a whole number", field="params.limit")
        if "unit" in params and "scale" in params:
            raise WorkflowValidationError(
                [
                    Problem(field="params.unit", message="give unit or scale, not both"),
                    Problem(field="params.scale", message="give unit or scale, not both"),
                ]
            )

    def perform(self, request: StageRequest) -> dict[str, Any]:
        return {"limit": request.params["limit"]}
