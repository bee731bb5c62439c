"""A small loopback HTTP server base for the platform stand-ins, with failure injection."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """What a client sent, decoded just enough for a handler."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    match: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def form(self) -> dict[str, str]:
        """Form fields (urlencoded); nested JSON values are left as strings, as platforms receive them."""
        pairs = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {name: values[-1] for name, values in pairs.items()}

    def params(self) -> dict[str, str]:
        """Query string and form/JSON body together, body winning (how Bot API and Graph read them)."""
        merged = dict(self.query)
        content_type = self.headers.get("content-type", "")
        if "application/json" in content_type and self.body:
            body = self.json()
            if isinstance(body, dict):
                merged.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
        elif self.body:
            merged.update(self.form())
        return merged


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None,
                  content_type: str = "application/json; charset=utf-8") -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"Content-Type": content_type, **(headers or {})})


def text_response(text: str, status: int = 200, content_type: str = "text/html; charset=utf-8",
                  headers: dict[str, str] | None = None) -> Response:
    return Response(status, text.encode("utf-8"), {"Content-Type": content_type, **(headers or {})})


Handler = Callable[[Request], Response]


@dataclass
class Failure:
    """A canned bad answer served instead of the real one, `times` times (None: until cleared)."""

    response: Response
    times: int | None = 1
    delay_seconds: float = 0.0  # a slow answer, for client timeouts


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class PlatformServer:
    """Routes, a request log and a failure plan; subclasses add routes in __init__."""

    name = "platform"

    def __init__(self) -> None:
        self._routes: list[_Route] = []
        self._failures: list[tuple[str, re.Pattern[str], Failure]] = []
        self._lock = threading.RLock()
        self.requests: list[Request] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- configuration -------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve `method` requests whose path fully matches the regex `pattern` (named groups → match)."""
        self._routes.append(_Route(method.upper(), re.compile(pattern), handler))

    def fail(self, pattern: str, failure: Failure, method: str = "*") -> None:
        """Answer requests whose path matches `pattern` with `failure` instead of the real handler."""
        with self._lock:
            self._failures.append((method.upper(), re.compile(pattern), failure))

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    # --- lifecycle -------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on loopback (a free port by default) in a daemon thread; returns the base URL."""
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # small JSON answers would otherwise wait ~40 ms for a delayed ACK

            def do_GET(self) -> None:
                server._serve(self, "GET")

            def do_POST(self) -> None:
                server._serve(self, "POST")

            def do_DELETE(self) -> None:
                server._serve(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        # A short poll interval: stop() waits up to one interval, and tests start and stop many servers.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"sandbox-{self.name}", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def requests_to(self, pattern: str) -> list[Request]:
        """Logged requests whose path matches `pattern`: what a test checks the client really did."""
        regex = re.compile(pattern)
        with self._lock:
            return [r for r in self.requests if regex.fullmatch(r.path)]

    # --- serving -----------------------------------------------------------------------------
    def _serve(self, http: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        request = Request(method, split.path, query, {k.lower(): v for k, v in http.headers.items()}, body)
        with self._lock:
            self.requests.append(request)
        response = self._respond(request)
        try:
            http.send_response(response.status)
            for name, value in response.headers.items():
                http.send_header(name, value)
            http.send_header("Content-Length", str(len(response.body)))
            http.end_headers()
            if method != "HEAD":
                http.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            http.close_connection = True  # the client gave up (timed out, killed) before a slow answer came

    def _respond(self, request: Request) -> Response:
        failure = self._take_failure(request)
        if failure is not None:
            if failure.delay_seconds:
                threading.Event().wait(failure.delay_seconds)
            return failure.response
        for candidate in self._routes:
            if candidate.method != request.method:
                continue
            found = candidate.pattern.fullmatch(request.path)
            if found:
                request.match = {k: v for k, v in found.groupdict().items() if v is not None}
                try:
                    return candidate.handler(request)
                except Exception as exc:  # noqa: BLE001 - a stand-in must answer, as a real server would
                    return json_response({"error": f"sandbox handler failed: {exc!r}"}, status=500)
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        return json_response({"error": f"no route for {request.method} {request.path}"}, status=404)

    def _take_failure(self, request: Request) -> Failure | None:
        with self._lock:
            for index, (method, pattern, failure) in enumerate(self._failures):
                if method not in ("*", request.method) or not pattern.fullmatch(request.path):
                    continue
                if failure.times is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        del self._failures[index]
                return failure
        return None
