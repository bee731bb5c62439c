"""Shared set-up for the Facebook tests: the real adapters against a started FacebookSandbox."""

from __future__ import annotations

import random
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from core.clock import ManualClock
from core.domain import Mention, Platform
from core.store import Store
from sandbox.facebook import FacebookSandbox
from scrapers.facebook import GraphClient, MessengerSource, PageFeedSource
from scrapers.listener import Listener, PollResult

FEED = "facebook.feed"
MESSENGER = "facebook.messenger"
SEED = 20261124


@dataclass
class Desk:
    """The listening side wired to one sandbox, as config wires it for real."""

    sandbox: FacebookSandbox
    store: Store
    clock: ManualClock
    client: GraphClient
    feed: PageFeedSource
    messenger: MessengerSource
    listener: Listener

    def poll(self, name: str = FEED) -> PollResult:
        """One forced poll of one source (the listener's own backoff is tested separately)."""
        [result] = self.listener.poll_all(only=name, force=True)
        return result

    def stored(self) -> list[Mention]:
        return list(self.store.mentions.iterate())

    def texts(self) -> set[str]:
        return {m.text for m in self.stored()}

    def find(self, external_id: str) -> Mention | None:
        return self.store.mentions.find(Platform.FACEBOOK, external_id)

    def requests_since(self, mark: int, pattern: str = ".*") -> list[Any]:
        with self.sandbox._lock:
            later = list(self.sandbox.requests[mark:])
        return [r for r in later if re.fullmatch(pattern, r.path)]

    def mark(self) -> int:
        return len(self.sandbox.requests)


def build_desk(sandbox: FacebookSandbox, store: Store, clock: ManualClock, *, page_size: int = 2,
               app_secret: str | None = None, timeout: float = 5.0) -> Desk:
    client = GraphClient(sandbox.url + "/", "v25.0", sandbox.access_token, clock=clock,
                         app_secret=sandbox.app_secret if app_secret is None else app_secret, timeout=timeout)
    feed = PageFeedSource(client, sandbox.page_id, clock, page_size=page_size)
    messenger = MessengerSource(client, sandbox.page_id, clock, page_size=page_size)
    listener = Listener([feed, messenger], store.mentions, store.health, clock, rng=random.Random(SEED))
    return Desk(sandbox, store, clock, client, feed, messenger, listener)


@contextmanager
def started_sandbox(clock: ManualClock, **options: Any) -> Iterator[FacebookSandbox]:
    sandbox = FacebookSandbox(clock, **options)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port; yields its base URL."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    ready = threading.Event()
    for _ in range(500):  # waiting for the server to be up, not simulating time
        if server.started:
            break
        ready.wait(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        listening.close()
