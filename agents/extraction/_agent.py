"""``ExtractionAgent``: the ``extractor`` agent kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from actorflow.actors import Agent, StageRequest

from ._extract import extract
from ._sources import parse_params


class ExtractionAgent(Agent):
    """Reads a stage's sources concurrently into one table of string records.

    The stage's ``params`` are described in :mod:`actorflow.agents.extraction`. The output
    is ``{"records", "sources", "errors", "warnings", "counts"}``; a stage whose sources
    partly failed still succeeds, listing the failures under ``errors``.
    """

    role: ClassVar[str] = "extractor"
    description: ClassVar[str] = (
        "Reads files (CSV, JSON, JSON Lines, text), HTTP JSON APIs with pagination, "
        "SQLite queries and records from the run input, concurrently, into one table of "
        "string records with a source column"
    )
    expertise: ClassVar[tuple[str, ...]] = (
        "csv",
        "json",
        "jsonl",
        "text files",
        "http apis",
        "pagination",
        "sqlite",
        "inline records",
    )

    def check_params(self, params: Mapping[str, Any], *, stage: str) -> None:
        """The sources and settings, checked before the run (see :func:`parse_params`)."""
        parse_params(params, stage=stage)

    async def perform(self, request: StageRequest) -> dict[str, Any]:
        """Extract the stage's sources (see :func:`extract`)."""
        request.raise_if_cancelled()
        return await extract(
            request.params,
            request.input,
            stage=request.stage.name,
            progress=request.report_progress,
            check_cancelled=request.raise_if_cancelled,
            context=request.context,
        )
