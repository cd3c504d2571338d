"""Embedding the runtime in your own aiohttp service.

The service owns one ``Runtime`` for its whole life (started and stopped by aiohttp's
``cleanup_ctx``) and exposes three routes of its own:

- ``POST /quotes`` with ``{"items": [{"sku": ..., "qty": ..., "unit_price": "1.25"}]}``
  starts a two-stage workflow (price the lines, then total them) and answers at once;
- ``GET /quotes/{run_id}`` gives the result, or ``202`` while it runs;
- ``GET /quotes/{run_id}/events`` streams the run's progress as server-sent events.

Nothing blocks the event loop: runs are awaited with ``handle.wait()`` and events come
through ``runtime.events()``. Run it: ``python examples/aiohttp_service.py [--port 8080]``.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import msgspec
from aiohttp import web

from actorflow import Agent, DataValidationError, RunHandle, Runtime, StageRequest
from actorflow.contracts import encode_event, thaw

RUNTIME = web.AppKey("runtime", Runtime)
HANDLES = web.AppKey("handles", dict[str, RunHandle])
CENT = Decimal("0.01")

QUOTE = {
    "name": "quote",
    "stages": [
        {"name": "price", "agent": "pricer", "task": "price every line"},
        {"name": "total", "agent": "totaller", "depends_on": ["price"]},
    ],
}


class Pricer(Agent):
    """Prices each line exactly (Decimal, half-even cents)."""

    role = "processor"

    def perform(self, request: StageRequest) -> Any:
        lines = []
        for index, item in enumerate(request.input["items"]):
            try:
                amount = Decimal(str(item["unit_price"])) * int(item["qty"])
            except (KeyError, ValueError, ArithmeticError) as exc:
                raise DataValidationError(f"items[{index}]: {exc!r}") from exc
            lines.append({"sku": item.get("sku"), "amount": amount.quantize(CENT, ROUND_HALF_EVEN)})
            request.report_progress((index + 1) / len(request.input["items"]), f"line {index + 1}")
        return lines


class Totaller(Agent):
    """Adds the priced lines up."""

    role = "insights"

    async def perform(self, request: StageRequest) -> Any:
        lines = request.output("price")
        return {"lines": len(lines), "total": sum((line["amount"] for line in lines), Decimal(0))}


async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
    async with Runtime() as runtime:
        runtime.register_agent("pricer", Pricer, concurrency=2)
        runtime.register_agent("totaller", Totaller)
        app[RUNTIME] = runtime
        yield


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(data), status=status, content_type="application/json"
    )


async def create_quote(request: web.Request) -> web.Response:
    try:
        body = await request.json()
        items = body["items"]
        if not isinstance(items, list) or not items:
            raise ValueError("items must be a non-empty list")
    except (ValueError, KeyError, TypeError) as exc:
        return _json({"error": f"bad request: {exc}"}, status=400)
    handle = request.app[RUNTIME].submit(QUOTE, input={"items": items})
    request.app[HANDLES][handle.run_id] = handle
    return _json({"run_id": handle.run_id, "status": "running"}, status=202)


async def get_quote(request: web.Request) -> web.Response:
    handle = request.app[HANDLES].get(request.match_info["run_id"])
    if handle is None:
        return _json({"error": "unknown run"}, status=404)
    if not handle.done():
        return _json({"run_id": handle.run_id, "status": "running"}, status=202)
    result = await handle.wait()
    total = result.output("total") if result.ok else None
    error = str(result.error) if result.error else None
    return _json(
        {"run_id": result.run_id, "status": result.status, "quote": thaw(total), "error": error}
    )


async def quote_events(request: web.Request) -> web.StreamResponse:
    run_id = request.match_info["run_id"]
    if run_id not in request.app[HANDLES]:
        return _json({"error": "unknown run"}, status=404)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    async for event in request.app[RUNTIME].events(run_id):
        await response.write(
            b"event: " + event.kind.encode() + b"\ndata: " + encode_event(event) + b"\n\n"
        )
    await response.write_eof()
    return response


def build_app() -> web.Application:
    app = web.Application()
    app[HANDLES] = {}
    app.cleanup_ctx.append(runtime_ctx)
    app.router.add_post("/quotes", create_quote)
    app.router.add_get("/quotes/{run_id}", get_quote)
    app.router.add_get("/quotes/{run_id}/events", quote_events)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a quoting service embedding actorflow")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    web.run_app(build_app(), host=args.host, port=args.port)
