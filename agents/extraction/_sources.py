"""The extraction params: one msgspec Struct per source type, checked before anything runs.

Each source is converted on its own so that a bad setting is reported with the source's
name and the exact field (``params.sources[1].timeout_s``), and every bad source of the
stage is reported at once rather than one per attempt.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeAlias

import msgspec
from yarl import URL

from actorflow.contracts import Problem, Records, WorkflowValidationError, quote, thaw

FileFormat = Literal["csv", "json", "jsonl", "text"]
Scalar: TypeAlias = str | int | float | bool | None

#: A limit: a positive count, or ``None`` for none.
Limit: TypeAlias = Annotated[int, msgspec.Meta(ge=1)] | None

_MSGSPEC_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)


class _Source(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Fields every source has."""

    #: Shown in the ``source`` column, the counts and every error; unique in a stage.
    name: Annotated[str, msgspec.Meta(min_length=1)] | None = None
    #: Most records of this source: reading stops, and the stage fails, past it (the
    #: stage's ``max_rows_per_source`` applies when lower).
    max_rows: Limit = None


class _ByteLimited(_Source, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Fields of sources read from bytes (files, HTTP bodies, query results)."""

    #: Most bytes of this source (a file's size, an API's bodies, a query result's
    #: values): reading stops, and the stage fails, past it (the stage's
    #: ``max_bytes_per_source`` applies when lower).
    max_bytes: Limit = None


class FileSource(_ByteLimited, frozen=True, tag="file", tag_field="type"):
    """A CSV, JSON, JSONL or text file, read with aiofiles in batches.

    Attributes:
        path: the file (relative paths are relative to the working directory).
        format: ``csv``, ``json``, ``jsonl`` or ``text``; by default from the extension
            (``.csv``/``.tsv``, ``.json``, ``.jsonl``/``.ndjson``, ``.txt``/``.log``).
        encoding: any Python text encoding (not a bytes-to-bytes codec such as
            ``base64_codec``, nor ``rot13``); ``utf-8`` (the default) also accepts a BOM.
        delimiter: CSV only; sniffed from the first lines when not given.
        has_header: CSV only; sniffed when not given.
        records_path: JSON only; dotted path to the list of records (``data``,
            ``result.items``). By default the document itself if it is a list, else its
            ``records`` list, else its only list.
        batch_bytes: how much text is parsed at a time; the working memory grows with
            this, not with the file. A UTF-8 CSV file bigger than 16K characters is
            first parsed by polars in one pass, kept when it provably equals the batched
            parse (see ``_csv_direct``). A JSON document up to this size is parsed
            whole (faster); a bigger one is parsed as a stream, its records found as
            they come, when they are the document, its ``records`` list or at a
            ``records_path`` of keys (records found otherwise mean a whole parse).
    """

    path: str
    format: FileFormat | None = None
    encoding: str = "utf-8"
    delimiter: str | None = None
    has_header: bool | None = None
    records_path: str | None = None
    batch_bytes: Annotated[int, msgspec.Meta(ge=1)] = 8 * 1024 * 1024

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError("path must not be empty")
        try:
            codec = codecs.lookup(self.encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {quote(self.encoding)}") from None
        # Codecs such as rot13 (str to str) or base64_codec (bytes to bytes) are found
        # too, but cannot decode a file into text: refuse them here, not mid-read.
        if not codec._is_text_encoding:
            raise ValueError(
                f"encoding {quote(self.encoding)} is not a text encoding (it does not "
                "decode bytes to text); use one such as utf-8, latin-1 or cp1252"
            )
        if self.delimiter is not None and (len(self.delimiter) != 1 or self.delimiter in '"\r\n'):
            raise ValueError(
                "delimiter must be one character other than a quote or a newline, "
                f"got {self.delimiter!r}"
            )


class ApiSource(_ByteLimited, frozen=True, tag="api", tag_field="type"):
    """JSON records fetched with HTTP GET, page after page.

    Attributes:
        url: an ``http://`` or ``https://`` URL.
        headers: request headers (e.g. ``Authorization``).
        params: query parameters of the first request.
        timeout_s: limit of each request, in seconds.
        records_path: dotted path to the records in the body (``data``,
            ``result.items``); by default as for JSON files.
        next_path: dotted path to the next page's link in the body (absolute, or
            relative to the page's URL); pagination stops when it is missing or null.
        page_param: alternatively, a query parameter numbering pages from
            ``start_page``; pagination stops at the first page without records.
        start_page: the first page number with ``page_param``.
        max_pages: upper bound of pages fetched (a warning says when it cut a read short).
    """

    url: str
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    params: dict[str, str | int | float | bool] = msgspec.field(default_factory=dict)
    timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    records_path: str | None = None
    next_path: str | None = None
    page_param: str | None = None
    start_page: int = 1
    max_pages: Annotated[int, msgspec.Meta(ge=1)] = 100

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        if self.next_path and self.page_param:
            raise ValueError("give next_path or page_param, not both")


class DatabaseSource(_ByteLimited, frozen=True, tag="database", tag_field="type"):
    """A SQL query against a SQLite file, opened read-only.

    Attributes:
        path: the SQLite file; it must exist (read-only mode never creates one).
        query: one SQL statement returning rows.
        parameters: bound parameters: a list for ``?`` placeholders or an object for
            ``:name`` ones. Never format values into the query.
        batch_rows: rows fetched at a time.
    """

    path: str
    query: str
    parameters: list[Scalar] | dict[str, Scalar] = msgspec.field(default_factory=list)
    batch_rows: Annotated[int, msgspec.Meta(ge=1)] = 50_000

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError("path must not be empty")
        if not self.query.strip():
            raise ValueError("query must not be empty")


class InlineSource(_Source, frozen=True, tag="inline", tag_field="type"):
    """Records given in the params themselves or in the run input.

    Attributes:
        records: the records (a list of objects).
        input_key: alternatively, the key of the run input holding them.
    """

    records: list[dict[str, Any]] | None = None
    input_key: str | None = None

    def __post_init__(self) -> None:
        if (self.records is None) == (self.input_key is None):
            raise ValueError("give exactly one of records or input_key")


Source: TypeAlias = FileSource | ApiSource | DatabaseSource | InlineSource


class ExtractionParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The stage's params.

    Attributes:
        sources: the sources to read, in order.
        required_fields: fields every record should have (missing ones are warnings).
        input_keys: keys of the run input whose lists of records are inline sources;
            ``None`` (the default) takes every list of objects in the input, ``[]`` none.
        source_column: the column naming each record's source.
        spill_over_mb: a file bigger than this many MiB (a JSON document when it streams,
            see ``batch_bytes``; a database query's result once it passes as much in memory)
            is read to disk, as Arrow IPC files in a folder of its own under ``spill_dir``,
            rather than into memory; the processor and insights then read it a slice at a
            time, so memory stays bounded whatever its size. ``null``: always read into
            memory.
        spill_dir: the folder those files go under (default: ``$ACTORFLOW_SPILL_DIR``
            or the temp dir); the stages that process them write theirs beside them.
        max_rows: most records of all the sources together (inline ones too); reading
            stops, and the stage fails with a ``LimitExceededError``, past it.
        max_rows_per_source: most records of any one source (a source's own
            ``max_rows`` may be lower).
        max_bytes_per_source: most bytes of any one source: a file's size, an API's
            response bodies (all pages), a query result's values (a source's own
            ``max_bytes`` may be lower).
    """

    sources: list[Source] = msgspec.field(default_factory=list)
    required_fields: list[str] = msgspec.field(default_factory=list)
    input_keys: list[str] | None = None
    source_column: str = "source"
    spill_over_mb: Annotated[float, msgspec.Meta(ge=0)] | None = 256
    spill_dir: Annotated[str, msgspec.Meta(min_length=1)] | None = None
    max_rows: Limit = None
    max_rows_per_source: Limit = None
    max_bytes_per_source: Limit = None

    @property
    def spill_over_bytes(self) -> int | None:
        return None if self.spill_over_mb is None else int(self.spill_over_mb * 1024 * 1024)

    def __post_init__(self) -> None:
        if not self.source_column:
            raise ValueError("source_column must not be empty")


@dataclass(frozen=True, slots=True)
class NamedSource:
    """A source with its final, unique name."""

    name: str
    config: Source

    @property
    def type(self) -> str:
        return source_type(self.config)


def source_type(config: Source) -> str:
    """``file``, ``api``, ``database`` or ``inline``."""
    tag = type(config).__struct_config__.tag
    assert isinstance(tag, str)
    return tag


def parse_params(params: Mapping[str, Any], *, stage: str | None = None) -> ExtractionParams:
    """Check the stage's params and build the typed settings.

    Args:
        params: the stage's ``params`` (frozen or plain).
        stage: the stage's name, for error messages.

    Raises:
        WorkflowValidationError: one problem per bad setting, naming the source and field.
    """
    raw = thaw(params)
    problems: list[Problem] = []
    raw_sources = raw.pop("sources", [])
    sources: list[Source] = []
    if not isinstance(raw_sources, list):
        problems.append(
            Problem(stage=stage, field="params.sources", message="must be a list of sources")
        )
        raw_sources = []
    for index, item in enumerate(raw_sources):
        where = f"params.sources[{index}]"
        label = _label(item, index)
        try:
            sources.append(msgspec.convert(item, Source))
        except msgspec.ValidationError as exc:
            message, path = _split(str(exc))
            problems.append(Problem(source=label, stage=stage, field=where + path, message=message))
    try:
        settings = msgspec.convert(raw, ExtractionParams)
    except msgspec.ValidationError as exc:
        message, path = _split(str(exc))
        problems.append(Problem(stage=stage, field="params" + path, message=message))
        settings = ExtractionParams()
    seen: dict[str, int] = {}
    for index, config in enumerate(sources):
        if config.name is None:
            continue
        if config.name in seen:
            problems.append(
                Problem(
                    source=f"source {config.name!r}",
                    stage=stage,
                    field=f"params.sources[{index}].name",
                    message=f"the same name as params.sources[{seen[config.name]}]; "
                    "source names must be unique",
                )
            )
        seen.setdefault(config.name, index)
    if problems:
        raise WorkflowValidationError(problems)
    return msgspec.structs.replace(settings, sources=sources)


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return f"source {item['name']!r}"
    return f"source #{index}"


def _split(text: str) -> tuple[str, str]:
    match = _MSGSPEC_PATH.match(text)
    assert match is not None  # the pattern matches any text
    return match["message"], match["path"] or ""


def plan_sources(settings: ExtractionParams, run_input: Mapping[str, Any]) -> list[NamedSource]:
    """Name every source and add the run input's lists of records as inline sources.

    Unnamed sources are named after what they read (a file's stem, an API's last path
    segment, an input key); a clash gets a ``-2``, ``-3`` suffix.
    """
    planned: list[tuple[str | None, str, Source]] = [
        (config.name, _default_name(config, index), config)
        for index, config in enumerate(settings.sources)
    ]
    referenced = {
        config.input_key
        for config in settings.sources
        if isinstance(config, InlineSource) and config.input_key is not None
    }
    keys = settings.input_keys
    for key, value in run_input.items():
        if key in referenced:
            continue
        if keys is not None and key not in keys:
            continue
        if keys is None and not _is_record_list(value):
            continue
        planned.append((None, key, InlineSource(name=key, input_key=key)))
    # A listed key missing from the input stays a source, whose error says it is missing.
    planned.extend(
        (None, key, InlineSource(name=key, input_key=key))
        for key in keys or ()
        if key not in run_input and key not in referenced
    )
    taken = {name for name, _, _ in planned if name is not None}
    return [
        NamedSource(given if given is not None else _free(default, taken), config)
        for given, default, config in planned
    ]


def _free(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... whichever is not taken yet (then taken)."""
    candidate, suffix = name, 2
    while candidate in taken:
        candidate = f"{name}-{suffix}"
        suffix += 1
    taken.add(candidate)
    return candidate


def _is_record_list(value: Any) -> bool:
    if isinstance(value, Records):
        return True
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, Mapping) for item in value)
    return False


def _default_name(config: Source, index: int) -> str:
    if isinstance(config, (FileSource, DatabaseSource)):
        return Path(config.path).stem or f"{source_type(config)}{index}"
    if isinstance(config, ApiSource):
        url = URL(config.url)
        return Path(url.name).stem or url.host or f"api{index}"
    if config.input_key is not None:
        return config.input_key
    return f"inline{index}"
