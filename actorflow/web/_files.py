"""Files in and out: result downloads (JSON or CSV) and uploads for file sources."""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import msgspec
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from actorflow.api_schema import UploadResponse
from actorflow.contracts import Records

from ._convert import tables, to_json
from ._errors import ApiError, invalid
from ._keys import SETTINGS_KEY
from ._service import WebService
from ._uploads import partial_name

_encoder = msgspec.json.Encoder()
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: What the extraction reads (its formats come from the extension).
UPLOAD_SUFFIXES = frozenset({".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".txt", ".text", ".log"})
_CHUNK = 256 * 1024
#: Uploads with one record a line (after a CSV's header), counted as they arrive.
_LINE_SUFFIXES = frozenset({".csv", ".tsv", ".jsonl", ".ndjson", ".txt", ".text", ".log"})
#: Rows written to a CSV download at a time.
_CSV_ROWS = 100_000
#: Longest file name most file systems take (NAME_MAX on Linux, macOS and Windows).
MAX_NAME_BYTES = 255


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


async def results(
    request: web.Request,
    service: WebService,
    run_id: str,
    *,
    fmt: str,
    stage: str | None,
    table: str | None,
) -> web.StreamResponse:
    """A finished run's outputs: all of them as JSON, or one record table as CSV.

    JSON holds at most ``Settings.download_rows`` rows of each table. The CSV is
    streamed a slice of rows at a time, so a big table (records on disk,
    say) is never held whole as text.

    Raises:
        ApiError: 404 unknown run or table, 409 still processing, 422 bad parameters.
    """
    if fmt not in ("json", "csv"):
        raise invalid(f"format must be json or csv, got {fmt!r}", "format")
    workflow, order, outputs = await service.outputs(run_id)
    safe_id = _UNSAFE.sub("_", run_id)[:64]
    if fmt == "json":
        if stage is not None:
            if stage not in outputs:
                raise ApiError(
                    404, "not_found", f"run has no output of stage {stage!r}", field="stage"
                )
            outputs = {stage: outputs[stage]}
        document = {"workflow_id": run_id, "workflow": workflow, "results": outputs}
        rows = service.settings.download_rows
        body = await asyncio.to_thread(lambda: _encoder.encode(to_json(document, rows)))
        return web.Response(
            body=body,
            content_type="application/json",
            headers=_attachment(f"{safe_id}-results.json"),
        )
    name, key, records = _pick_table(order, outputs, stage, table)
    nested = [c for c, dtype in records.schema.items() if dtype.is_nested()]
    if nested:
        raise invalid(
            f"table {key!r} has nested columns CSV cannot hold ({', '.join(nested)}); "
            "use format=json",
            "format",
        )
    response = web.StreamResponse(
        headers=_attachment(f"{safe_id}-{_UNSAFE.sub('_', name)}-{_UNSAFE.sub('_', key)}.csv")
    )
    response.content_type = "text/csv"
    response.charset = "utf-8"
    await response.prepare(request)
    pieces = _csv_pieces(records)
    while (text := await asyncio.to_thread(next, pieces, None)) is not None:
        await response.write(text.encode())
    await response.write_eof()
    return response


def _csv_pieces(records: Records) -> Iterator[str]:
    """The table as CSV text, the header first, then a slice of rows at a time."""
    yield records.head(0).frame.write_csv()
    for piece in records.slices(_CSV_ROWS):
        yield piece.write_csv(include_header=False)


def _pick_table(
    order: list[str], outputs: dict[str, Any], stage: str | None, table: str | None
) -> tuple[str, str, Records]:
    """The table asked for; by default ``records`` of the last stage that has tables."""
    candidates = [stage] if stage is not None else [s for s in reversed(order) if s in outputs]
    for name in candidates:
        found = tables(outputs.get(name))
        if not found:
            continue
        key = table or ("records" if "records" in found else next(iter(found)))
        if key in found:
            return name, key, found[key]
        raise ApiError(
            404,
            "not_found",
            f"stage {name!r} has no table {key!r} (tables: {', '.join(found)})",
            field="table",
        )
    where = f"stage {stage!r}" if stage is not None else "this run"
    raise ApiError(
        404,
        "not_found",
        f"{where} has no record table to export as CSV; use format=json",
        field="stage" if stage is not None else "format",
    )


async def upload(request: web.Request, folder: Path | None, limit: int) -> UploadResponse:
    """Store the ``file`` part of a multipart body under ``folder/<upload id>/``.

    Raises:
        ApiError: 403 when uploads are off, 413 past ``limit``, 415 not multipart or an
            unreadable file type, 422 without a ``file`` part.
    """
    if folder is None:
        raise ApiError(403, "uploads_disabled", "this server takes no uploads (no upload_dir)")
    if request.content_type != "multipart/form-data":
        raise ApiError(
            415,
            "unsupported_media_type",
            "send the file as multipart/form-data with a part named 'file'",
            field="Content-Type",
        )
    # A little room for the multipart envelope around the file itself.
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise ApiError(413, "payload_too_large", f"the file is larger than {limit:,} bytes")
    try:
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                raise invalid("the body has no part named 'file'", "file")
            if isinstance(part, BodyPartReader) and part.name == "file":
                max_records = request.config_dict[SETTINGS_KEY].max_records_per_run
                return await _store(part, folder, limit, max_records)
            if isinstance(part, BodyPartReader):
                await part.release()
    except (ValueError, AssertionError, RuntimeError, HttpProcessingError) as exc:
        raise ApiError(400, "bad_request", f"the multipart body is malformed: {exc}") from None


class RowCount:
    """Counts a line-based upload's records as it arrives, and refuses one with more than a
    run reads (``Settings.max_records_per_run``): refused while it is read, not when a run
    reading it has started. A JSON document's records are counted when a run reads it.

    Raises (from :meth:`add` and :meth:`end`):
        ApiError: 413 ``too_many_records``.
    """

    def __init__(self, suffix: str, most: int) -> None:
        self.counted = suffix in _LINE_SUFFIXES
        self.header = 1 if suffix in {".csv", ".tsv"} else 0
        self.most = most
        self.newlines = 0
        self.last = b"\n"

    def add(self, chunk: bytes) -> None:
        if not self.counted or not chunk:
            return
        self.newlines += chunk.count(b"\n")
        self.last = chunk[-1:]
        if self.newlines - self.header > self.most:
            self._refuse()

    def end(self) -> None:
        lines = self.newlines + (0 if self.last == b"\n" else 1)
        if self.counted and lines - self.header > self.most:
            self._refuse()

    def _refuse(self) -> None:
        raise ApiError(
            413,
            "too_many_records",
            f"the file has more than {self.most:,} records, the most one run reads "
            "(Settings.max_records_per_run): split it",
            field="file",
        )


async def _store(
    part: BodyPartReader, folder: Path, limit: int, max_records: int
) -> UploadResponse:
    # Some clients percent-encode the name (``..%2Fx.csv``): decode, then keep the base name.
    given = unquote(part.filename or "upload.csv").replace("\\", "/")
    filename = _UNSAFE.sub("_", Path(given).name).strip("._") or "upload"
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"cannot read {suffix or 'files without an extension'}; upload one of "
            f"{', '.join(sorted(UPLOAD_SUFFIXES))}",
            field="file",
        )
    if len(filename.encode()) > MAX_NAME_BYTES:
        raise invalid(
            f"the file name is {len(filename.encode())} bytes long (after unsafe characters "
            f"became '_'); file systems take at most {MAX_NAME_BYTES}: rename the file",
            "file",
        )
    upload_id = uuid.uuid4().hex
    target_dir = folder / upload_id
    target = target_dir / filename
    # Written under a temporary name and renamed once whole: a server killed mid-upload
    # leaves no file that looks complete, and the next one removes what is left.
    partial = target_dir / partial_name()
    size = 0
    rows = RowCount(suffix, max_records)
    try:
        await asyncio.to_thread(target_dir.mkdir, parents=True, exist_ok=True)
        with partial.open("wb") as out:  # small writes to a local file: cheap enough on the loop
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ApiError(
                        413,
                        "payload_too_large",
                        f"the file is larger than {limit:,} bytes",
                        field="file",
                    )
                rows.add(chunk)
                out.write(chunk)
        rows.end()
        await asyncio.to_thread(partial.rename, target)
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, target_dir, True)
        raise
    return UploadResponse(
        upload_id=upload_id,
        filename=filename,
        size_bytes=size,
        source={"type": "file", "path": str(target.resolve()), "name": Path(filename).stem},
    )
