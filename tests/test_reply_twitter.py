"""The X replier and poster over real HTTP against the X stand-in, every error mapping made to happen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bots.channels import TwitterPoster, TwitterReplier, x_client
from bots.channels.twitter import reference
from core.clock import ManualClock
from core.errors import DuplicatePost, PublishError
from sandbox.twitter import TwitterSandbox

CREATE = r"/2/tweets"
ANSWER = "ยื่นคำขอมีบัตรใหม่ได้ที่สำนักทะเบียนอำเภอทุกแห่ง\nข้อมูลเพิ่มเติม: https://www.bora.dopa.go.th/\nโทร 1111"


@pytest.fixture
def x(clock: ManualClock) -> Iterator[TwitterSandbox]:
    sandbox = TwitterSandbox(clock)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def client(x: TwitterSandbox, **kw: object) -> object:
    return x_client(x.url, consumer_key=x.consumer_key, consumer_secret=x.consumer_secret,
                    access_token=x.access_token, access_token_secret=x.access_token_secret, **kw)  # type: ignore


@pytest.fixture
def replier(x: TwitterSandbox, clock: ManualClock) -> TwitterReplier:
    return TwitterReplier(client(x), x.account.user_id, clock)  # type: ignore[arg-type]


def question(x: TwitterSandbox, handle: str = "somchai") -> str:
    return x.add_tweet("@GCC1111 บัตรประชาชนหายทำยังไง", handle).id


def test_a_reply_is_threaded_under_the_citizens_tweet_and_found_again(x: TwitterSandbox,
                                                                     replier: TwitterReplier) -> None:
    tweet_id = question(x)
    sent = replier.reply(f"tweet:{tweet_id}", ANSWER, "answer:mention:1")
    (posted,) = x.posted
    assert (posted.id, posted.replied_to, posted.text) == (sent.platform_id, tweet_id, ANSWER)
    assert replier.find_sent(f"tweet:{tweet_id}", "answer:mention:1", ANSWER) == sent
    assert replier.find_sent(f"tweet:{tweet_id}", "ack:mention:1", "อีกข้อความหนึ่ง") is None


def test_the_same_answer_to_two_citizens_is_made_unique_instead_of_refused(x: TwitterSandbox,
                                                                          replier: TwitterReplier) -> None:
    first, second = question(x, "a"), question(x, "b")
    replier.reply(f"tweet:{first}", ANSWER, "answer:mention:1")
    sent = replier.reply(f"tweet:{second}", ANSWER, "answer:mention:2")
    assert [t.replied_to for t in x.posted] == [first, second]
    assert x.posted[1].text == f"{ANSWER}\n({reference('answer:mention:2')})"
    assert replier.find_sent(f"tweet:{second}", "answer:mention:2", ANSWER) == sent


def test_a_repeat_to_the_same_tweet_is_a_duplicate_carrying_our_reply_id(x: TwitterSandbox,
                                                                        replier: TwitterReplier) -> None:
    tweet_id = question(x)
    sent = replier.reply(f"tweet:{tweet_id}", ANSWER, "answer:mention:1")
    with pytest.raises(DuplicatePost) as refused:
        replier.reply(f"tweet:{tweet_id}", ANSWER, "answer:mention:1")
    assert refused.value.existing_id == sent.platform_id and len(x.posted) == 1


def test_429_waits_until_the_windows_reset(x: TwitterSandbox, replier: TwitterReplier) -> None:
    tweet_id = question(x)
    x.rate_limit(reset_in=420, path=CREATE)
    with pytest.raises(PublishError) as limited:
        replier.reply(f"tweet:{tweet_id}", ANSWER, "k")
    assert (limited.value.permanent, limited.value.retry_after) == (False, 420)


def test_a_deleted_tweet_is_refused_for_good(x: TwitterSandbox, replier: TwitterReplier) -> None:
    tweet_id = question(x)
    x.tweets[tweet_id].deleted = True
    with pytest.raises(PublishError) as refused:
        replier.reply(f"tweet:{tweet_id}", ANSWER, "k")
    assert refused.value.permanent and "deleted" in str(refused.value)


def test_a_revoked_token_is_retried_hourly_not_hammered(x: TwitterSandbox, replier: TwitterReplier) -> None:
    tweet_id = question(x)
    x.revoke_token()
    with pytest.raises(PublishError) as refused:
        replier.reply(f"tweet:{tweet_id}", ANSWER, "k")
    assert (refused.value.permanent, refused.value.retry_after) == (False, 3600)


def test_a_server_error_is_checked_before_any_retry(x: TwitterSandbox, replier: TwitterReplier) -> None:
    tweet_id = question(x)
    x.server_error(503, path=CREATE)
    with pytest.raises(PublishError) as failed:
        replier.reply(f"tweet:{tweet_id}", ANSWER, "k")
    assert not failed.value.permanent and "not on X" in str(failed.value)
    assert len(x.requests_to(r"/2/users/\d+/tweets")) == 1 and x.posted == []


def test_a_timeout_looks_at_the_timeline_before_anything_else(x: TwitterSandbox, clock: ManualClock) -> None:
    tweet_id = question(x)
    slow = TwitterReplier(client(x, timeout=(2.0, 0.3)), x.account.user_id, clock)  # type: ignore[arg-type]
    x.slow(2.0, path=CREATE)
    with pytest.raises(PublishError) as failed:
        slow.reply(f"tweet:{tweet_id}", ANSWER, "k")
    assert "did not answer" in str(failed.value) and not failed.value.permanent


def test_an_unreadable_timeline_after_an_unclear_answer_stops_for_a_person(x: TwitterSandbox,
                                                                          replier: TwitterReplier) -> None:
    tweet_id = question(x)
    x.server_error(503, path=CREATE)
    x.server_error(503, path=r"/2/users/\d+/tweets")
    with pytest.raises(PublishError) as failed:
        replier.reply(f"tweet:{tweet_id}", ANSWER, "k")
    assert failed.value.permanent and "check on X" in str(failed.value)


def test_a_target_of_another_platform_is_refused(replier: TwitterReplier) -> None:
    with pytest.raises(PublishError) as refused:
        replier.reply("comment:123_456", ANSWER, "k")
    assert refused.value.permanent


def test_the_poster_tweets_once_and_recognises_its_own_post(x: TwitterSandbox, clock: ManualClock) -> None:
    poster = TwitterPoster(client(x), x.account.user_id, clock)  # type: ignore[arg-type]
    text = "ประกาศ: กรมอุตุนิยมวิทยาเตือนฝนตกหนักภาคเหนือ 24–26 พ.ย. 2569"
    sent = poster.post(text, "broadcast:1")
    assert [t.text for t in x.posted] == [text] and x.posted[0].replied_to == ""
    assert poster.find_posted("broadcast:1", text) == sent
    with pytest.raises(DuplicatePost) as duplicate:
        poster.post(text, "broadcast:1")
    assert duplicate.value.existing_id == sent.platform_id
