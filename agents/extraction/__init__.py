"""The extraction agent (``extractor``): many sources, read concurrently, into one table.

Register it with ``runtime.register_agent("extractor", ExtractionAgent, concurrency=N)``
and give a stage ``agent = "extractor"``. Outside a runtime, ``await extract(params,
input)`` does the same work.

Stage params (every field optional; unknown fields are errors)::

    sources          list of sources (below), read concurrently
    required_fields  list of field names; records lacking one are counted in a warning
    input_keys       run-input keys whose lists of records are inline sources;
                     absent: every list of objects in the input; []: none
    source_column    name of the column naming each record's source ("source")
    spill_over_mb    a file bigger than this (256 MiB; a JSON document only when it
                     streams), or a query result once it passes as much in memory, is
                     read to disk, not into memory (null: never); see README, "Tables
                     bigger than memory"
    spill_dir        the folder those files go under ($ACTORFLOW_SPILL_DIR or the temp
                     dir); the processor writes its output beside them
    max_rows         most records of all the sources together (inline ones too)
    max_rows_per_source, max_bytes_per_source
                     most records / bytes of any one source (a source's own
                     max_rows / max_bytes may be lower). Bytes: a file's size, an
                     API's response bodies (all pages), a query result's values.
                     No limits by default; one that is passed stops the read there
                     and fails the stage with a LimitExceededError naming the source

Every source has ``type``, an optional ``name`` (unique in the stage; by default the
file's stem, the URL's last segment or the input key) and ``max_rows``; all but inline
ones ``max_bytes``. By type:

``file``
    ``path`` (required), ``format`` (csv | json | jsonl | text; by default from the
    extension: .csv .tsv .json .jsonl .ndjson .txt .text .log), ``encoding`` ("utf-8",
    BOM or not), ``delimiter`` and ``has_header`` (CSV; sniffed when absent),
    ``records_path`` (JSON: dotted path to the list, e.g. "data"), ``batch_bytes``
    (text parsed at a time; 8 MiB). A big UTF-8 CSV file is parsed by polars in one
    pass, and read batch by batch only when that pass cannot be proven to give the same
    records (a ragged or truncated row, a NUL, bytes that are not UTF-8): the batches
    name the line of the problem.
``api``
    ``url`` (required), ``headers``, ``params`` (query of the first request),
    ``timeout_s`` (30, per request), ``records_path`` (e.g. "data", "result.items"),
    ``next_path`` (dotted path to the next page's link, absolute or relative) or
    ``page_param`` with ``start_page`` (1), ``max_pages`` (100). A body over 8 MiB is
    parsed as a stream, as big JSON files are.
``database``
    ``path`` (SQLite file, opened read-only; a file without the SQLite header, an empty
    one too, is refused) and ``query`` (required), ``parameters`` (a list for ``?``, an
    object for ``:name``), ``batch_rows`` (50000).
``inline``
    ``records`` (a list of objects) or ``input_key`` (a key of the run input).

Besides the configured sources, each list of objects in the run input is an inline
source named after its key (``{"customers": [...]}``; a ``Records`` value counts too).

Every value is read as a string (CSV like polars ``infer_schema=False``; JSON numbers as
written; ``str()`` for other scalars, JSON text for nested values); null stays null and
fields a source lacks are null. A source whose records carry their own ``source`` field
keeps it as ``source_original`` when it disagrees with the source's name. The output::

    {"records": Records,            # all sources, a "source" column first
     "sources": [{"name", "type", "status", "records", "path" | "url" | "input_key",
                  "format", "size_bytes", "encoding", "http_status", "pages", ...}],
     "errors":  [{"source", "type", "error", "message", "retryable"}],
     "warnings": [{"kind", "source", "message", "count", "fields"}],
     "counts":  {source name: records}}

A source that fails (a missing or malformed file, an HTTP error, a timeout, a SQL error)
is listed in ``errors`` with a message naming the line, record, page or field, and the
stage succeeds with the others; a source that passes a limit fails the stage (its result
would look complete). If every source fails the stage fails with a
``SourceError`` naming each (retryable when one of them is); if none has a record it
fails with a ``DataValidationError``; bad params fail it with a
``WorkflowValidationError`` naming the source and field.
"""

from ._agent import ExtractionAgent
from ._extract import extract
from ._sources import (
    ApiSource,
    DatabaseSource,
    ExtractionParams,
    FileSource,
    InlineSource,
    Source,
    parse_params,
)

__all__ = [
    "ApiSource",
    "DatabaseSource",
    "ExtractionAgent",
    "ExtractionParams",
    "FileSource",
    "InlineSource",
    "Source",
    "extract",
    "parse_params",
]
