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

from config.system import System

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
        prefix = path.rstrip("/")
        if prefix:
            # Platforms call the exact URL they were given (no trailing slash): serve it as the app's root.
            routes.append(Route(prefix, endpoint=_RootMount(app, prefix), methods=["GET", "POST", "HEAD"]))
        routes.append(Mount(prefix, app=app))
    return Starlette(routes=routes)


class _RootMount:  # a class, not a function, so Starlette treats it as an ASGI app
    """Hands `app` a request for exactly `prefix` as if it had come to "/"."""

    def __init__(self, app: Any, prefix: str) -> None:
        self._app = app
        self._prefix = prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        inner = dict(scope, path="/", raw_path=b"/", root_path=scope.get("root_path", "") + self._prefix)
        await self._app(inner, receive, send)


async def serve(app: Starlette, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve until `stop` is set, then close connections gracefully."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # the runtime owns signals
    task = asyncio.ensure_future(server.serve())
    await stop.wait()
    server.should_exit = True
    await task
