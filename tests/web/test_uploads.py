"""Uploads with names the file system cannot hold are refused with a clear error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.web.web_server import MakeServer

CSV = b"id,podcast_name,revenue\n1,a,5.00\n"


async def test_a_file_name_longer_than_255_bytes_is_a_422_naming_the_limit(
    make_server: MakeServer,
) -> None:
    server = await make_server()
    form = aiohttp.FormData()
    form.add_field("file", CSV, filename="r" * 300 + ".csv")
    status, body = await server.post("/v1/uploads", data=form)
    assert status == 422, body
    assert body["error"]["field"] == "file"
    assert "304 bytes long" in body["error"]["message"]
    assert "at most 255" in body["error"]["message"]
    upload_dir = server.service.settings.upload_dir
    assert upload_dir is not None
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []

    # Multi-byte characters count by their bytes, after unsafe ones became "_".
    longest = "r" * 100 + "é" * 10 + "r" * 150 + ".csv"  # the "é"s become one "_": 255 bytes
    form = aiohttp.FormData()
    form.add_field("file", CSV, filename=longest)
    status, uploaded = await server.post("/v1/uploads", data=form)
    assert status == 200, uploaded
    path = Path(uploaded["source"]["path"])
    assert len(path.name.encode()) == 255
    assert await asyncio.to_thread(path.read_bytes) == CSV
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no part file left
