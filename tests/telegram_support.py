"""Shared set-up for the Telegram tests: a started TelegramSandbox and the real source behind the listener."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from core.clock import ManualClock
from core.store import Store
from sandbox.telegram import TelegramSandbox
from sandbox.telegram_wire import read_params
from scrapers.listener import Listener
from scrapers.telegram import TelegramSource

GET_UPDATES = r"/bot[^/]*/getUpdates"
CITIZEN = 5_100_000_001


@contextmanager
def started_sandbox(clock: ManualClock) -> Iterator[TelegramSandbox]:
    sandbox = TelegramSandbox(clock)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def listen(store: Store, clock: ManualClock, sandbox: TelegramSandbox, **source_options: Any
           ) -> tuple[Listener, TelegramSource]:
    """The listen-only source over real HTTP, behind the listener, as config wires it."""
    source = TelegramSource(sandbox.base_url, sandbox.token, **source_options)
    return Listener([source], store.mentions, store.health, clock), source


def get_updates_params(sandbox: TelegramSandbox) -> list[dict[str, str]]:
    """The parameters of every getUpdates call the sandbox received, oldest first."""
    return [read_params(r) for r in sandbox.requests_to(GET_UPDATES)]


def call(sandbox: TelegramSandbox, method: str, **params: Any) -> dict[str, Any]:
    """One Bot API call over HTTP as a plain client would make it; returns the decoded envelope."""
    answer = requests.post(f"{sandbox.base_url}{sandbox.token}/{method}", data=params, timeout=10)
    return dict(answer.json())
