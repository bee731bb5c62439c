"""The Facebook replier and poster over real HTTP against the Graph stand-in, every error mapping made to happen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bots.channels import FacebookPoster, FacebookReplier, GraphWriter
from core.clock import ManualClock
from core.errors import DuplicatePost, PublishError
from sandbox.facebook import FacebookSandbox

ANSWER = "ยื่นคำขอมีบัตรใหม่ได้ที่สำนักทะเบียนอำเภอทุกแห่ง\nข้อมูลเพิ่มเติม: https://www.bora.dopa.go.th/"
WRITES = r"/v\d+\.\d+/\w+/(?:comments|messages|feed)"


@pytest.fixture
def fb(clock: ManualClock) -> Iterator[FacebookSandbox]:
    sandbox = FacebookSandbox(clock)
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def writer(fb: FacebookSandbox) -> GraphWriter:
    return GraphWriter(fb.url + "/", "v25.0", fb.access_token, app_secret=fb.app_secret, timeout=5)


@pytest.fixture
def replier(fb: FacebookSandbox, writer: GraphWriter) -> FacebookReplier:
    return FacebookReplier(writer, fb.page_id)


def refusal(replier: FacebookReplier, target: str) -> PublishError:
    with pytest.raises(PublishError) as refused:
        replier.reply(target, ANSWER, "answer:mention:1")
    return refused.value


def test_comment_replies_land_under_the_comment_and_are_found_again(fb: FacebookSandbox,
                                                                   replier: FacebookReplier) -> None:
    comment = fb.comment(fb.announcements[0].id, "บัตรหายทำไง")
    sent = replier.reply(f"comment:{comment.id}", ANSWER, "answer:mention:1")
    (ours,) = fb.page_comments()
    assert (ours.id, ours.parent_id, ours.message) == (sent.platform_id, comment.id, ANSWER)
    assert replier.find_sent(f"comment:{comment.id}", "answer:mention:1", ANSWER) == sent
    assert replier.find_sent(f"comment:{comment.id}", "update:case:1:resolved", "เรื่องแก้ไขแล้ว") is None


def test_a_visitor_post_and_a_nested_reply_are_answered_where_graph_puts_them(fb: FacebookSandbox,
                                                                             replier: FacebookReplier) -> None:
    post = fb.visitor_post("ถนนพังค่ะ")
    top = fb.comment(post.id, "ใช่ครับ พังมานานแล้ว", handle="a")
    nested = fb.comment(top.id, "บัตรหายทำไงคะ", handle="b")
    on_post = replier.reply(f"comment:{post.id}", "รับเรื่องแล้ว", "ack:mention:1")
    on_nested = replier.reply(f"comment:{nested.id}", ANSWER, "answer:mention:2")
    assert replier.find_sent(f"comment:{post.id}", "ack:mention:1", "รับเรื่องแล้ว") == on_post
    assert replier.find_sent(f"comment:{nested.id}", "answer:mention:2", ANSWER) == on_nested  # flattened
    assert replier.find_sent(f"comment:{post.id}", "x", ANSWER) is None  # the nested answer is not the post's


def test_messenger_answers_use_the_response_type_and_are_found_in_the_conversation(
        fb: FacebookSandbox, replier: FacebookReplier) -> None:
    fb.message("สวัสดีค่ะ", handle="pim.ch")
    psid = fb.state.messenger_user("pim.ch", "").id
    sent = replier.reply(f"messenger:{psid}", ANSWER, "answer:mention:1")
    (request,) = fb.requests_to(r"/v25\.0/\d+/messages")
    assert request.form()["messaging_type"] == "RESPONSE" and '"id": "' + psid in request.form()["recipient"]
    assert [m.message for m in fb.page_messages()] == [ANSWER]
    assert replier.find_sent(f"messenger:{psid}", "answer:mention:1", ANSWER) == sent


def test_a_deleted_comment_is_refused_for_good(fb: FacebookSandbox, replier: FacebookReplier) -> None:
    comment = fb.comment(fb.announcements[0].id, "ถามหน่อย")
    fb.state.delete(comment.id)
    refused = refusal(replier, f"comment:{comment.id}")
    assert refused.permanent and "code 100" in str(refused)


def test_a_closed_messenger_window_is_refused_for_good(fb: FacebookSandbox, replier: FacebookReplier,
                                                      clock: ManualClock) -> None:
    fb.message("สวัสดีค่ะ", handle="pim.ch")
    clock.advance(timedelta(hours=25).total_seconds())
    refused = refusal(replier, f"messenger:{fb.state.messenger_user('pim.ch', '').id}")
    assert refused.permanent and "code 10, subcode 2018278" in str(refused)


@pytest.mark.parametrize("code", [200, 230, 551])
def test_permission_and_blocked_refusals_are_final(fb: FacebookSandbox, replier: FacebookReplier, code: int) -> None:
    comment = fb.comment(fb.announcements[0].id, "ถามหน่อย")
    fb.error(code, f"(#{code}) Permissions error", status=403, path=WRITES)
    assert refusal(replier, f"comment:{comment.id}").permanent


@pytest.mark.parametrize(("code", "regain", "wait"), [(4, 0, 60.0), (32, 5, 300.0), (80001, 12, 720.0),
                                                      (80006, 0, 60.0)])
def test_rate_limits_wait_as_long_as_meta_says(fb: FacebookSandbox, replier: FacebookReplier, code: int,
                                              regain: int, wait: float) -> None:
    comment = fb.comment(fb.announcements[0].id, "ถามหน่อย")
    fb.rate_limit(code, regain_minutes=regain, path=WRITES)
    refused = refusal(replier, f"comment:{comment.id}")
    assert (refused.permanent, refused.retry_after) == (False, wait)


def test_an_expired_page_token_is_retried_hourly(fb: FacebookSandbox, replier: FacebookReplier) -> None:
    comment = fb.comment(fb.announcements[0].id, "ถามหน่อย")
    fb.expire_token()
    refused = refusal(replier, f"comment:{comment.id}")
    assert (refused.permanent, refused.retry_after) == (False, 3600)
    assert "ACCESS_TOKEN" in str(refused) and fb.access_token not in str(refused)


def test_a_server_error_is_checked_before_any_retry(fb: FacebookSandbox, replier: FacebookReplier) -> None:
    comment = fb.comment(fb.announcements[0].id, "ถามหน่อย")
    fb.server_error(2, path=WRITES)
    refused = refusal(replier, f"comment:{comment.id}")
    assert not refused.permanent and "not on Facebook" in str(refused)
    assert fb.page_comments() == [] and len(fb.requests_to(r"/v25\.0/\w+/comments")) == 2  # the POST, then a look


def test_an_unreadable_answer_after_an_unclear_write_stops_for_a_person(fb: FacebookSandbox,
                                                                       replier: FacebookReplier) -> None:
    comment = fb.comment(fb.announcements[0].id, "ถามหน่อย")
    fb.malformed("html", times=3)
    refused = refusal(replier, f"comment:{comment.id}")
    assert refused.permanent and "check on Facebook" in str(refused)


def test_the_poster_publishes_on_the_page_and_a_repeat_is_a_duplicate(fb: FacebookSandbox,
                                                                     writer: GraphWriter) -> None:
    poster = FacebookPoster(writer, fb.page_id)
    text = "ประกาศ: ศูนย์ 1111 ให้บริการตลอด 24 ชั่วโมงในช่วงวันหยุดยาว"
    sent = poster.post(text, "broadcast:1")
    assert poster.find_posted("broadcast:1", text) == sent
    assert sent.url.endswith(sent.platform_id.split("_")[1])
    with pytest.raises(DuplicatePost) as duplicate:  # Graph code 506
        poster.post(text, "broadcast:1")
    assert duplicate.value.existing_id == sent.platform_id
    assert poster.find_posted("broadcast:2", "ข้อความที่ไม่เคยโพสต์") is None
