"""Webhook delivery for the Telegram stand-in: POST each pending update to the bot's URL, in order.

What PTB's webhook server insists on (platforms.md 5): `Content-Type: application/json` exactly (no charset)
and, when a secret was set, the `X-Telegram-Bot-Api-Secret-Token` header. Telegram counts an update as
delivered only on a 2xx answer and keeps it pending otherwise; so does this stand-in, retrying when poked
(a new update, setWebhook, or `TelegramSandbox.deliver_pending()`) rather than on a timer, so tests stay exact.
Delivery is refused for anything but loopback addresses: the sandbox never sends traffic off the machine.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

DELIVERY_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Delivery:
    """One POST the stand-in made to the webhook, for tests to inspect."""

    update_id: int
    url: str
    headers: dict[str, str]
    status: int | None  # None: no HTTP answer at all
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Webhook:
    """The webhook a bot set with setWebhook."""

    url: str
    secret_token: str = ""
    max_connections: int = 40
    ip_address: str = "127.0.0.1"
    last_error_date: int | None = None
    last_error_message: str = ""
    failed: bool = False  # the last attempt failed: wait for a poke before trying again
    extra: dict[str, Any] = field(default_factory=dict)


def loopback_url(url: str) -> bool:
    """Whether `url` is http(s) on a loopback host: the only place the sandbox may deliver to."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def post_update(url: str, secret_token: str, update: dict[str, Any]) -> Delivery:
    """POST one update as Telegram does and report what came back."""
    headers = {"Content-Type": "application/json"}
    if secret_token:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    body = json.dumps(update, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - loopback only
    update_id = int(update["update_id"])
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as answer:  # noqa: S310
            return Delivery(update_id, url, headers, answer.status)
    except urllib.error.HTTPError as exc:
        return Delivery(update_id, url, headers, exc.code, f"Wrong response from the webhook: {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Delivery(update_id, url, headers, None, f"Connection refused: {reason}")


class Deliverer:
    """A daemon thread that drains the pending updates to the webhook whenever it is poked."""

    def __init__(self, take: Callable[[], tuple[Webhook, dict[str, Any]] | None],
                 settle: Callable[[Delivery], None]) -> None:
        self._take = take  # next (webhook, update) to send, or None when there is nothing to do
        self._settle = settle  # record the outcome (confirm the update, or note the error)
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # keeps "poked" and "idle" consistent with each other
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-telegram-webhook", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=DELIVERY_TIMEOUT_SECONDS + 1)
            self._thread = None

    def poke(self) -> None:
        with self._lock:
            self._idle.clear()
            self._wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing more can be delivered now (all sent, or the webhook failing); False on timeout."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            while not self._stop.is_set():
                job = self._take()
                if job is None:
                    break
                webhook, update = job
                self._settle(post_update(webhook.url, webhook.secret_token, update))
            with self._lock:
                if not self._wake.is_set():
                    self._idle.set()
