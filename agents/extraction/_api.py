"""The ``api`` source: JSON records fetched with aiohttp, following pagination.

Bodies are read as a stream and counted against the source's byte limit (after its
``Content-Length``, when the server gives one), so a body bigger than the limit is never
held whole; an error page is read no further than the snippet its message shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import polars as pl
from yarl import URL

from ._api_page import read_page
from ._limits import LimitReached, Meter
from ._network import NetworkPolicyError
from ._result import ReadError, SourceData
from ._sources import ApiSource
from ._values import FieldStats

#: Statuses worth another attempt: the server is overloaded, failing or asks us to wait.
_RETRYABLE_STATUS = frozenset({408, 425, 429})
_SNIPPET_CHARS = 200
#: Bytes of an error page read for its snippet (a UTF-8 character is up to 4).
_SNIPPET_BYTES = 4 * _SNIPPET_CHARS
#: Bytes of a body read at a time, each counted before the next is read.
_CHUNK_BYTES = 256 * 1024


async def read_api(
    config: ApiSource,
    session: aiohttp.ClientSession,
    *,
    check_cancelled: Callable[[], None] = lambda: None,
    meter: Meter | None = None,
) -> SourceData:
    """Fetch every page of an API source.

    Raises:
        ReadError: an HTTP error, a timeout, an invalid body or a missing records path,
            naming the URL and the page. Timeouts, connection errors, 5xx, 408 and 429 are
            retryable; 4xx and invalid bodies are not.
        LimitReached: the bodies (all pages together) passed the ``meter``'s bytes, or
            their records its records, naming the URL and the page.
    """
    meter = meter if meter is not None else Meter()
    paginated = bool(config.next_path or config.page_param)
    url = URL(config.url)
    query = {key: _query_value(value) for key, value in config.params.items()}
    page_number = config.start_page
    seen = {url}
    frames: list[pl.DataFrame] = []
    stats = FieldStats()
    warnings: list[dict[str, Any]] = []
    status = 0
    pages = 0
    while True:
        check_cancelled()
        pages += 1
        where = f"GET {url}" + (f" (page {pages})" if paginated else "")
        if config.page_param:
            query[config.page_param] = str(page_number)
        body, status, final_url = await _get(session, url, query, config, where, meter=meter)
        page = await read_page(body, config, meter, where)
        del body
        if page.frame.width:
            frames.append(page.frame)
        stats.add(page.stats)

        if config.next_path:
            link = page.next_link
            if link is None:
                break
            # The link carries its own query: the configured params were for page one.
            url, query = final_url.join(URL(link)), {}
            if url in seen:
                warnings.append(_warning(f"the next link of page {pages} points back to {url}"))
                break
            seen.add(url)
        elif config.page_param:
            if not page.stats.records:
                break
            page_number += 1
        else:
            break
        if pages >= config.max_pages:
            warnings.append(
                _warning(f"stopped after max_pages={config.max_pages} pages; more may remain")
            )
            break
    frame = pl.concat(frames, how="diagonal") if frames else pl.DataFrame()
    info = {"url": config.url, "http_status": status, "pages": pages}
    return SourceData(frame, info=info, fields=stats, warnings=warnings)


async def _get(
    session: aiohttp.ClientSession,
    url: URL,
    query: Mapping[str, str],
    config: ApiSource,
    where: str,
    *,
    meter: Meter,
) -> tuple[bytes, int, URL]:
    try:
        async with session.get(
            url,
            params=query or None,
            headers=config.headers,
            timeout=aiohttp.ClientTimeout(total=config.timeout_s),
            allow_redirects=True,
        ) as response:
            status = response.status
            if status == 200:
                body = await _read_body(response, meter, where)
            else:
                body = await response.content.read(_SNIPPET_BYTES)
            final_url = response.url
            reason = response.reason or ""
    except TimeoutError:
        # aiohttp's own timeouts derive from TimeoutError too; checked first because
        # some of them are also connection errors.
        raise ReadError(
            f"{where}: no complete answer within timeout_s={config.timeout_s:g} s", retryable=True
        ) from None
    except NetworkPolicyError as exc:  # raised by the session's request hooks
        raise ReadError(f"{where}: {exc}", retryable=False) from None
    except aiohttp.ClientConnectorError as exc:
        # The resolver's refusal arrives wrapped; it is a policy, not a passing fault.
        if isinstance(exc.os_error, NetworkPolicyError):
            raise ReadError(f"{where}: {exc.os_error}", retryable=False) from None
        raise ReadError(f"{where}: connection failed: {exc}", retryable=True) from None
    except aiohttp.ClientConnectionError as exc:
        raise ReadError(f"{where}: connection failed: {exc}", retryable=True) from None
    except aiohttp.ClientError as exc:
        raise ReadError(f"{where}: {type(exc).__name__}: {exc}", retryable=True) from None
    if status != 200:
        snippet = body[:_SNIPPET_CHARS].decode("utf-8", errors="replace").strip()
        retryable = status >= 500 or status in _RETRYABLE_STATUS
        raise ReadError(
            f"{where}: HTTP {status} {reason}".rstrip() + (f": {snippet}" if snippet else ""),
            retryable=retryable,
        )
    return body, status, final_url


async def _read_body(response: aiohttp.ClientResponse, meter: Meter, where: str) -> bytes:
    """The body, counted against the source's bytes as it comes (not read past them)."""
    if meter.bytes_left() is None:
        return await response.read()
    try:
        if response.content_length is not None:
            meter.check_size(response.content_length, "the body (its Content-Length)")
        chunks: list[bytes] = []
        # Decompressed chunks: a small compressed body cannot expand past the limit.
        async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
            meter.add_bytes(len(chunk))
            chunks.append(chunk)
    except LimitReached as exc:
        raise LimitReached(f"{where}: {exc}") from None
    return b"".join(chunks)


def _query_value(value: str | int | float | bool) -> str:
    # aiohttp refuses booleans in a query: spell them the way most APIs expect.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _warning(message: str) -> dict[str, Any]:
    return {"kind": "pagination", "message": message, "count": 1, "fields": {}}
