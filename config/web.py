"""The one HTTP server of a running desk: dashboard and webhook receivers mounted side by side."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from config.wiring import System

log = logging.getLogger("gcc1111.web")


def build_web(system: System) -> Starlette:
    """Mount every web part the system built (webhooks under /webhooks, the dashboard at /)."""

    async def health(_request: Request) -> Response:
        sources = system.store.health.all()
        return JSONResponse(
            {
                "ok": all(s.healthy for s in sources),
                "sources": {s.source: {"healthy": s.healthy, "last_error": s.last_error} for s in sources},
            }
        )

    routes: list[Any] = [Route("/healthz", health)]
    # Longest paths first so "/" (the dashboard) never shadows "/webhooks/...".
    for path, app in sorted(system.web_apps.items(), key=lambda item: -len(item[0])):
        routes.append(Mount(path.rstrip("/") or "", app=app))
    return Starlette(routes=routes)


async def serve(app: Starlette, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve until `stop` is set, then close connections gracefully."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # the runtime owns signals
    task = asyncio.ensure_future(server.serve())
    await stop.wait()
    server.should_exit = True
    await task
