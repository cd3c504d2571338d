"""Shapes shared by the extraction tests and their fixtures."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

PAGE_SIZE = 3
PAGES = 3


def customer(number: int) -> dict[str, Any]:
    return {"id": number, "name": f"customer {number}", "balance": number * 1.5}


@dataclass
class Server:
    """The test server: its base URL and what its handlers saw."""

    url: str
    #: set by the slow handler once a request is waiting in it
    slow_entered: asyncio.Event
    #: never set while a test runs: the slow handler waits on it (set at teardown only)
    release: asyncio.Event
    requests: list[web.Request] = field(default_factory=list)
