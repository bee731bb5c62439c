"""Meta's webhook side of the stand-in: the GET handshake, then signed feed and messaging events."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from sandbox.facebook_page import Node, PageState, graph_time


@dataclass
class Delivery:
    """One event POST and what the receiver answered (0: unreachable)."""

    payload: dict[str, Any]
    body: bytes
    status: int


def encode_like_meta(payload: dict[str, Any]) -> bytes:
    """Meta escapes non-ASCII and '/' in webhook bodies: only the raw bytes verify, never a re-encoding."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def sign(app_secret: str, body: bytes) -> dict[str, str]:
    digest256 = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    digest1 = hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest256}", "X-Hub-Signature": f"sha1={digest1}"}


class Webhooks:
    """A Page subscription: verified by handshake, then every change is POSTed to the callback."""

    def __init__(self, state: PageState, app_id: str) -> None:
        self._state = state
        self._app_id = app_id
        self._callback = ""
        self._app_secret = ""
        self._nonce = itertools.count(1_000_001)
        self._lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        state.on_change(self._changed)

    @property
    def active(self) -> bool:
        return bool(self._callback)

    def subscribe(self, callback_url: str, verify_token: str, app_secret: str) -> bool:
        """Verify the callback as Meta does (GET with hub.challenge); True when it echoed the challenge."""
        challenge = str(next(self._nonce))
        query = urllib.parse.urlencode(
            {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
        )
        status, body = _http("GET", f"{callback_url}?{query}", b"", {})
        if status != 200 or body.decode("utf-8", "replace") != challenge:
            return False
        self._callback, self._app_secret = callback_url, app_secret
        return True

    def unsubscribe(self) -> None:
        self._callback = ""

    def post(self, payload: dict[str, Any]) -> Delivery:
        """Sign and POST one event body now (synchronously, so tests need no waiting)."""
        body = encode_like_meta(payload)
        headers = {"Content-Type": "application/json", **sign(self._app_secret, body)}
        status, _ = _http("POST", self._callback, body, headers)
        delivery = Delivery(payload, body, status)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    def reaction(self, post: Node, user_id: str, user_name: str) -> None:
        value = {"from": {"id": user_id, "name": user_name}, "post_id": post.id, "parent_id": post.id,
                 "created_time": _unix(self._state.clock.now()), "item": "reaction", "reaction_type": "like",
                 "verb": "add"}
        self._deliver_feed(value)

    def read_receipt(self, user_id: str) -> None:
        millis = _unix(self._state.clock.now()) * 1000
        self._deliver_messaging({"sender": {"id": user_id}, "recipient": {"id": self._state.page.id},
                                 "timestamp": millis, "read": {"watermark": millis}})

    def delivery_receipt(self, user_id: str, mids: list[str]) -> None:
        millis = _unix(self._state.clock.now()) * 1000
        self._deliver_messaging({"sender": {"id": user_id}, "recipient": {"id": self._state.page.id},
                                 "timestamp": millis, "delivery": {"mids": mids, "watermark": millis}})

    # --- events from the Page's state ---------------------------------------------------------
    def _changed(self, verb: str, node: Node) -> None:
        if not self.active:
            return
        if node.kind == "message":
            if verb == "add":
                self._deliver_messaging(self._message_event(node))
            return
        self._deliver_feed(self._feed_value(verb, node))

    def _feed_value(self, verb: str, node: Node) -> dict[str, Any]:
        value: dict[str, Any] = {"from": node.author.ref(), "created_time": _unix(node.created), "verb": verb}
        if node.kind == "post":
            value.update(item="status", post_id=node.id, published=1)
        else:
            post = self._state.nodes[node.post_id]
            value.update(item="comment", comment_id=node.id, post_id=node.post_id,
                         parent_id=node.parent_id or node.post_id,
                         post={"id": post.id, "status_type": "mobile_status_update", "is_published": True,
                               "updated_time": graph_time(post.updated), "promotion_status": "inactive",
                               "permalink_url": self._state.post_json(post)["permalink_url"]})
        if verb != "remove":
            value["message"] = node.message
        return value

    def _message_event(self, node: Node) -> dict[str, Any]:
        page = self._state.page.id
        millis = _unix(node.created) * 1000
        if node.author.id == page:  # the Page's own send comes back as an echo
            recipient = node.recipient.id if node.recipient else ""
            return {"sender": {"id": page}, "recipient": {"id": recipient}, "timestamp": millis,
                    "message": {"mid": node.id, "text": node.message, "is_echo": True, "app_id": self._app_id}}
        return {"sender": {"id": node.author.id}, "recipient": {"id": page}, "timestamp": millis,
                "message": {"mid": node.id, "text": node.message}}

    def _deliver_feed(self, value: dict[str, Any]) -> None:
        if self.active:
            entry = {"id": self._state.page.id, "time": _unix(self._state.clock.now()),
                     "changes": [{"field": "feed", "value": value}]}
            self.post({"object": "page", "entry": [entry]})

    def _deliver_messaging(self, event: dict[str, Any]) -> None:
        if self.active:
            entry = {"id": self._state.page.id, "time": _unix(self._state.clock.now()) * 1000, "messaging": [event]}
            self.post({"object": "page", "entry": [entry]})


def _unix(moment: Any) -> int:
    return int(moment.timestamp())


def _http(method: str, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"callback must be an http(s) URL: {url!r}")
    request = urllib.request.Request(url, data=body if method == "POST" else None, method=method,  # noqa: S310
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - scheme checked above
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""
