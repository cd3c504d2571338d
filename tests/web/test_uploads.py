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


async def test_an_upload_with_more_records_than_a_run_reads_is_refused_as_it_arrives(
    make_server: MakeServer,
) -> None:
    server = await make_server(max_records_per_run=3)
    header = b"id,podcast_name,revenue\n"
    form = aiohttp.FormData()
    form.add_field("file", header + b"1,a,5\n2,b,5\n3,c,5", filename="three.csv")
    status, body = await server.post("/v1/uploads", data=form)
    assert status == 200, body

    for name, content in (
        ("four.csv", header + b"1,a,5\n2,b,5\n3,c,5\n4,d,5"),
        ("four.jsonl", b'{"a": 1}\n{"a": 2}\n{"a": 3}\n{"a": 4}\n'),
    ):
        form = aiohttp.FormData()
        form.add_field("file", content, filename=name)
        status, body = await server.post("/v1/uploads", data=form)
        assert status == 413, (name, body)
        assert body["error"]["code"] == "too_many_records"
        assert body["error"]["field"] == "file"
        assert "more than 3 records" in body["error"]["message"]
    upload_dir = server.service.settings.upload_dir
    assert upload_dir is not None
    assert len(list(upload_dir.iterdir())) == 1  # only the first upload is kept
