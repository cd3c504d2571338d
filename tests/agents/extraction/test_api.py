"""The ``api`` source against a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest

from actorflow.agents.extraction import extract
from actorflow.contracts import SourceError
from tests.agents.extraction.extraction_helpers import PAGE_SIZE, PAGES, Server


async def read(**source: Any) -> dict[str, Any]:
    return await extract({"sources": [{"type": "api", **source}]})


async def error_of(**source: Any) -> SourceError:
    with pytest.raises(SourceError) as caught:
        await read(**source)
    return caught.value


async def test_next_links_relative_and_absolute_are_followed_to_the_last_page(
    server: Server,
) -> None:
    out = await read(
        name="crm",
        url=f"{server.url}/linked/1",
        records_path="data",
        next_path="links.next",
        headers={"Authorization": "Bearer t0ken"},
        params={"region": "eu", "active": True},
    )
    records = out["records"].to_dicts()
    assert len(records) == PAGE_SIZE * PAGES
    assert records[0] == {"source": "crm", "id": "1", "name": "customer 1", "balance": "1.5"}
    assert [r.path for r in server.requests] == ["/linked/1", "/linked/2", "/linked/3"]
    assert all(r.headers["Authorization"] == "Bearer t0ken" for r in server.requests)
    # The configured query goes with the first request; next links carry their own.
    assert dict(server.requests[0].query) == {"region": "eu", "active": "true"}
    (info,) = out["sources"]
    assert info["url"] == f"{server.url}/linked/1"
    assert info["http_status"] == 200
    assert info["pages"] == PAGES


async def test_a_page_parameter_is_counted_up_until_a_page_is_empty(server: Server) -> None:
    out = await read(url=f"{server.url}/numbered", records_path="result.items", page_param="page")
    assert out["counts"] == {"numbered": PAGE_SIZE * PAGES}
    assert [r.query["page"] for r in server.requests] == ["1", "2", "3", "4"]


async def test_max_pages_bounds_pagination_and_says_so(server: Server) -> None:
    out = await read(url=f"{server.url}/endless", next_path="next", max_pages=4)
    assert out["counts"] == {"endless": 4}
    (warning,) = out["warnings"]
    assert warning["kind"] == "pagination"
    assert warning["source"] == "endless"
    assert "max_pages=4" in warning["message"]


async def test_http_500_is_a_retryable_source_error_naming_url_and_status(server: Server) -> None:
    error = await error_of(name="billing", url=f"{server.url}/status/500")
    assert str(error) == (
        f"billing: GET {server.url}/status/500: HTTP 500 Internal Server Error: something broke"
    )
    assert error.retryable is True


async def test_http_404_is_not_retryable(server: Server) -> None:
    error = await error_of(url=f"{server.url}/status/404")
    assert "HTTP 404 Not Found" in str(error)
    assert error.retryable is False


async def test_a_failing_later_page_names_the_page(server: Server) -> None:
    error = await error_of(name="flaky", url=f"{server.url}/flaky", next_path="next")
    assert f"GET {server.url}/flaky?page=2 (page 2): HTTP 503" in str(error)
    assert error.retryable is True


async def test_a_timeout_is_a_retryable_source_error(server: Server) -> None:
    # The handler waits on an event that is never set: only the client timeout ends it.
    error = await error_of(name="slow", url=f"{server.url}/slow", timeout_s=0.2)
    assert str(error) == f"slow: GET {server.url}/slow: no complete answer within timeout_s=0.2 s"
    assert error.retryable is True
    assert server.slow_entered.is_set()


async def test_an_invalid_json_body_names_line_and_column_and_is_not_retried(
    server: Server,
) -> None:
    error = await error_of(name="bad", url=f"{server.url}/invalid")
    assert str(error) == (
        f"bad: GET {server.url}/invalid: the response body is not valid JSON: "
        "line 3, column 12: invalid JSON: trailing comma in object"
    )
    assert error.retryable is False


async def test_a_missing_records_path_names_the_missing_key(server: Server) -> None:
    error = await error_of(url=f"{server.url}/linked/3", records_path="result.items")
    assert "records_path 'result.items': the response body has no 'result' at the top level" in (
        str(error)
    )
    assert "(its keys: 'data')" in str(error)


async def test_a_refused_connection_is_retryable(unused_tcp_port: int) -> None:
    error = await error_of(name="down", url=f"http://127.0.0.1:{unused_tcp_port}/x")
    assert str(error).startswith(
        f"down: GET http://127.0.0.1:{unused_tcp_port}/x: connection failed"
    )
    assert error.retryable is True
