"""The dashboard in a real browser: run a workflow, watch its stage bars, find it in History.

Debian's chromium is driven by playwright (never ``playwright install``: it downloads a
browser). The revenue workflow runs when the revenue demo and the real agents are
installed; otherwise the default workflow runs on inline records with stand-in agents.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actorflow import Runtime
from actorflow.store import RunStore
from actorflow.web import Settings, create_app, register_builtin_agents
from tests.store.retry_agents import calls
from tests.store.retry_agents import register as register_retry_agents
from tests.store.retry_agents import workflow as retry_workflow
from tests.web.web_agents import RECORDS, register_agents
from tests.web.web_server import ThreadedServer

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
#: The records one run reads, lowered so that a file over it stays small.
MAX_RECORDS = 1_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is absent (apt-get install -y chromium; make test does)",
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (it is in the dev extra)"
)


def _revenue_available() -> bool:
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("actorflow.demo", "actorflow.agents.processing", "actorflow.agents.insights")
    )


@pytest.fixture
def dashboard(runtime: Runtime, tmp_path: Path) -> Iterator[tuple[str, str, dict[str, Any], int]]:
    """The server's URL, the workflow to run, its input and its number of stages."""
    store = RunStore(tmp_path / "runs.db")
    with contextlib.ExitStack() as stack:
        stack.callback(store.close)
        if _revenue_available():
            from actorflow.demo import DEFAULT_INPUT, MegaphoneServer, revenue_workflow

            register_builtin_agents(runtime)
            api = stack.enter_context(MegaphoneServer())
            spec = revenue_workflow(api.url)
            settings = Settings(workflows={spec.name: spec}, max_records_per_run=MAX_RECORDS)
            workflow, run_input, stages = spec.name, dict(DEFAULT_INPUT), len(spec.stages)
        else:
            register_agents(runtime, gate=False)
            settings = Settings(max_records_per_run=MAX_RECORDS)
            workflow, run_input, stages = "default", {"records": RECORDS}, 3
        server = stack.enter_context(
            ThreadedServer(lambda: create_app(runtime, store, settings=settings))
        )
        yield server.url, workflow, run_input, stages


def test_the_dashboard_runs_a_workflow_live_and_finds_it_in_history(
    dashboard: tuple[str, str, dict[str, Any], int],
) -> None:
    url, workflow, run_input, stages = dashboard
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    foreign: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on(
                "request",
                lambda request: (
                    None if request.url.startswith((url, "data:")) else foreign.append(request.url)
                ),
            )
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))

            page.goto(url + "/#overview")
            page.wait_for_selector("#ov-agent-list li")
            page.get_by_role("link", name="Run").click()
            page.wait_for_selector(f"#run-workflow option[value='{workflow}']", state="attached")
            # Nothing is put in a run that the user did not put there: the JSON box starts
            # empty (the sample records are one click away).
            assert page.input_value("#run-json") == ""
            page.select_option("#run-workflow", workflow)
            page.fill("#run-json", json.dumps(run_input))
            page.get_by_role("button", name="Run", exact=True).click()

            # One bar per stage, each reaching 100%, driven by the SSE stream.
            page.wait_for_function(
                """n => {
                    const bars = document.querySelectorAll('#stage-bars .bar');
                    return bars.length === n && [...bars].every(
                        b => b.querySelector('.track').getAttribute('aria-valuenow') === '100');
                }""",
                arg=stages,
                timeout=60_000,
            )
            page.wait_for_selector("#run-results:not([hidden])", timeout=30_000)
            page.wait_for_selector("#charts img", timeout=30_000)
            run_id = page.inner_text("#run-id").strip()
            assert "completed" in page.inner_text("#run-state")
            assert page.locator("#downloads a").count() == 2
            captions = page.locator("#charts figcaption").all_inner_texts()
            assert captions and all(".svg" not in c and " " in c for c in captions), captions
            if workflow == "revenue":
                assert captions[0] == "Revenue by month"
                extracted = page.evaluate(
                    "async id => (await (await fetch(`v1/workflows/${id}/status`)).json())"
                    ".results.extract.records.count",
                    run_id,
                )
                assert extracted == 600  # its own two sources, and no sample records
            page.screenshot(path=str(SCREENSHOTS / "dashboard-run.png"), full_page=True)

            # History, reached with the keyboard.
            history = page.get_by_role("link", name="History")
            history.focus()
            page.keyboard.press("Enter")
            row = page.locator(f"#history-rows tr[data-run='{run_id}']")
            row.wait_for()
            assert "completed" in row.inner_text()
            row.get_by_role("button", name="Details").click()
            page.wait_for_selector(".details-row td.details table")
            details = page.inner_text(".details-row")
            assert run_id in details
            assert "null" not in details
            assert details.count("succeeded") == stages
            headers = page.locator("#page-history > table.runs > thead th").all_inner_texts()
            assert headers[5] == "Error", headers
            assert row.locator("td.error").count() == 1
            page.screenshot(path=str(SCREENSHOTS / "dashboard-history.png"), full_page=True)

            # A past run's page shows that run's own workflow, whatever is selected.
            page.goto(url + "/#history")
            page.goto(url + f"/#run/{run_id}")
            page.wait_for_function(
                "w => document.querySelector('#run-of').textContent === w", arg=workflow
            )
            assert page.input_value("#run-workflow") == workflow

            # The upload limits stand beside the upload field; a file over them is refused
            # as it is read, before anything is sent.
            page.get_by_role("link", name="Run").click()
            page.get_by_label("File upload").check()
            limits = page.inner_text("#run-file-limits")
            assert f"{MAX_RECORDS:,} records" in limits and "50 MiB" in limits, limits
            uploads: list[str] = []
            page.on(
                "request",
                lambda request: (
                    uploads.append(request.url) if "v1/uploads" in request.url else None
                ),
            )
            page.set_input_files("#run-file", str(_too_many_records()))
            page.wait_for_selector("#run-file-check.bad")
            assert f"more than {MAX_RECORDS:,} records" in page.inner_text("#run-file-check")
            page.get_by_role("button", name="Run", exact=True).click()
            page.wait_for_selector("#alert:not([hidden])")
            assert "more than" in page.inner_text("#alert")
            assert uploads == []

            # A file upload run, on the default workflow.
            page.get_by_role("link", name="Run").click()
            page.select_option("#run-workflow", "default")
            page.get_by_label("File upload").check()
            page.set_input_files("#run-file", str(_upload_file(url)))
            page.get_by_role("button", name="Run", exact=True).click()
            page.wait_for_function(
                """old => document.querySelector('#run-id').textContent !== old
                    && document.querySelector('#run-state').textContent.includes('completed')""",
                arg=run_id,
                timeout=60_000,
            )
            # The state line reads "completed" as soon as the run ends; its results render
            # after one more request.
            page.wait_for_selector("#run-results:not([hidden])", timeout=30_000)
            assert page.locator("#alert").is_hidden()
            assert "uploaded" in page.inner_text("#records-preview").lower()

            page.get_by_role("link", name="Overview").click()
            page.wait_for_selector("#ov-recent tr[data-run]")
            assert page.inner_text("#ov-today") == "2"
            assert page.inner_text("#ov-success") == "100.0%"
            page.screenshot(path=str(SCREENSHOTS / "dashboard-overview.png"), full_page=True)

            page.get_by_role("link", name="Agents").click()
            page.wait_for_selector("#agent-cards article")
            page.screenshot(path=str(SCREENSHOTS / "dashboard-agents.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()
    assert foreign == [], "the dashboard made requests outside the app"


def _upload_file(url: str) -> Path:
    del url  # one file serves every server
    path = SCREENSHOTS / "upload.csv"
    path.write_text(
        "id,podcast_name,revenue,impressions,date\n"
        "u1,uploaded show,$12.50,1000,2024-05-02\n"
        "u2,another show,7.25,500,05/03/2024\n"
    )
    return path


def _too_many_records() -> Path:
    path = SCREENSHOTS / "too-many.csv"
    rows = "".join(f"r{i},show {i},1.00,10,2024-05-02\n" for i in range(MAX_RECORDS + 1))
    path.write_text("id,podcast_name,revenue,impressions,date\n" + rows)
    return path


#: Elements whose right edge passes the viewport, unless a box that scrolls sideways
#: (a wide table's frame) holds them and itself fits.
OVERFLOWING = """() => {
    const width = window.innerWidth;
    const scrolls = (node) => ['auto', 'scroll'].includes(getComputedStyle(node).overflowX);
    const out = [];
    for (const node of document.querySelectorAll('body *')) {
        const box = node.getBoundingClientRect();
        if (box.width === 0 || box.height === 0 || box.right <= width + 0.5) continue;
        let frame = node.parentElement;
        while (frame && frame !== document.body && !scrolls(frame)) frame = frame.parentElement;
        const framed = frame && frame !== document.body;
        if (framed && frame.getBoundingClientRect().right <= width + 0.5) continue;
        const name = `${node.tagName.toLowerCase()}#${node.id}.${node.className}`;
        out.push(`${name} right=${Math.round(box.right)}`);
    }
    return {scrollWidth: document.documentElement.scrollWidth, overflowing: out.slice(0, 10)};
}"""


@pytest.mark.parametrize("width", [390, 1440])
def test_every_page_fits_the_screen_from_phone_to_desktop(
    dashboard: tuple[str, str, dict[str, Any], int], width: int
) -> None:
    url, workflow, run_input, _ = dashboard
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(url + "/#run")
            page.wait_for_selector(f"#run-workflow option[value='{workflow}']", state="attached")
            page.select_option("#run-workflow", workflow)
            page.fill("#run-json", json.dumps(run_input))
            page.get_by_role("button", name="Run", exact=True).click()
            page.wait_for_selector(
                "#run-results:not([hidden]) #records-preview table", timeout=60_000
            )
            run_id = page.inner_text("#run-id").strip()
            views = {
                "run": None,
                "overview": ("#overview", "#ov-recent tr[data-run]"),
                "history": ("#history", f"#history-rows tr[data-run='{run_id}']"),
                "agents": ("#agents", "#agent-cards article"),
            }
            for name, target in views.items():
                if target is not None:
                    page.goto(url + "/" + target[0])
                    page.wait_for_selector(target[1])
                if name == "history":
                    page.get_by_role("button", name="Details").first.click()
                    page.wait_for_selector(".details-row td.details table")
                page.screenshot(
                    path=str(SCREENSHOTS / f"dashboard-{name}-{width}.png"), full_page=True
                )
                found = page.evaluate(OVERFLOWING)
                assert found["scrollWidth"] <= width, (name, found)
                assert found["overflowing"] == [], (name, found)
                header = page.locator("header.top").bounding_box()
                health = page.locator("#health").bounding_box()
                assert header is not None and health is not None
                assert health["y"] + health["height"] <= header["y"] + header["height"] + 0.5
        finally:
            browser.close()


def test_the_retry_button_reruns_a_failed_run_reusing_what_succeeded(
    runtime: Runtime, tmp_path: Path
) -> None:
    register_retry_agents(runtime)
    with (
        RunStore(tmp_path / "runs.db") as store,
        ThreadedServer(lambda: create_app(runtime, store)) as server,
    ):
        (tmp_path / "fail").touch()
        failed = runtime.run(retry_workflow(tmp_path), timeout=30)
        assert failed.status == "failed"
        (tmp_path / "fail").unlink()
        (tmp_path / "calls.txt").unlink()
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.goto(f"{server.url}/#run/{failed.run_id}")
                page.get_by_role("button", name="Retry run").click(timeout=30_000)
                page.wait_for_function(
                    """old => document.querySelector('#run-id').textContent !== old
                        && /completed/.test(document.querySelector('#run-state').textContent)""",
                    arg=failed.run_id,
                    timeout=30_000,
                )
                new_id = page.inner_text("#run-id").strip()
                reused = page.eval_on_selector_all(
                    "#stage-bars .bar[data-reused='true']", "bars => bars.map(b => b.dataset.stage)"
                )
                labels = page.eval_on_selector_all(
                    "#stage-bars .bar .pct", "cells => cells.map(c => c.textContent)"
                )
                page.wait_for_selector("#run-chain:not([hidden]) a")
                chain = page.inner_text("#run-chain")
                assert page.locator("#run-retry").is_hidden()
                page.screenshot(path=str(SCREENSHOTS / "dashboard-retry.png"), full_page=True)
            finally:
                browser.close()
    assert sorted(reused) == ["a", "b", "e"]
    assert labels.count("reused") == 3
    assert chain.startswith("Retry of")
    assert failed.run_id[:12] in chain
    assert calls(tmp_path / "calls.txt") == ["c", "d"]
    assert new_id != failed.run_id
    assert errors == []
