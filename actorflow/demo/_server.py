"""A local Megaphone-style API serving the bundled sample pages.

The revenue demo reads real HTTP (aiohttp, pagination, JSON) without the internet: this
server answers on 127.0.0.1 on a free port, from a thread of its own, for as long as the
``with`` block lasts.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import TracebackType

from aiohttp import web

PAGES = Path(__file__).parent / "data" / "megaphone_pages"


def _app(pages: Path) -> web.Application:
    async def page(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = pages / name
        # Only the bundled page files, never a path the request makes up.
        if path.parent != pages or not path.is_file():
            raise web.HTTPNotFound(text=f"no page {name!r}")
        return web.Response(body=path.read_bytes(), content_type="application/json")

    app = web.Application()
    app.router.add_get("/megaphone/{name}", page)
    return app


class MegaphoneServer:
    """``with MegaphoneServer() as server: server.url`` is the first page's URL."""

    def __init__(self, pages: Path = PAGES) -> None:
        self._pages = pages
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="megaphone-api")
        self._runner: web.AppRunner | None = None
        self.url = ""

    def start(self) -> MegaphoneServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        port = future.result(timeout=10)
        self.url = f"http://127.0.0.1:{port}/megaphone/page_1.json"
        return self

    async def _start(self) -> int:
        self._runner = web.AppRunner(_app(self._pages), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        assert server is not None
        port: int = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return port

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._runner = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> MegaphoneServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
