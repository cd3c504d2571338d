"""One test (or more) per security rule: token, binding, origins, sources, limits."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from actorflow import Runtime
from actorflow.web import InsecureConfigError, Settings, create_app, run_server
from actorflow.web._routes import ROUTES
from actorflow.web._serve import server_settings
from tests.web.web_agents import RECORDS, Gate, gated_workflow
from tests.web.web_server import MakeServer, Served, raw_request, start_site

TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _concrete(path: str) -> str:
    return path.replace("{workflow_id}", "some-run")


# -- the token --------------------------------------------------------------------------


async def test_every_route_but_health_needs_the_token(make_server: MakeServer) -> None:
    server = await make_server(api_token=TOKEN)
    for method, path, _, public in ROUTES:
        async with server.http.request(method, server.url + _concrete(path)) as response:
            if public:
                assert response.status == 200, path
                continue
            assert response.status == 401, (method, path)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert (await response.json())["error"]["code"] == "unauthorized"
    for path in ("/", "/static/app.js", "/static/app.css"):
        async with server.http.get(server.url + path) as response:
            assert response.status == 401, path


async def test_the_right_token_opens_every_route_and_a_wrong_one_does_not(
    make_server: MakeServer,
) -> None:
    server = await make_server(api_token=TOKEN)
    status, _ = await server.get("/v1/workflows", headers={"Authorization": "Bearer wrong-token"})
    assert status == 401
    status, _ = await server.get("/v1/workflows", headers={"Authorization": TOKEN})
    assert status == 401
    for method, path, _, _ in ROUTES:
        async with server.http.request(
            method, server.url + _concrete(path), headers=AUTH
        ) as response:
            assert response.status != 401, (method, path)
    run_id = await server.execute({"task": "t", "input_data": {"r": RECORDS}}, headers=AUTH)
    assert run_id


async def test_the_dashboard_takes_the_token_once_and_keeps_it_in_a_strict_cookie(
    make_server: MakeServer,
) -> None:
    server = await make_server(api_token=TOKEN)
    # unsafe=True: keep cookies of an IP address host, as a browser does.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(server.url + "/") as response:
            assert response.status == 401
            assert "API token" in await response.text()
        async with browser.get(server.url + "/?token=wrong-wrong") as response:
            assert response.status == 401
            assert "not the right one" in await response.text()
        async with browser.get(server.url + f"/?token={TOKEN}", allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/"
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie
            assert "SameSite=Strict" in cookie
            assert TOKEN not in cookie
        async with browser.get(server.url + "/") as response:
            assert response.status == 200
            assert "Content-Security-Policy" in response.headers
        async with browser.get(server.url + "/v1/workflows") as response:
            assert response.status == 200


@pytest.mark.parametrize("path", ["/v1/workflows", "/", "/static/app.js"])
@pytest.mark.parametrize(
    "credential",
    [b"Authorization: Bearer \xe9t\xe9-latin-1", "Cookie: actorflow_session=caf\u00e9".encode()],
    ids=["latin-1-authorization", "non-ascii-cookie"],
)
async def test_credentials_with_non_ascii_bytes_are_a_401_not_a_500(
    make_server: MakeServer, path: str, credential: bytes
) -> None:
    # Reported: hmac.compare_digest on str raised, a 500 (and a logged traceback).
    server = await make_server(api_token=TOKEN)
    port = int(server.url.rsplit(":", 1)[1])
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode() + credential
    answer = await raw_request(port, request + b"\r\nConnection: close\r\n\r\n")
    assert answer.status == 401, answer


# -- binding ----------------------------------------------------------------------------


def test_the_server_refuses_a_non_loopback_address_without_a_token() -> None:
    for host in ("0.0.0.0", "192.168.1.10", "::", "example.org"):
        with pytest.raises(InsecureConfigError, match="ACTORFLOW_API_TOKEN"):
            server_settings(host, Settings())
        with pytest.raises(InsecureConfigError):
            run_server(host, 0, settings=Settings(), ready=pytest.fail)
    assert server_settings("0.0.0.0", Settings(api_token=TOKEN)).api_token == TOKEN
    loopback = server_settings("127.0.0.1", Settings())
    assert "localhost" in loopback.trusted_hosts


def test_the_default_address_is_loopback() -> None:
    import inspect

    from actorflow.web import serve

    for function in (run_server, serve):
        assert inspect.signature(function).parameters["host"].default == "127.0.0.1"


async def test_a_loopback_server_answers_only_to_local_host_names(
    make_server: MakeServer,
) -> None:
    server = await make_server(trusted_hosts=("127.0.0.1", "localhost"))
    status, _ = await server.get("/v1/workflows")
    assert status == 200
    status, body = await server.get("/v1/workflows", headers={"Host": "evil.example:8000"})
    assert (status, body["error"]["code"]) == (400, "untrusted_host")


@pytest.mark.parametrize(
    "trusted", [("127.0.0.1", "localhost", "::1"), ()], ids=["loopback", "any"]
)
@pytest.mark.parametrize(
    "host", ["evil.example:80@127.0.0.1", "127.0.0.1/x", "127.0.0.1:80:80", "a b", ""]
)
async def test_a_host_header_that_is_not_a_host_and_port_is_a_400(
    make_server: MakeServer, trusted: tuple[str, ...], host: str
) -> None:
    # Reported: "evil.example:80@127.0.0.1" read as the host 127.0.0.1 (user info) and
    # passed the loopback server's check.
    server = await make_server(trusted_hosts=trusted)
    status, body = await server.get("/v1/health", headers={"Host": host})
    assert status == 400, body
    assert body["error"] == {
        "code": "invalid_host",
        "message": f"Host {host!r} is not a host name or address with an optional port",
        "field": "Host",
    }
    for fine in ("127.0.0.1", "localhost:8000", "[::1]:8000", "LOCALHOST"):
        status, body = await server.get("/v1/health", headers={"Host": fine})
        assert status == 200, (fine, body)


async def test_writes_from_another_origin_are_refused(server: Served) -> None:
    body = {"task": "t", "input_data": {"r": RECORDS}}
    status, answer = await server.post(
        "/v1/workflows/execute", body, headers={"Origin": "http://evil.example"}
    )
    assert (status, answer["error"]["code"]) == (403, "cross_origin")
    host = server.url.removeprefix("http://")
    status, _ = await server.post(
        "/v1/workflows/execute", body, headers={"Origin": f"http://{host}"}
    )
    assert status == 200


# -- bodies and limits ------------------------------------------------------------------


async def test_json_bodies_must_say_they_are_json(server: Served) -> None:
    status, body = await server.post(
        "/v1/workflows/execute",
        data=json.dumps({"task": "t"}),
        headers={"Content-Type": "text/plain"},
    )
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")


async def test_a_body_over_the_limit_is_413(make_server: MakeServer) -> None:
    server = await make_server(max_body_bytes=2000)
    status, body = await server.post(
        "/v1/workflows/execute", {"task": "x" * 3000, "input_data": {}}
    )
    assert (status, body["error"]["code"]) == (413, "payload_too_large")


async def test_a_body_nested_too_deeply_is_400(server: Served) -> None:
    deep = {"task": "t", "input_data": {"a": json.loads("[" * 100 + "]" * 100)}}
    status, body = await server.post("/v1/workflows/execute", deep)
    assert (status, body["error"]["code"]) == (400, "invalid_json")
    very_deep = '{"task": "t", "input_data": {"a": ' + "[" * 5000 + "]" * 5000 + "}}"
    status, body = await server.post(
        "/v1/workflows/execute", data=very_deep, headers={"Content-Type": "application/json"}
    )
    assert status == 400


async def test_too_many_records_in_one_run_is_413(make_server: MakeServer) -> None:
    server = await make_server(max_records_per_run=2)
    status, body = await server.post(
        "/v1/workflows/execute", {"task": "t", "input_data": {"records": RECORDS}}
    )
    assert (status, body["error"]["code"]) == (413, "too_many_records")
    status, body = await server.post(
        "/v1/workflows/execute",
        {
            "task": "t",
            "input_data": {"records": RECORDS[:1]},
            "workflow_config": {"sources": [{"type": "inline", "records": RECORDS[:2]}]},
        },
    )
    assert status == 413


async def test_a_file_that_yields_too_many_records_fails_its_run_as_it_is_read(
    make_server: MakeServer, data_root: Path
) -> None:
    (data_root / "big.csv").write_text("id,revenue\n" + "".join(f"{i},1\n" for i in range(10)))
    server = await make_server(max_records_per_run=5)
    run_id = await server.execute(
        {"task": "t", "workflow_config": {"sources": [{"type": "file", "path": "big.csv"}]}}
    )
    final = await server.wait_done(run_id)
    # Failed by the extraction as its read passed the limit (it was cancelled once the
    # whole file had been read), once: the same file passes it again.
    assert final["status"] == "failed"
    message = final["error_detail"]["message"]
    assert message.startswith("big: file ")
    assert "more than 5 records in all" in message
    assert "max_rows=5" in message
    assert final["error_detail"]["type"] == "LimitExceededError"
    assert final["stages"][0]["attempts"] == 1  # extraction has retries; not for this
    assert final["results"] == {}  # nothing to download


async def test_runs_beyond_the_concurrency_limit_are_429(make_server: MakeServer) -> None:
    server = await make_server(max_concurrent_runs=1)
    gate, _entered = Gate.make("busy")
    held = await server.execute(
        {"task": "t", "input_data": {"r": RECORDS}, "workflow_config": gated_workflow("busy")}
    )
    status, body = await server.post("/v1/workflows/execute", {"task": "t"})
    assert (status, body["error"]["code"]) == (429, "too_many_runs")
    gate.set()
    await server.wait_done(held)
    status, _ = await server.post(
        "/v1/workflows/execute", {"task": "t", "input_data": {"r": RECORDS}}
    )
    assert status == 200


async def test_uploads_are_stored_in_the_upload_root_and_bounded(
    make_server: MakeServer,
) -> None:
    server = await make_server(max_upload_bytes=200)
    form = aiohttp.FormData()
    form.add_field("file", b"id,podcast_name,revenue\n1,a,5.00\n", filename="../../evil name.csv")
    status, uploaded = await server.post("/v1/uploads", data=form)
    assert status == 200
    path = Path(uploaded["source"]["path"])
    assert path.name == "evil_name.csv"
    assert path.is_relative_to(server.service.settings.upload_dir.resolve())
    run_id = await server.execute(
        {"task": "t", "workflow_config": {"sources": [uploaded["source"]]}}
    )
    final = await server.wait_done(run_id)
    assert final["status"] == "completed"
    assert final["results"]["processing"]["records"]["count"] == 1

    big = aiohttp.FormData()
    big.add_field("file", b"x" * 500, filename="big.csv")
    status, body = await server.post("/v1/uploads", data=big)
    assert (status, body["error"]["code"]) == (413, "payload_too_large")
    odd = aiohttp.FormData()
    odd.add_field("file", b"MZ", filename="tool.exe")
    status, body = await server.post("/v1/uploads", data=odd)
    assert status == 415
    status, body = await server.post("/v1/uploads", {"file": "not multipart"})
    assert status == 415


# -- file and database sources ------------------------------------------------------------


async def test_file_sources_are_confined_to_the_data_roots(
    make_server: MakeServer, data_root: Path, tmp_path: Path
) -> None:
    (data_root / "ok.csv").write_text("id,podcast_name,revenue\n1,a,5.00\n")
    outside = tmp_path / "secret.csv"
    outside.write_text("id,revenue\n1,666\n")
    (data_root / "link.csv").symlink_to(outside)
    (data_root / "dir-link").symlink_to(tmp_path, target_is_directory=True)
    server = await make_server()

    run_id = await server.execute(
        {"task": "t", "workflow_config": {"sources": [{"type": "file", "path": "ok.csv"}]}}
    )
    assert (await server.wait_done(run_id))["status"] == "completed"

    for path in (
        str(outside),
        "../secret.csv",
        "sub/../../secret.csv",
        "link.csv",
        "dir-link/secret.csv",
        "/etc/passwd",
    ):
        status, body = await server.post(
            "/v1/workflows/execute",
            {"task": "t", "workflow_config": {"sources": [{"type": "file", "path": path}]}},
        )
        assert status == 403, (path, body)
        assert body["error"]["field"] == "workflow_config.params.extraction.sources[0].path"


async def test_without_data_roots_file_sources_and_uploads_are_refused(
    agents_runtime: Runtime,
) -> None:
    # No store either, so no upload folder: nothing on disk is reachable.
    app = create_app(agents_runtime, persist=False, settings=Settings())
    runner, url = await start_site(app)
    try:
        async with aiohttp.ClientSession() as http:
            body = {
                "task": "t",
                "workflow_config": {"sources": [{"type": "file", "path": "x.csv"}]},
            }
            async with http.post(url + "/v1/workflows/execute", json=body) as response:
                assert response.status == 403
                assert "no data roots" in (await response.json())["error"]["message"]
            form = aiohttp.FormData()
            form.add_field("file", b"id\n1\n", filename="a.csv")
            async with http.post(url + "/v1/uploads", data=form) as response:
                assert response.status == 403
    finally:
        await runner.cleanup()


async def test_database_sources_are_read_only(make_server: MakeServer, data_root: Path) -> None:
    database = data_root / "shop.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE sales (id TEXT, podcast_name TEXT, revenue TEXT)")
        conn.execute("INSERT INTO sales VALUES ('1', 'a', '5.00'), ('2', 'b', '7.50')")
    conn.close()
    before = database.read_bytes()
    server = await make_server()

    for query in ("DELETE FROM sales", "DROP TABLE sales", "ATTACH '/tmp/x.db' AS x", "PRAGMA x=1"):
        status, body = await server.post(
            "/v1/workflows/execute",
            {
                "task": "t",
                "workflow_config": {
                    "sources": [{"type": "database", "path": "shop.db", "query": query}]
                },
            },
        )
        assert (status, body["error"]["field"]) == (
            403,
            "workflow_config.params.extraction.sources[0].query",
        ), query
    # Even a statement that looks like a read cannot write: the file is opened read-only.
    sneaky = "WITH x AS (SELECT 1) DELETE FROM sales"
    run_id = await server.execute(
        {
            "task": "t",
            "workflow_config": {
                "sources": [{"type": "database", "path": "shop.db", "query": sneaky}]
            },
        },
    )
    assert (await server.wait_done(run_id))["status"] == "failed"
    run_id = await server.execute(
        {
            "task": "t",
            "workflow_config": {
                "sources": [{"type": "database", "path": "shop.db", "query": "SELECT * FROM sales"}]
            },
        },
    )
    final = await server.wait_done(run_id)
    assert final["status"] == "completed"
    assert final["results"]["processing"]["records"]["count"] == 2
    assert database.read_bytes() == before


# -- API sources --------------------------------------------------------------------------


async def test_api_sources_may_not_reach_private_addresses(make_server: MakeServer) -> None:
    server = await make_server()
    for url in (
        "http://127.0.0.1:8000/records",
        "http://localhost/records",
        "http://10.0.0.7/records",
        "http://192.168.1.1/records",
        "http://172.16.0.1/records",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/records",
        "http://[::ffff:127.0.0.1]/records",
        "http://internal.example/records",
        "http://sneaky.example/records",
    ):
        status, body = await server.post(
            "/v1/workflows/execute",
            {"task": "t", "workflow_config": {"sources": [{"type": "api", "url": url}]}},
        )
        assert status in (403, 422), (url, body)
        assert body["error"]["field"] == "workflow_config.params.extraction.sources[0].url"
        assert status == 403 or "resolve" in body["error"]["message"], (url, body)


async def test_api_sources_reach_public_hosts_and_listed_private_ones(
    make_server: MakeServer,
) -> None:
    api = web.Application()

    async def records(request: web.Request) -> web.Response:
        return web.json_response({"data": RECORDS})

    api.router.add_get("/records", records)
    runner, url = await start_site(api)
    try:
        open_server = await make_server()
        status, _ = await open_server.post(
            "/v1/workflows/execute",
            {
                "task": "t",
                "workflow_config": {
                    "sources": [{"type": "api", "url": "https://public.example/records"}]
                },
            },
        )
        assert status == 200  # allowed (whether the fetch then works is the run's business)

        listed = await make_server(allowed_hosts=("127.0.0.1",))
        run_id = await listed.execute(
            {
                "task": "t",
                "workflow_config": {
                    "sources": [{"type": "api", "url": url + "/records", "records_path": "data"}]
                },
            },
        )
        final = await listed.wait_done(run_id)
        assert final["status"] == "completed"
        assert final["results"]["processing"]["records"]["count"] == 2
        status, body = await listed.post(
            "/v1/workflows/execute",
            {
                "task": "t",
                "workflow_config": {
                    "sources": [{"type": "api", "url": "https://public.example/records"}]
                },
            },
        )
        assert status == 403
        assert "allowed hosts" in body["error"]["message"]
    finally:
        await runner.cleanup()


async def test_sources_in_a_workflow_of_the_callers_own_are_checked_too(
    server: Served,
) -> None:
    config = {
        "stages": [
            {
                "name": "grab",
                "agent": "extractor",
                "params": {"sources": [{"type": "file", "path": "/etc/passwd"}]},
            },
        ]
    }
    status, body = await server.post(
        "/v1/workflows/execute", {"task": "t", "workflow_config": config}
    )
    assert status == 403
    assert body["error"]["field"] == "workflow_config.stages[0].params.sources[0].path"
    override = {"params": {"extraction": {"sources": [{"type": "api", "url": "http://10.0.0.1/"}]}}}
    status, body = await server.post(
        "/v1/workflows/execute", {"task": "t", "workflow_config": override}
    )
    assert status == 403
    assert body["error"]["field"] == "workflow_config.params.extraction.sources[0].url"


def test_guard_resolver_refuses_private_answers() -> None:
    from actorflow.agents.extraction.hosts import is_public
    from actorflow.web._guard import HostPolicy

    assert is_public("93.184.216.34")
    for address in (
        "127.0.0.1",
        "10.0.0.1",
        "169.254.1.1",
        "::1",
        "fe80::1",
        "100.64.0.1",
        "0.0.0.0",
    ):
        assert not is_public(address), address
    policy = HostPolicy(("*.corp.example", "127.0.0.1"))
    assert policy.listed("api.corp.example")
    assert not policy.listed("corp.example.evil")
    assert not policy.listed("corp.example")


def test_settings_come_from_the_environment_and_refuse_nonsense(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "ACTORFLOW_API_TOKEN": TOKEN,
            "ACTORFLOW_DATA_ROOTS": f"{tmp_path}{os.pathsep}{tmp_path / 'b'}",
            "ACTORFLOW_ALLOWED_HOSTS": "api.example.com, *.corp.example",
        },
        max_concurrent_runs=3,
    )
    assert settings.api_token == TOKEN
    assert settings.data_roots == (tmp_path, tmp_path / "b")
    assert settings.allowed_hosts == ("api.example.com", "*.corp.example")
    assert settings.max_concurrent_runs == 3
    assert Settings.from_env({}).api_token is None
    with pytest.raises(ValueError, match="at least 8"):
        Settings(api_token="short")
    with pytest.raises(ValueError, match="max_body_bytes"):
        Settings(max_body_bytes=0)


async def test_garbled_host_and_origin_headers_are_refused_not_crashed_on(
    make_server: MakeServer,
) -> None:
    server = await make_server(trusted_hosts=("127.0.0.1",))
    status, _ = await server.get("/v1/workflows", headers={"Host": "[::1"})
    assert status == 400
    status, body = await server.post(
        "/v1/workflows/execute", {"task": "t"}, headers={"Origin": "http://[bad"}
    )
    assert (status, body["error"]["code"]) == (403, "cross_origin")


async def test_an_api_source_cannot_be_redirected_out_of_the_allowed_hosts(
    make_server: MakeServer,
) -> None:
    api = web.Application()

    async def hop(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.1:{request.url.port}/records")

    async def records(request: web.Request) -> web.Response:
        return web.json_response({"data": RECORDS})

    api.router.add_get("/hop", hop)
    api.router.add_get("/records", records)
    runner, url = await start_site(api)
    try:
        served = await make_server(allowed_hosts=("localhost",))
        source = {"type": "api", "url": url.replace("127.0.0.1", "localhost") + "/hop",
                  "records_path": "data"}  # fmt: skip
        run_id = await served.execute({"task": "t", "workflow_config": {"sources": [source]}})
        final = await served.wait_done(run_id)
        assert final["status"] == "failed"
        assert "'127.0.0.1' is not among the hosts" in json.dumps(final)
    finally:
        await runner.cleanup()
