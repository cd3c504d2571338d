"""Tables and text for people: stage summaries, insights, run lists, agents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table

from actorflow.actors import AgentInfo
from actorflow.contracts import ErrorInfo, Records, RunResult
from actorflow.store import AgentStats, RunDetail, RunRecord

from ._results import insights_of

__all__ = [
    "agents_table",
    "describe_output",
    "print_insights",
    "run_detail",
    "runs_table",
    "stages_table",
]

_STATUS_STYLE = {
    "succeeded": "green",
    "completed": "green",
    "failed": "red",
    "timed_out": "red",
    "interrupted": "red",
    "cancelled": "yellow",
    "skipped": "dim",
    "running": "cyan",
    "pending": "dim",
}


def _status(status: str) -> str:
    style = _STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else status


def _taken(reused: bool, cached: bool) -> str:
    """What a stage's status adds when no agent ran it."""
    return " (reused)" if reused else " (cached)" if cached else ""


def _error(error: ErrorInfo | None, limit: int = 100) -> str:
    if error is None:
        return ""
    text = f"{error.type}: {error.message}".replace("\n", " ")
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}s"


def _when(value: float | None) -> str:
    if value is None:
        return ""
    return dt.datetime.fromtimestamp(value).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def describe_output(value: Any) -> str:
    """A short description of a stage's output for tables."""
    if value is None:
        return ""
    if isinstance(value, Records):
        return f"{len(value):,} records x {len(value.columns)} columns"
    if isinstance(value, Mapping):
        parts = []
        for key, item in list(value.items())[:6]:
            if isinstance(item, Records):
                parts.append(f"{key} ({len(item):,} records)")
            else:
                parts.append(str(key))
        more = ", …" if len(value) > 6 else ""
        return ", ".join(parts) + more
    if isinstance(value, (list, tuple)):
        return f"{len(value)} items"
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def stages_table(
    result: RunResult, reused: Collection[str] = (), cached: Collection[str] = ()
) -> Table:
    """One row per stage of a finished run: status, attempts, time, output, error; the
    stages in ``reused`` (taken over by a retry) and ``cached`` (from the stage cache)
    say so."""
    table = Table(title=f"{escape(result.workflow)} · run {result.run_id}", title_justify="left")
    for column in ("stage", "agent", "status", "attempts", "time", "output", "error"):
        table.add_column(column, overflow="fold")
    for name, outcome in result.stages.items():
        table.add_row(
            escape(name),
            escape(outcome.agent),
            _status(outcome.status) + _taken(name in reused, name in cached),
            str(outcome.attempts),
            _seconds(outcome.duration_s),
            escape(describe_output(outcome.output)),
            _error(outcome.error),
        )
    return table


def print_insights(console: Console, outputs: Mapping[str, Any]) -> bool:
    """Print every insights output (one with ``markdown``) as Markdown; tell if any."""
    shown = False
    for stage, output in outputs.items():
        insights = insights_of(output)
        if insights is None:
            continue
        markdown, charts = insights
        console.print(Rule(f"insights · {escape(stage)}", align="left"))
        # Rendered for a terminal; as written for a file or pipe, where Markdown is the
        # most readable plain text there is.
        if console.is_terminal:
            console.print(Markdown(markdown))
        else:
            console.print(markdown.rstrip(), markup=False, soft_wrap=True)
        if charts:
            console.print(f"[dim]charts: {escape(', '.join(charts))}[/]")
        shown = True
    return shown


def print_contracts(console: Console, outputs: Mapping[str, Any]) -> bool:
    """Print each contract a stage inferred (what it assumed of the table), as the TOML a
    user can paste into the stage to pin it, with what inference found; tell if any."""
    shown = False
    for stage, output in outputs.items():
        if not isinstance(output, Mapping) or output.get("contract_source") != "inferred":
            continue
        toml = output.get("contract_toml")
        if not isinstance(toml, str):
            continue
        console.print(Rule(f"inferred contract · {escape(stage)}", align="left"))
        console.print(
            "[dim]what the stage assumed of the table; paste it into the stage to pin it[/]"
        )
        console.print(toml.rstrip(), markup=False, soft_wrap=True)
        for finding in output.get("findings") or ():
            if isinstance(finding, Mapping) and finding.get("message"):
                console.print(f"# {finding['message']}", markup=False, soft_wrap=True)
        shown = True
    return shown


def runs_table(runs: Sequence[RunRecord]) -> Table:
    """Runs, newest first, as ``runs list`` shows them."""
    table = Table()
    table.add_column("run id", no_wrap=True)
    for column in ("workflow", "status", "started", "time", "progress", "error"):
        table.add_column(column, overflow="fold")
    for run in runs:
        resumed = f" [dim](resumed x{run.resumes})[/]" if run.resumes else ""
        table.add_row(
            run.run_id,
            escape(run.workflow),
            _status(run.status) + resumed,
            _when(run.started_at),
            _seconds(run.execution_time_s),
            f"{run.progress}%",
            _error(run.error, 60),
        )
    return table


def run_detail(console: Console, detail: RunDetail) -> None:
    """A stored run: its facts, then its stages with their attempts."""
    run = detail.run
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("run", run.run_id)
    facts.add_row("workflow", escape(run.workflow))
    facts.add_row("status", _status(run.status))
    facts.add_row("started", _when(run.started_at))
    facts.add_row("finished", _when(run.finished_at))
    facts.add_row("time", _seconds(run.execution_time_s))
    facts.add_row("progress", f"{run.progress}%")
    if run.resumes:
        facts.add_row("resumed", f"{run.resumes} time(s) after a crash")
    if run.retry_of is not None:
        facts.add_row("retry of", run.retry_of)
    if detail.retries:
        facts.add_row("retries", ", ".join(detail.retries))
    if run.error is not None:
        facts.add_row("error", _error(run.error, 400))
    console.print(facts)
    table = Table(title="stages", title_justify="left")
    for column in ("stage", "agent", "status", "attempts", "time", "output", "error"):
        table.add_column(column, overflow="fold")
    for stage in detail.stages:
        table.add_row(
            escape(stage.stage),
            escape(stage.agent),
            _status(stage.status) + _taken(stage.reused, stage.cached),
            str(stage.attempts),
            _seconds(stage.duration_s),
            escape(stage.output_summary or ""),
            _error(stage.error),
        )
        for attempt in stage.attempt_history:
            if attempt.status == "succeeded" and stage.attempts == 1:
                continue  # the stage's row already says it all
            table.add_row(
                "",
                "",
                f"[dim]attempt {attempt.attempt}:[/] {_status(attempt.status)}",
                "",
                _seconds(
                    None
                    if attempt.started_at is None or attempt.finished_at is None
                    else attempt.finished_at - attempt.started_at
                ),
                "",
                _error(attempt.error),
            )
    console.print(table)


def agents_table(agents: Iterable[AgentInfo], history: Mapping[str, AgentStats]) -> Table:
    """Agents with what they do and how they did (from the run store's history)."""
    table = Table()
    for column in (
        "agent",
        "role",
        "actors",
        "description",
        "expertise",
        "executions",
        "success",
        "mean time",
    ):
        table.add_column(column, overflow="fold")
    seen = set()
    for info in agents:
        seen.add(info.name)
        stats = history.get(info.name)
        table.add_row(
            escape(info.name),
            escape(info.role),
            f"{info.concurrency} on Ray" if info.backend == "ray" else str(info.concurrency),
            escape(info.description),
            escape(", ".join(info.expertise)),
            *_stats_cells(stats),
        )
    for name, stats in sorted(history.items()):
        if name not in seen:
            table.add_row(
                escape(name), "[dim]not registered here[/]", "", "", "", *_stats_cells(stats)
            )
    return table


def _stats_cells(stats: AgentStats | None) -> tuple[str, str, str]:
    if stats is None:
        return "0", "", ""
    rate = "" if stats.success_rate is None else f"{stats.success_rate:.0%}"
    return str(stats.executions), rate, _seconds(stats.mean_duration_s)
