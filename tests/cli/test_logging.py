"""Structured logs: run_id, stage and agent follow messages into actor threads."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import structlog
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from actorflow import Agent, RunStarted, Runtime, StageRequest
from actorflow.logging import configure_logging, redact
from tests.cli import cli_agents

CHAT = {"name": "chat", "stages": [{"name": "talk", "agent": "chatty"}]}


def test_an_agents_log_lines_carry_run_stage_agent_and_attempt(runtime: Runtime) -> None:
    runtime.register_agent("chatty", cli_agents.Chatty)

    with capture_logs(processors=[merge_contextvars]) as logs:
        result = runtime.run(CHAT, timeout=10)

    (line,) = [entry for entry in logs if entry["event"] == "chatty says hello"]
    assert line["run_id"] == result.run_id
    assert line["stage"] == "talk"
    assert line["agent"] == "chatty"
    assert line["attempt"] == 1
    assert line["rows"] == 3


def test_an_async_agents_log_lines_carry_the_context_too(runtime: Runtime) -> None:
    class AsyncChatty(Agent):
        async def perform(self, request: StageRequest) -> dict[str, str]:
            structlog.get_logger("test").info("async hello")
            return {}

    runtime.register_agent("chatty", AsyncChatty)

    with capture_logs(processors=[merge_contextvars]) as logs:
        result = runtime.run(CHAT, timeout=10)

    (line,) = [entry for entry in logs if entry["event"] == "async hello"]
    assert (line["run_id"], line["stage"], line["agent"]) == (result.run_id, "talk", "chatty")


def test_log_lines_in_the_coordinators_thread_carry_the_run_id(runtime: Runtime) -> None:
    # Hub listeners run in the emitting thread: for RunStarted, the coordinator's.
    runtime.register_agent("chatty", cli_agents.Chatty)

    def listener(event: object) -> None:
        if isinstance(event, RunStarted):
            structlog.get_logger("test").info("listener saw the start")

    _, unsubscribe = runtime.hub.subscribe(None, listener)
    try:
        with capture_logs(processors=[merge_contextvars]) as logs:
            result = runtime.run(CHAT, timeout=10)
    finally:
        unsubscribe()

    (line,) = [entry for entry in logs if entry["event"] == "listener saw the start"]
    assert line["run_id"] == result.run_id
    assert "stage" not in line


def test_the_context_does_not_leak_past_the_stage(runtime: Runtime) -> None:
    runtime.register_agent("chatty", cli_agents.Chatty)
    runtime.run(CHAT, timeout=10)

    assert structlog.contextvars.get_contextvars() == {}
    with capture_logs(processors=[merge_contextvars]) as logs:
        structlog.get_logger("test").info("outside")
    assert logs == [{"event": "outside", "log_level": "info"}]


def test_json_format_writes_one_object_per_line_with_the_context(runtime: Runtime) -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    runtime.register_agent("chatty", cli_agents.Chatty)

    result = runtime.run(CHAT, timeout=10)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    by_event = {line["event"]: line for line in lines}
    hello = by_event["chatty says hello"]
    assert hello["level"] == "info"
    assert hello["logger"] == "cli_agents"
    assert (hello["run_id"], hello["stage"], hello["agent"]) == (result.run_id, "talk", "chatty")
    assert hello["rows"] == 3
    assert "timestamp" in hello
    # A plain stdlib logger's line gets the same context.
    warned = by_event["chatty warns through logging"]
    assert (warned["level"], warned["run_id"], warned["stage"]) == (
        "warning",
        result.run_id,
        "talk",
    )


def test_console_format_is_for_people_and_the_level_filters(runtime: Runtime) -> None:
    stream = io.StringIO()
    configure_logging("warning", "console", stream=stream)
    runtime.register_agent("chatty", cli_agents.Chatty)

    result = runtime.run(CHAT, timeout=10)

    text = stream.getvalue()
    assert "chatty says hello" not in text  # info, below the level
    (line,) = text.splitlines()
    assert "[warning  ] chatty warns through logging" in line
    assert f"run_id={result.run_id}" in line
    assert "stage=talk" in line
    assert "agent=chatty" in line
    assert not line.startswith("{")


def test_configure_logging_refuses_unknown_levels_and_formats() -> None:
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        configure_logging("loud")
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        configure_logging("info", "xml")


def test_configuring_twice_keeps_one_handler() -> None:
    configure_logging("info", "console", stream=io.StringIO())
    configure_logging("debug", "json", stream=io.StringIO())

    ours = [h for h in logging.getLogger().handlers if getattr(h, "_actorflow_handler", False)]
    assert len(ours) == 1


def test_the_library_is_silent_until_logging_is_configured(tmp_path: Path) -> None:
    # A fresh interpreter, so no earlier test's configuration is there. The library
    # logs here (a failing run observer is logged with its traceback, and so is an
    # error through its own logger); none of it may reach stdout or stderr.
    script = tmp_path / "quiet.py"
    script.write_text(
        textwrap.dedent(
            """
            from actorflow import Agent, Runtime
            from actorflow.bus import get_logger

            class Fine(Agent):
                def perform(self, request):
                    return {"ok": True}

            class BadObserver:
                def run_submitted(self, *args):
                    raise RuntimeError("observer bug")

                def stage_finished(self, *args):
                    raise RuntimeError("observer bug")

            with Runtime() as rt:
                rt.register_agent("fine", Fine)
                rt.observe(BadObserver())
                rt.run({"name": "q", "stages": [{"name": "x", "agent": "fine"}]}, timeout=10)
                get_logger("test").error("the library's own error")
            print("done")
            """
        )
    )

    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == "done\n"
    assert done.stderr == ""


class Stubborn(Agent):
    """Ignores its cancel token: it finishes after the runtime was stopped."""

    entered = threading.Event()
    release = threading.Event()

    def perform(self, request: StageRequest) -> dict[str, str]:
        self.entered.set()
        self.release.wait(10)
        return {}


def test_an_attempt_that_outlives_the_runtime_ends_without_an_error_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # What Ctrl-C in `actorflow run` does to an agent that does not poll its token.
    runtime = Runtime(stop_timeout_s=0.2)
    runtime.start()
    runtime.register_agent("stubborn", Stubborn)
    runtime.submit({"name": "s", "stages": [{"name": "x", "agent": "stubborn"}]})
    assert Stubborn.entered.wait(10)
    runtime.stop()  # gives up waiting after 0.2s: the attempt is still running
    agents = [t for t in threading.enumerate() if t.name.startswith("AgentActor")]

    Stubborn.release.set()  # its reply now goes to a coordinator that is gone
    for thread in agents:
        thread.join(10)

    assert not any(t.is_alive() for t in agents)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_credentials_are_redacted_by_key_and_registered_secrets_everywhere(fmt: str) -> None:
    stream = io.StringIO()
    configure_logging("info", fmt, stream=stream)
    redact("registered-secret-9d1f")
    log = structlog.get_logger("test")
    log.info(
        "request",
        authorization="Bearer abc-123-xyz",
        headers={"Cookie": "session=cookie-value-77", "Accept": "text/html"},
        password="hunter2-pw",
        token=True,  # a flag under a credential's name says nothing secret
        url="http://host/?t=registered-secret-9d1f",
    )
    logging.getLogger("plain").warning("stdlib says registered-secret-9d1f")
    try:
        secret_local = "local-secret-55aa"
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed", api_token="api-token-value-88")
    del secret_local

    text = stream.getvalue()
    for leaked in (
        "abc-123-xyz",
        "cookie-value-77",
        "hunter2-pw",
        "registered-secret-9d1f",
        "local-secret-55aa",  # tracebacks carry no local variables
        "api-token-value-88",
    ):
        assert leaked not in text
    assert text.count("[redacted]") >= 6
    assert "text/html" in text  # other values stay
    assert "RuntimeError" in text  # the traceback itself stays
