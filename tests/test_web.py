"""The desk's one web server: health, webhooks at their exact URLs, the dashboard beside them."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from starlette.testclient import TestClient

from config.settings import load_settings
from config.web import build_web
from config.wiring import build_system
from core.domain import Platform

FACEBOOK = {"GCC1111_FACEBOOK__PAGE_ID": "1111", "GCC1111_FACEBOOK__ACCESS_TOKEN": "page-token",
            "GCC1111_FACEBOOK__APP_SECRET": "app-secret", "GCC1111_FACEBOOK__VERIFY_TOKEN": "verify-me",
            "GCC1111_FACEBOOK__GRAPH_URL": "http://127.0.0.1:9/"}


def test_the_facebook_webhook_answers_at_its_exact_url_and_stores_a_signed_comment(tmp_path: Path) -> None:
    system = build_system(load_settings({"GCC1111_DATA_DIR": str(tmp_path), **FACEBOOK}))
    client = TestClient(build_web(system))
    event = {"object": "page", "entry": [{"id": "1111", "time": 1767225600, "changes": [{"field": "feed", "value": {
        "item": "comment", "verb": "add", "comment_id": "1111_9_77", "post_id": "1111_9", "parent_id": "1111_9",
        "from": {"id": "555", "name": "สมศรี"}, "message": "ไฟดับทั้งซอยค่ะ", "created_time": 1767225600}}]}]}
    body = json.dumps(event, ensure_ascii=False).encode("utf-8")
    signature = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()

    handshake = client.get("/webhooks/facebook",
                           params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "8"})
    posted = client.post("/webhooks/facebook", content=body, headers={"X-Hub-Signature-256": signature,
                                                                       "Content-Type": "application/json"})
    forged = client.post("/webhooks/facebook", content=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})

    assert (handshake.status_code, handshake.text) == (200, "8")
    assert (posted.status_code, forged.status_code) == (200, 403)
    stored = system.store.mentions.latest()
    assert [(m.platform, m.text) for m in stored] == [(Platform.FACEBOOK, "ไฟดับทั้งซอยค่ะ")]
    system.close()


def test_health_reports_each_source(tmp_path: Path) -> None:
    system = build_system(load_settings({"GCC1111_DATA_DIR": str(tmp_path)}))
    system.store.health.failed("twitter.search", "HTTP 503", None)
    body = TestClient(build_web(system)).get("/healthz").json()
    assert body == {"ok": False, "sources": {"twitter.search": {"healthy": False, "last_error": "HTTP 503"}}}
    system.close()
