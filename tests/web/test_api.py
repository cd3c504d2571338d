"""Every REST route on a real server: the seed's flow, listing, results, cancel, errors."""

from __future__ import annotations

import asyncio
import csv
import io
import threading

from tests.web.web_agents import RECORDS, Gate, gated_workflow
from tests.web.web_server import MakeServer, Served


async def test_seed_client_flow_submits_polls_until_completed_and_reads_results(
    server: Served,
) -> None:
    status, started = await server.post(
        "/v1/workflows/execute",
        {"task": "Clean and analyse the podcast revenue", "input_data": {"records": RECORDS}},
    )
    assert status == 200
    assert started["status"] == "processing"
    assert set(started["progress"]) == {"current_stage", "completion", "message"}
    assert started["stages"] == ["extraction", "processing", "insights"]

    final = await server.wait_done(started["workflow_id"])

    assert final["status"] == "completed"
    assert final["progress"]["completion"] == 100
    assert final["error"] is None
    assert final["execution_time"] > 0
    assert [s["status"] for s in final["stages"]] == ["succeeded"] * 3
    insights = final["results"]["insights"]
    assert insights["totals"] == {"revenue": "300.75", "records": 2}
    assert insights["charts"]["revenue_by_month"].startswith("<svg")
    table = final["results"]["processing"]["records"]
    assert table["type"] == "records"
    assert table["count"] == 2
    assert [row["podcast_name"] for row in table["rows"]] == ["THE DAILY", "TECH TALK"]
    assert (
        final["results"]["processing"]["stats"]["task"] == "Clean and analyse the podcast revenue"
    )


async def test_inline_lists_under_any_key_are_records(server: Served) -> None:
    run_id = await server.execute(
        {"task": "analyse customers", "input_data": {"customers": RECORDS[:2]}}
    )
    final = await server.wait_done(run_id)
    assert final["status"] == "completed"
    assert final["results"]["extraction"]["counts"] == {"customers": 2}


async def test_money_in_json_numbers_keeps_its_written_digits(server: Served) -> None:
    body = (
        '{"task": "t", "input_data": {"records": '
        '[{"id": 1, "podcast_name": "a", "revenue": 12.30}]}}'
    )
    status, started = await server.post(
        "/v1/workflows/execute", data=body, headers={"Content-Type": "application/json"}
    )
    assert status == 200
    final = await server.wait_done(started["workflow_id"])
    assert final["results"]["processing"]["records"]["rows"][0]["revenue"] == "12.30"


async def test_status_of_an_unknown_run_is_a_404_json_error(server: Served) -> None:
    status, body = await server.get("/v1/workflows/nope/status")
    assert status == 404
    assert body == {
        "error": {"code": "not_found", "message": "no workflow run 'nope'", "field": "workflow_id"}
    }


async def test_list_filters_by_status_and_limit(server: Served) -> None:
    ids = [
        await server.execute({"task": "t", "input_data": {"records": RECORDS}}) for _ in range(3)
    ]
    failing = await server.execute({"task": "t", "input_data": {"records": []}})
    for run_id in [*ids, failing]:
        await server.wait_done(run_id)

    async with server.http.get(server.url + "/v1/workflows?status=completed&limit=2") as answer:
        assert answer.status == 200
        listing = await answer.json()
        headers = answer.headers
    # The seed's shape: an array; the paging in the headers.
    assert [run["workflow_id"] for run in listing] == ids[::-1][:2]
    assert all(run["status"] == "completed" for run in listing)
    assert headers["X-Total-Count"] == "3"
    assert headers["Link"] == '</v1/workflows?status=completed&limit=2&offset=2>; rel="next"'
    _, rest = await server.get("/v1/workflows?status=completed&limit=2&offset=2")
    assert [run["workflow_id"] for run in rest] == ids[:1]

    _, failed = await server.get("/v1/workflows?status=failed")
    assert [run["workflow_id"] for run in failed] == [failing]
    assert failed[0]["error_detail"]["type"] == "DataValidationError"
    detail = failed[0]["error_detail"]
    assert failed[0]["error"] == f"stage 'extraction': {detail['message']}"  # the seed's string

    async with server.http.get(server.url + "/v1/workflows") as answer:
        assert len(await answer.json()) == 4
        assert answer.headers["X-Total-Count"] == "4"
        assert "Link" not in answer.headers


async def test_list_rejects_a_bad_status_and_limit_naming_the_field(server: Served) -> None:
    status, body = await server.get("/v1/workflows?status=done")
    assert (status, body["error"]["field"]) == (422, "status")
    status, body = await server.get("/v1/workflows?limit=0")
    assert (status, body["error"]["field"]) == (422, "limit")
    status, body = await server.get("/v1/workflows?limit=ten")
    assert (status, body["error"]["field"]) == (422, "limit")


async def test_health_counts_workflows_and_ready_agents(server: Served) -> None:
    await server.wait_done(await server.execute({"task": "t", "input_data": {"r": RECORDS}}))
    status, health = await server.get("/v1/health")
    assert status == 200
    assert health["status"] == "healthy"
    assert health["agents_ready"] == health["agents_total"] == 4
    assert health["total_workflows"] >= 1
    assert health["active_workflows"] == 0


async def test_agent_capabilities_give_role_expertise_and_stats(server: Served) -> None:
    await server.wait_done(await server.execute({"task": "t", "input_data": {"r": RECORDS}}))
    status, body = await server.get("/v1/agents/capabilities")
    assert status == 200
    agents = body["agents"]  # keyed by name, as the seed's
    assert set(agents) == {"extractor", "processor", "insights", "gate"}
    assert all(agent["name"] == name for name, agent in agents.items())
    extractor = agents["extractor"]
    assert extractor["role"] == "extractor"
    assert "csv" in extractor["expertise"]
    assert extractor["healthy"] is True
    assert extractor["backend"] == "pykka"
    assert extractor["stats"]["executions"] >= 1
    assert extractor["stats"]["success_rate"] == 1.0


async def test_workflow_definitions_list_the_default_workflow(server: Served) -> None:
    status, body = await server.get("/v1/workflow-definitions")
    assert status == 200
    (default,) = body["workflows"]
    assert default["name"] == "default"
    assert default["default"] is True
    assert default["available"] is True
    assert [s["name"] for s in default["stages"]] == ["extraction", "processing", "insights"]


async def test_stats_report_runs_today_and_success_rate(server: Served) -> None:
    await server.wait_done(await server.execute({"task": "t", "input_data": {"r": RECORDS}}))
    await server.wait_done(await server.execute({"task": "t", "input_data": {"r": []}}))
    server.service.store.flush()  # type: ignore[union-attr]
    status, stats = await server.get("/v1/stats")
    assert status == 200
    assert stats["runs_today"] == 2
    assert stats["success_rate"] == 0.5
    assert stats["by_status"] == {"completed": 1, "failed": 1}


async def test_results_download_as_json_and_csv(server: Served) -> None:
    run_id = await server.execute({"task": "t", "input_data": {"records": RECORDS}})
    await server.wait_done(run_id)

    async with server.http.get(f"{server.url}/v1/workflows/{run_id}/results?format=csv") as r:
        assert r.status == 200
        assert r.content_type == "text/csv"
        assert "attachment" in r.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(await r.text())))
    assert [row["podcast_name"] for row in rows] == ["THE DAILY", "TECH TALK"]

    status, rejects = await server.get(
        f"/v1/workflows/{run_id}/results?format=csv&stage=processing&table=rejects"
    )
    assert status == 200
    assert "revenue: missing" in rejects

    status, document = await server.get(f"/v1/workflows/{run_id}/results?format=json")
    assert status == 200
    assert document["results"]["processing"]["records"]["truncated"] is False
    assert document["results"]["insights"]["totals"]["revenue"] == "300.75"


async def test_older_runs_let_go_of_their_outputs_and_results_come_from_the_store(
    make_server: MakeServer,
) -> None:
    server = await make_server(keep_results=1)
    first = await server.execute({"task": "t", "input_data": {"records": RECORDS}})
    before = await server.wait_done(first)
    _, csv_before = await server.get(f"/v1/workflows/{first}/results?format=csv")
    second = await server.execute({"task": "t", "input_data": {"records": RECORDS[:1]}})
    await server.wait_done(second)

    tracked = server.service.tracker.get(first)
    assert tracked is not None and tracked.result is not None
    assert tracked.outputs_released
    assert all(o.output is None for o in tracked.result.stages.values())  # memory let go
    newest = server.service.tracker.get(second)
    assert newest is not None and not newest.outputs_released

    status, after = await server.get(f"/v1/workflows/{first}/status")
    assert (status, after) == (200, before)  # the status was kept, results and all
    status, csv_after = await server.get(f"/v1/workflows/{first}/results?format=csv")
    assert (status, csv_after) == (200, csv_before)  # read back from the store's files
    status, document = await server.get(f"/v1/workflows/{first}/results?format=json")
    assert document["results"]["insights"]["totals"]["revenue"] == "300.75"


async def test_results_refuse_bad_formats_tables_and_unfinished_runs(server: Served) -> None:
    gate, _entered = Gate.make("results")
    run_id = await server.execute(
        {"task": "t", "input_data": {"r": RECORDS}, "workflow_config": gated_workflow("results")}
    )
    status, body = await server.get(f"/v1/workflows/{run_id}/results")
    assert (status, body["error"]["code"]) == (409, "still_processing")
    gate.set()
    await server.wait_done(run_id)
    status, body = await server.get(f"/v1/workflows/{run_id}/results?format=xml")
    assert (status, body["error"]["field"]) == (422, "format")
    status, body = await server.get(f"/v1/workflows/{run_id}/results?format=csv&table=nope")
    assert (status, body["error"]["field"]) == (404, "table")
    status, body = await server.get("/v1/workflows/unknown/results")
    assert status == 404


async def test_cancel_stops_a_running_run_and_a_second_cancel_is_a_conflict(
    server: Served,
) -> None:
    Gate.make("cancel")
    entered = Gate.entered["cancel"]
    run_id = await server.execute(
        {"task": "t", "input_data": {"r": RECORDS}, "workflow_config": gated_workflow("cancel")}
    )
    assert await _wait_threading_event(entered)

    status, body = await server.post(f"/v1/workflows/{run_id}/cancel")
    assert status == 200
    assert body["message"] == "cancellation requested"

    final = await server.wait_done(run_id)
    assert final["status"] == "cancelled"
    assert "cancelled through the API" in final["error_detail"]["message"]
    status, body = await server.post(f"/v1/workflows/{run_id}/cancel")
    assert (status, body["error"]["code"]) == (409, "already_finished")
    status, _ = await server.post("/v1/workflows/unknown/cancel")
    assert status == 404


async def test_bad_input_gets_a_4xx_naming_the_field_never_a_500(server: Served) -> None:
    cases = [
        ({"input_data": {}}, 422, None),
        ({"task": 5}, 422, "task"),
        ({"task": "t", "input_data": []}, 422, "input_data"),
        ({"task": "t", "surprise": 1}, 422, None),
        ({"task": "t", "workflow": "nope"}, 422, "workflow"),
        (
            {"task": "t", "workflow_config": {"params": {"nope": {}}}},
            422,
            "workflow_config.params.nope",
        ),
        (
            {"task": "t", "workflow_config": {"stages": [{"name": "a", "agent": "ghost"}]}},
            422,
            "workflow_config",
        ),
        (
            {"task": "t", "workflow_config": {"sources": [{"type": "ftp"}]}},
            422,
            "workflow_config.params.extraction.sources[0].type",
        ),
        (
            {
                "task": "t",
                "workflow_config": {"sources": [{"type": "inline", "records": [], "oops": 1}]},
            },
            422,
            "workflow_config.params.extraction.sources[0]",
        ),
    ]
    for body, code, field in cases:
        status, answer = await server.post("/v1/workflows/execute", body)
        assert status == code, (body, answer)
        assert set(answer["error"]) == {"code", "message", "field"}
        if field is not None:
            assert answer["error"]["field"] == field, (body, answer)

    status, answer = await server.post(
        "/v1/workflows/execute", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (status, answer["error"]["code"]) == (400, "invalid_json")


async def test_unknown_routes_and_methods_answer_json(server: Served) -> None:
    status, body = await server.get("/v1/nothing-here")
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = await server.get("/v1/workflows/execute")
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")


async def test_openapi_document_lists_every_route(server: Served) -> None:
    status, document = await server.get("/openapi.json")
    assert status == 200
    assert document["openapi"] == "3.1.0"
    routes = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    from actorflow.web._routes import ROUTES

    assert routes == {(method, path) for method, path, _, _ in ROUTES}
    assert "ExecuteRequest" in document["components"]["schemas"]


async def _wait_threading_event(event: threading.Event) -> bool:
    return await asyncio.to_thread(event.wait, 10.0)
