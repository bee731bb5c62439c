"""Meta's webhook receiver for the Page: the real-time twin of polling, storing the very same Mentions.

GET answers the subscription handshake. POST checks X-Hub-Signature-256 over the raw bytes (Meta escapes
non-ASCII and '/', so a re-encoded body would never verify), turns feed and messaging events into
Mentions with the ids polling would give them, and stores them without a cursor: whichever path sees an
item first stores it, the other finds it already there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from core.domain import Mention
from core.errors import ParseError
from core.store.mentions import MentionStore
from scrapers.facebook.parse import feed_change_mention, messaging_mention

log = logging.getLogger("gcc1111.facebook.webhook")

Ingest = Callable[[str, Sequence[Mention]], int]
Unreadable = Callable[[str, str, str], None]  # (source, error, raw body), like HealthStore.save_unreadable


def create_facebook_webhook(*, page_id: str, verify_token: str, app_secret: str, store: MentionStore | Ingest,
                            on_unreadable: Unreadable | None = None, feed_source: str = "facebook.feed",
                            messenger_source: str = "facebook.messenger",
                            max_body_bytes: int = 1_000_000) -> Starlette:
    """An ASGI app serving the webhook at its root path (mount it wherever the callback URL points)."""
    ingest: Ingest = (lambda source, found: store.ingest(source, found, None)) if isinstance(
        store, MentionStore) else store
    if not verify_token or not app_secret:
        raise ValueError("the Facebook webhook needs both a verify token and the app secret")

    async def handshake(request: Request) -> Response:
        params = request.query_params
        token = params.get("hub.verify_token", "")
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(token.encode(), verify_token.encode()):
            return PlainTextResponse(params.get("hub.challenge", ""))
        log.warning("Facebook webhook handshake refused: wrong verify token or mode")
        return PlainTextResponse("forbidden", status_code=403)

    async def receive(request: Request) -> Response:
        body = await request.body()
        if len(body) > max_body_bytes:
            return PlainTextResponse("too large", status_code=413)
        if not signature_ok(app_secret, body, request.headers.get("x-hub-signature-256", "")):
            log.warning("Facebook webhook POST refused: bad or missing X-Hub-Signature-256")
            return PlainTextResponse("forbidden", status_code=403)
        batches, problems = event_mentions(body, page_id, feed_source, messenger_source)
        for source, found in batches.items():
            await run_in_threadpool(ingest, source, found)
        for source, error, raw in problems:
            log.warning("unreadable Facebook webhook event: %s", error)
            if on_unreadable is not None:
                await run_in_threadpool(on_unreadable, source, error, raw)
        return PlainTextResponse("EVENT_RECEIVED")

    return Starlette(routes=[Route("/", handshake, methods=["GET"]), Route("/", receive, methods=["POST"])])


def signature_ok(app_secret: str, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256 is "sha256=" + hex HMAC-SHA256(app secret, raw body)."""
    scheme, _, given = header.partition("=")
    if scheme != "sha256" or not given:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def event_mentions(body: bytes, page_id: str, feed_source: str,
                   messenger_source: str) -> tuple[dict[str, list[Mention]], list[tuple[str, str, str]]]:
    """Mentions per source from one delivery, plus (source, error, raw) for each event we could not read."""
    batches: dict[str, list[Mention]] = {feed_source: [], messenger_source: []}
    problems: list[tuple[str, str, str]] = []
    try:
        payload = json.loads(body)
    except ValueError as exc:  # also UnicodeDecodeError
        return {}, [(feed_source, f"webhook body is not JSON: {exc}", body.decode("utf-8", "replace"))]
    entries = payload.get("entry") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return {}, [(feed_source, "webhook body has no entry list", body.decode("utf-8", "replace"))]
    for entry in entries:
        for source, event, read in _events(entry, feed_source, messenger_source):
            try:
                found = read(event, page_id=page_id, source=source)
            except ParseError as exc:
                problems.append((source, str(exc), json.dumps(event)))
                continue
            if found is not None:
                batches[source].append(found)
    return {k: v for k, v in batches.items() if v}, problems


def _events(entry: Any, feed_source: str, messenger_source: str) -> list[tuple[str, Any, Any]]:
    """(source, event, parser) for the feed changes and Messenger events of one entry."""
    if not isinstance(entry, dict):
        return [(feed_source, entry, _not_an_object)]
    found: list[tuple[str, Any, Any]] = []
    for change in _listed(entry.get("changes")):
        if isinstance(change, dict) and change.get("field") == "feed":
            found.append((feed_source, change.get("value"), _feed_change))
    for event in _listed(entry.get("messaging")):
        found.append((messenger_source, event, _messaging))
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _feed_change(value: Any, *, page_id: str, source: str) -> Mention | None:
    if not isinstance(value, dict):
        raise ParseError("feed change value is not an object")
    return feed_change_mention(value, page_id=page_id, source=source)


def _messaging(event: Any, *, page_id: str, source: str) -> Mention | None:
    if not isinstance(event, dict):
        raise ParseError("messaging event is not an object")
    return messaging_mention(event, page_id=page_id, source=source)


def _not_an_object(entry: Any, *, page_id: str, source: str) -> Mention | None:
    raise ParseError("webhook entry is not an object")
