"""The Graph stand-in speaks the real wire format: paging, times, errors, usage headers and write endpoints."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from facebook_support import started_sandbox

from core.clock import ManualClock
from sandbox.facebook import FacebookSandbox
from sandbox.seed import SeedPost

GRAPH_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[FacebookSandbox]:
    with started_sandbox(clock) as started:
        yield started


def get(sandbox: FacebookSandbox, path: str, version: str = "v25.0", **params: Any) -> requests.Response:
    params.setdefault("access_token", sandbox.access_token)
    return requests.get(f"{sandbox.url}/{version}/{path}", params=params, timeout=5)


def post(sandbox: FacebookSandbox, path: str, **data: Any) -> requests.Response:
    data.setdefault("access_token", sandbox.access_token)
    return requests.post(f"{sandbox.url}/v25.0/{path}", data=data, timeout=5)


def test_feed_pages_with_cursors_and_a_next_link_until_the_last_page(sandbox: FacebookSandbox,
                                                                     clock: ManualClock) -> None:
    for n in range(3):
        clock.advance(10)
        sandbox.visitor_post(f"โพสต์ {n}", handle=f"v{n}")

    first = get(sandbox, f"{sandbox.page_id}/feed", limit=4, fields="id,message,created_time,from")
    body = first.json()
    query = parse_qs(urlsplit(body["paging"]["next"]).query)
    second = get(sandbox, f"{sandbox.page_id}/feed", limit=4, after=body["paging"]["cursors"]["after"]).json()

    assert first.headers["content-type"].startswith("application/json")
    assert [p["message"] for p in body["data"][:3]] == ["โพสต์ 2", "โพสต์ 1", "โพสต์ 0"]
    assert all(GRAPH_TIME.match(p["created_time"]) for p in body["data"])
    assert all(re.fullmatch(rf"{sandbox.page_id}_\d+", p["id"]) for p in body["data"])
    assert set(body["data"][0]) == {"id", "message", "created_time", "from"}
    assert query["access_token"] == [sandbox.access_token] and query["limit"] == ["4"] and "after" in query
    assert len(second["data"]) == 2 and "next" not in second["paging"]
    assert "previous" in second["paging"]


def test_feed_since_and_until_select_by_creation_time(sandbox: FacebookSandbox, clock: ManualClock) -> None:
    early = sandbox.visitor_post("เช้า")
    clock.advance(hours=2)
    late = sandbox.visitor_post("บ่าย")
    middle = int((clock.now() - timedelta(hours=1)).timestamp())

    newer = get(sandbox, f"{sandbox.page_id}/feed", since=middle).json()["data"]
    older = get(sandbox, f"{sandbox.page_id}/feed", until=middle).json()["data"]

    assert [p["id"] for p in newer] == [late.id]
    assert early.id in [p["id"] for p in older] and late.id not in [p["id"] for p in older]


def test_comments_stream_flattens_replies_with_parent_and_honours_order(sandbox: FacebookSandbox,
                                                                        clock: ManualClock) -> None:
    visitor = sandbox.visitor_post("ถามหน่อยครับ")
    top = sandbox.comment(visitor.id, "ความเห็นแรก")
    clock.advance(5)
    reply = sandbox.comment(top.id, "ตอบกลับ")
    fields = "id,message,created_time,from,parent{id}"

    toplevel = get(sandbox, f"{visitor.id}/comments", fields=fields).json()["data"]
    stream = get(sandbox, f"{visitor.id}/comments", filter="stream", order="reverse_chronological",
                 fields=fields, summary="true").json()

    assert [c["id"] for c in toplevel] == [top.id]
    assert [c["id"] for c in stream["data"]] == [reply.id, top.id]
    assert stream["data"][0]["parent"] == {"id": top.id} and "parent" not in stream["data"][1]
    assert re.fullmatch(rf"{visitor.id.split('_')[1]}_\d+", top.id)
    assert stream["summary"]["total_count"] == 2


def test_conversations_and_messages(sandbox: FacebookSandbox) -> None:
    sandbox.publish(SeedPost("facebook", "message", "พิมพ์", "pim", "สวัสดีค่ะ", replies=("ขอสอบถาม",)))

    threads = get(sandbox, f"{sandbox.page_id}/conversations", platform="messenger",
                  fields="participants,updated_time,messages.limit(1){message,from,created_time}").json()
    conversation = threads["data"][0]
    messages = get(sandbox, f"{conversation['id']}/messages", fields="id,message,from,created_time").json()

    assert conversation["id"].startswith("t_") and GRAPH_TIME.match(conversation["updated_time"])
    assert [m["message"] for m in conversation["messages"]["data"]] == ["ขอสอบถาม"]
    assert [m["message"] for m in messages["data"]] == ["ขอสอบถาม", "สวัสดีค่ะ"]
    assert all(m["id"].startswith("m_") for m in messages["data"])


def test_every_answer_carries_usage_headers(sandbox: FacebookSandbox) -> None:
    sandbox.server_error()
    answers = [get(sandbox, f"{sandbox.page_id}/feed"), get(sandbox, f"{sandbox.page_id}/feed"),
               get(sandbox, "debug_token", input_token=sandbox.access_token)]

    for answer in answers:
        assert set(json.loads(answer.headers["X-App-Usage"])) == {"call_count", "total_cputime", "total_time"}
        buc = json.loads(answer.headers["X-Business-Use-Case-Usage"])
        assert buc[sandbox.page_id][0]["estimated_time_to_regain_access"] == 0
    assert [a.status_code for a in answers] == [500, 200, 200]


def test_error_envelopes_look_like_graph(sandbox: FacebookSandbox) -> None:
    wrong = get(sandbox, f"{sandbox.page_id}/feed", access_token="nope")
    sandbox.rate_limit(code=80001, regain_minutes=4)
    limited = get(sandbox, f"{sandbox.page_id}/feed")
    sandbox.expire_token()
    expired = get(sandbox, f"{sandbox.page_id}/feed")
    debug = get(sandbox, "debug_token", input_token=sandbox.access_token).json()["data"]

    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == 190
    assert set(wrong.json()["error"]) >= {"message", "type", "code", "fbtrace_id"}
    assert limited.json()["error"]["code"] == 80001
    assert json.loads(limited.headers["X-Business-Use-Case-Usage"])[sandbox.page_id][0][
        "estimated_time_to_regain_access"] == 4
    assert expired.json()["error"]["error_subcode"] == 463 and expired.json()["error"]["type"] == "OAuthException"
    assert debug["is_valid"] is False and debug["expires_at"] < int(sandbox.clock.now().timestamp())


def test_any_current_version_is_served(sandbox: FacebookSandbox) -> None:
    answer = get(sandbox, f"{sandbox.page_id}/feed", version="v26.0")
    assert answer.status_code == 200 and answer.headers["facebook-api-version"] == "v26.0"


def test_replying_to_comments_and_deleted_objects(sandbox: FacebookSandbox) -> None:
    visitor = sandbox.visitor_post("ขอบคุณครับ")
    comment = sandbox.comment(visitor.id, "สอบถามค่ะ")

    reply = post(sandbox, f"{comment.id}/comments", message="ตอบแล้วค่ะ")
    sandbox.state.delete(comment.id)
    gone = post(sandbox, f"{comment.id}/comments", message="ตอบอีกครั้ง")

    assert reply.status_code == 200 and set(reply.json()) == {"id"}
    [own] = sandbox.page_comments()
    assert own.id == reply.json()["id"] and own.parent_id == comment.id and own.message == "ตอบแล้วค่ะ"
    assert gone.status_code == 400 and gone.json()["error"]["code"] == 100


def test_messenger_replies_only_inside_the_24_hour_window(sandbox: FacebookSandbox, clock: ManualClock) -> None:
    sent = sandbox.message("ช่วยด้วยค่ะ")
    recipient = json.dumps({"id": sent.author.id})
    message = json.dumps({"text": "เจ้าหน้าที่รับเรื่องแล้วค่ะ"})

    inside = post(sandbox, f"{sandbox.page_id}/messages", recipient=recipient, message=message,
                  messaging_type="RESPONSE")
    clock.advance(hours=25)
    outside = post(sandbox, f"{sandbox.page_id}/messages", recipient=recipient, message=message,
                   messaging_type="RESPONSE")

    assert inside.json()["recipient_id"] == sent.author.id and inside.json()["message_id"].startswith("m_")
    assert outside.status_code == 400
    assert (outside.json()["error"]["code"], outside.json()["error"]["error_subcode"]) == (10, 2018278)
    assert [m.message for m in sandbox.page_messages()] == ["เจ้าหน้าที่รับเรื่องแล้วค่ะ"]


def test_publishing_page_posts_refuses_a_duplicate_within_the_hour(sandbox: FacebookSandbox,
                                                                   clock: ManualClock) -> None:
    text = "ประกาศ: พยากรณ์อากาศวันนี้ ฝนตกร้อยละ 60 ของพื้นที่"

    first = post(sandbox, f"{sandbox.page_id}/feed", message=text)
    duplicate = post(sandbox, f"{sandbox.page_id}/feed", message=text)
    clock.advance(hours=2)
    later = post(sandbox, f"{sandbox.page_id}/feed", message=text)
    feed = get(sandbox, f"{sandbox.page_id}/feed", fields="id,message,from").json()["data"]

    assert re.fullmatch(rf"{sandbox.page_id}_\d+", first.json()["id"])
    assert duplicate.status_code == 400 and duplicate.json()["error"]["code"] == 506
    assert later.status_code == 200
    own = [p for p in feed if p["from"]["id"] == sandbox.page_id]
    assert [p["id"] for p in own][:2] == [later.json()["id"], first.json()["id"]]


def test_publish_seed_kinds(sandbox: FacebookSandbox) -> None:
    sandbox.publish(SeedPost("facebook", "post", "ยาย", "yai", "สอบถามค่ะ", replies=("ตอบ 1", "ตอบ 2")))
    sandbox.publish(SeedPost("facebook", "comment", "ลุง", "lung", "ใต้ประกาศ", replies=("ตอบใต้คอมเมนต์",)))

    visitor = sandbox.state.feed()[0]
    under_announcement = next(n for n in sandbox.state.nodes.values() if n.message == "ใต้ประกาศ")
    reply = next(n for n in sandbox.state.nodes.values() if n.message == "ตอบใต้คอมเมนต์")
    assert visitor.message == "สอบถามค่ะ" and visitor.author.name == "ยาย"
    assert len(sandbox.state.comments(visitor.id, stream=True, newest_first=False)) == 2
    assert under_announcement.post_id in {a.id for a in sandbox.announcements}
    assert reply.parent_id == under_announcement.id


def test_env_points_settings_at_the_stand_in(sandbox: FacebookSandbox) -> None:
    env = sandbox.env()
    assert env["GCC1111_FACEBOOK__GRAPH_URL"] == sandbox.url + "/"
    assert env["GCC1111_FACEBOOK__API_VERSION"] == "v25.0" and env["GCC1111_FACEBOOK__PAGE_ID"] == sandbox.page_id
    assert {"GCC1111_FACEBOOK__ACCESS_TOKEN", "GCC1111_FACEBOOK__APP_SECRET",
            "GCC1111_FACEBOOK__VERIFY_TOKEN"} <= set(env)
