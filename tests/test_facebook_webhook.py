"""The Facebook webhook receiver over real HTTP (uvicorn), fed by the stand-in's Meta-style deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest
import requests
from facebook_support import FEED, MESSENGER, Desk, build_desk, serve_asgi, started_sandbox

from config.settings import load_settings
from config.sources_facebook import facebook_webhook_app
from core.clock import ManualClock
from core.store import Store
from sandbox.facebook import FacebookSandbox
from sandbox.facebook_webhooks import encode_like_meta, sign


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[FacebookSandbox]:
    with started_sandbox(clock) as started:
        yield started


@pytest.fixture
def callback(sandbox: FacebookSandbox, sqlite_store: Store) -> Iterator[str]:
    """The receiver as the composition root builds it, served by uvicorn, subscribed by the sandbox."""
    app = facebook_webhook_app(load_settings(env=sandbox.env()), sqlite_store)
    assert app is not None
    with serve_asgi(app) as url:
        assert sandbox.subscribe(url + "/", sandbox.verify_token, sandbox.app_secret)
        yield url + "/"


@pytest.fixture
def desk(sandbox: FacebookSandbox, sqlite_store: Store, clock: ManualClock) -> Desk:
    return build_desk(sandbox, sqlite_store, clock)


def test_handshake_echoes_the_challenge_only_for_the_right_verify_token(sandbox: FacebookSandbox,
                                                                        callback: str) -> None:
    good = requests.get(callback, params={"hub.mode": "subscribe", "hub.verify_token": sandbox.verify_token,
                                          "hub.challenge": "1158201444"}, timeout=5)
    bad = requests.get(callback, params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                         "hub.challenge": "1158201444"}, timeout=5)

    assert (good.status_code, good.text) == (200, "1158201444")
    assert bad.status_code == 403 and "1158201444" not in bad.text
    assert not sandbox.subscribe(callback, "guess", sandbox.app_secret)


def test_a_signed_event_is_stored_once_even_when_meta_redelivers_it(sandbox: FacebookSandbox, callback: str,
                                                                    desk: Desk) -> None:
    post = sandbox.visitor_post("ไฟไหม้ตลาดสดเทศบาล ขอรถดับเพลิงด่วน!!", handle="fire")
    [delivery] = sandbox.webhooks.deliveries
    again = sandbox.webhooks.post(delivery.payload)

    assert (delivery.status, again.status) == (200, 200)
    stored = desk.stored()
    assert [m.external_id for m in stored] == [post.id]
    assert stored[0].source == FEED and stored[0].thread_id == post.id
    assert stored[0].posted_at == post.created and stored[0].author_handle == sandbox.person("fire").id


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(sandbox: FacebookSandbox, callback: str,
                                                                     desk: Desk) -> None:
    value = {"item": "status", "verb": "add", "post_id": f"{sandbox.page_id}_999", "message": "ปลอม/แอบอ้าง",
             "from": {"id": "1", "name": "x"}, "created_time": 1795500000}
    payload = {"object": "page", "entry": [{"id": sandbox.page_id, "time": 1, "changes": [
        {"field": "feed", "value": value}]}]}
    body = encode_like_meta(payload)
    forged = sign("not-the-app-secret", body)
    reencoded = json.dumps(payload, ensure_ascii=False).encode()

    answers = [
        requests.post(callback, data=body, headers={"X-Hub-Signature-256": forged["X-Hub-Signature-256"]},
                      timeout=5),
        requests.post(callback, data=body, timeout=5),
        requests.post(callback, data=reencoded, headers=sign(sandbox.app_secret, body), timeout=5),
    ]

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert desk.store.mentions.count() == 0


def test_webhook_then_poll_of_the_same_comment_gives_one_mention(sandbox: FacebookSandbox, callback: str,
                                                                 desk: Desk, clock: ManualClock) -> None:
    post = sandbox.visitor_post("ถนนพังครับ", handle="road")
    clock.advance(30)
    comment = sandbox.comment(post.id, "ทางหลวงชนบทรับเรื่องแล้วค่ะ <b>ขอบคุณ</b> \u200b", handle="reply1")
    reply = sandbox.comment(comment.id, "ตามต่อให้ด้วยครับ", handle="road")
    from_webhook = {m.external_id: m for m in desk.stored()}

    result = desk.poll()

    assert result.stored == 0 and desk.store.mentions.count() == 3
    polled = {m.external_id: m for page in desk.feed.poll({}) for m in page.mentions}  # re-read, not stored
    for external_id in (post.id, comment.id, reply.id):
        hooked, read = from_webhook[external_id], polled[external_id]
        same = ("external_id", "thread_id", "parent_id", "author_handle", "author_name", "text", "posted_at",
                "source", "platform")
        assert {f: getattr(hooked, f) for f in same} == {f: getattr(read, f) for f in same}
    assert from_webhook[reply.id].parent_id == comment.id


def test_messenger_event_and_a_later_poll_give_one_mention(sandbox: FacebookSandbox, callback: str,
                                                           desk: Desk) -> None:
    sent = sandbox.message("ขอสอบถามเรื่องเบี้ยผู้สูงอายุค่ะ", handle="elder")

    stored = desk.stored()
    assert [m.external_id for m in stored] == [sent.id]
    assert stored[0].source == MESSENGER and stored[0].thread_id == stored[0].author_handle == sent.author.id
    assert desk.poll(MESSENGER).stored == 0 and desk.store.mentions.count() == 1


def test_own_items_reactions_edits_removals_and_receipts_are_ignored(sandbox: FacebookSandbox, callback: str,
                                                                     desk: Desk) -> None:
    post = sandbox.visitor_post("ขอบคุณค่ะ", handle="thanks")
    citizen = sandbox.message("สวัสดีค่ะ", handle="dm")
    count = desk.store.mentions.count()
    deliveries = len(sandbox.webhooks.deliveries)

    sandbox.page_reply(post.id, "ยินดีค่ะ")
    sandbox.page_post("ประกาศวันหยุดราชการ")
    sandbox.state.add_message(citizen.author, "ได้รับเรื่องแล้วค่ะ", from_page=True)
    sandbox.react(post.id, handle="fan")
    sandbox.state.edit(post.id, "ขอบคุณค่ะ (แก้ไข)")
    sandbox.state.delete(post.id)
    sandbox.webhooks.read_receipt(citizen.author.id)
    sandbox.webhooks.delivery_receipt(citizen.author.id, [citizen.id])

    later = sandbox.webhooks.deliveries[deliveries:]
    assert len(later) == 8 and all(d.status == 200 for d in later)
    assert desk.store.mentions.count() == count == 2
    assert desk.find(post.id).text == "ขอบคุณค่ะ"  # type: ignore[union-attr]


def test_hostile_text_arrives_verbatim_through_meta_escaping(sandbox: FacebookSandbox, callback: str,
                                                            desk: Desk) -> None:
    hostile = "</script><script>fetch('/admin')</script> ' OR '1'='1 \u200d\ufeff ✅ " + "ฮ" * 50_000
    sandbox.visitor_post(hostile, handle="attacker")

    assert b"\\/script" in sandbox.webhooks.deliveries[-1].body  # Meta escapes '/', so only raw bytes verify
    assert desk.texts() == {hostile}


def test_an_unreadable_event_is_kept_for_staff_and_the_rest_of_the_delivery_stored(
        sandbox: FacebookSandbox, callback: str, desk: Desk) -> None:
    good = {"item": "comment", "verb": "add", "comment_id": "111_222", "post_id": f"{sandbox.page_id}_111",
            "parent_id": f"{sandbox.page_id}_111", "from": {"id": "5", "name": "ก"}, "message": "ดี",
            "created_time": 1795500000}
    broken = {**good, "comment_id": None, "message": "ไม่มี id"}
    payload = {"object": "page", "entry": [{"id": sandbox.page_id, "time": 1795500000, "changes": [
        {"field": "feed", "value": broken}, {"field": "feed", "value": good}]}]}

    delivery = sandbox.webhooks.post(payload)

    assert delivery.status == 200
    assert [m.external_id for m in desk.stored()] == ["111_222"]
    [saved] = desk.store.health.unreadable(FEED)
    assert "comment_id" in str(saved["error"]) and "ไม่มี id" in json.loads(str(saved["raw_body"]))["message"]


def test_signature_is_checked_over_the_raw_bytes_with_the_app_secret(sandbox: FacebookSandbox,
                                                                     callback: str) -> None:
    body = b'{"object":"page","entry":[]}'
    digest = hmac.new(sandbox.app_secret.encode(), body, hashlib.sha256).hexdigest()

    ok = requests.post(callback, data=body, headers={"X-Hub-Signature-256": f"sha256={digest}"}, timeout=5)
    sha1_only = requests.post(callback, data=body, headers={"X-Hub-Signature": f"sha1={digest[:40]}"}, timeout=5)

    assert (ok.status_code, sha1_only.status_code) == (200, 403)


def test_oversized_and_non_json_bodies_never_store_anything(sandbox: FacebookSandbox, callback: str,
                                                           desk: Desk) -> None:
    huge = b"{" + b" " * 1_000_001 + b"}"
    junk = b"<html>not json</html>"

    too_big = requests.post(callback, data=huge, headers=sign(sandbox.app_secret, huge), timeout=5)
    unreadable = requests.post(callback, data=junk, headers=sign(sandbox.app_secret, junk), timeout=5)

    assert (too_big.status_code, unreadable.status_code) == (413, 200)
    assert desk.store.mentions.count() == 0
    assert "not json" in str(desk.store.health.unreadable(FEED)[0]["raw_body"])
