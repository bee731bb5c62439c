"""Every Telegram failure the listen-only source handles, made to happen by the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from telegram_support import CITIZEN, call, listen, started_sandbox

from core.clock import ManualClock
from core.errors import AuthExpired, ParseError, RateLimited, SourceError
from core.store import Store
from sandbox.telegram import TelegramSandbox
from scrapers.telegram import TelegramSource


@pytest.fixture
def tg(clock: ManualClock) -> Iterator[TelegramSandbox]:
    with started_sandbox(clock) as sandbox:
        sandbox.user_says(CITIZEN, "ไฟฟ้าดับทั้งหมู่บ้านตั้งแต่เช้า")
        yield sandbox


def test_flood_wait_is_rate_limited_for_exactly_the_seconds_telegram_asked(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    tg.flood_wait(retry_after=17, method="getUpdates", times=2)
    listener, source = listen(sqlite_store, clock, tg)

    with pytest.raises(RateLimited) as caught:
        list(source.poll({}))
    result = listener.poll(source)

    health = sqlite_store.health.get("telegram")
    assert caught.value.retry_after == 17.0
    assert result.stored == 0 and "retry after 17" in result.error
    assert health.next_retry_at == clock.now() + timedelta(seconds=17)
    assert sqlite_store.mentions.cursor("telegram") == {}
    assert listener.poll(source).stored == 1  # the wait is over: nothing was lost


def test_a_revoked_token_is_auth_expired_and_marks_the_source_broken(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    listener, source = listen(sqlite_store, clock, tg)
    new_token = tg.revoke_token()

    with pytest.raises(AuthExpired, match="401 Unauthorized"):
        list(source.poll({}))
    result = listener.poll(source)
    renewed = TelegramSource(tg.base_url, new_token)

    health = sqlite_store.health.get("telegram")
    assert health.auth_broken and not health.healthy and result.stored == 0
    assert new_token not in result.error and "@BotFather" in result.error
    assert listener.poll(renewed).stored == 1
    assert not sqlite_store.health.get("telegram").auth_broken


def test_a_malformed_token_is_404_and_also_auth_expired(tg: TelegramSandbox) -> None:
    with pytest.raises(AuthExpired, match="404 Not Found"):
        list(TelegramSource(tg.base_url, "not-a-token").poll({}))


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_server_error_is_a_source_error_and_is_retried_with_backoff(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock, status: int) -> None:
    tg.server_error(status)
    listener, source = listen(sqlite_store, clock, tg)

    result = listener.poll(source)

    health = sqlite_store.health.get("telegram")
    assert f"server error ({status})" in result.error and health.consecutive_failures == 1
    assert health.next_retry_at is not None and health.next_retry_at > clock.now()
    assert sqlite_store.mentions.count() == 0
    assert listener.poll(source).stored == 1


def test_a_timeout_is_a_source_error(tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    tg.slow(delay_seconds=5)
    listener, source = listen(sqlite_store, clock, tg, timeout=(2.0, 0.3))

    result = listener.poll(source)

    assert "did not answer getUpdates in time" in result.error
    assert sqlite_store.health.get("telegram").consecutive_failures == 1


def test_an_unreachable_server_is_a_source_error_without_the_token(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    listener, source = listen(sqlite_store, clock, tg)
    tg.stop()

    result = listener.poll(source)

    assert "unreachable" in result.error and tg.token not in result.error


@pytest.mark.parametrize("kind", ["invalid_json", "html", "not_utf8", "no_result", "bad_update"])
def test_a_malformed_body_is_a_parse_error_saved_raw_and_the_cursor_does_not_move(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock, kind: str) -> None:
    listener, source = listen(sqlite_store, clock, tg)
    listener.poll(source)
    tg.user_says(CITIZEN, "ตอนนี้ไฟยังไม่มาเลยครับ")
    cursor = sqlite_store.mentions.cursor("telegram")
    tg.malformed(kind)

    with_error = listener.poll(source)

    saved = sqlite_store.health.unreadable("telegram")
    assert with_error.error and len(saved) == 1 and saved[0]["raw_body"]
    assert sqlite_store.mentions.cursor("telegram") == cursor
    assert listener.poll(source).stored == 1  # the next good answer carries on where the cursor stood


def test_a_truncated_body_keeps_the_exact_bytes_for_diagnosis(tg: TelegramSandbox) -> None:
    tg.malformed("invalid_json")
    with pytest.raises(ParseError) as caught:
        list(TelegramSource(tg.base_url, tg.token).poll({}))
    assert caught.value.raw_body == '{"ok":true,"result":[{"update_id":1,"message":{"text":"ไฟดับ'


def test_a_webhook_in_place_is_a_409_conflict_explained_to_staff(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    assert call(tg, "setWebhook", url="http://127.0.0.1:9/tg")["ok"] is True
    listener, source = listen(sqlite_store, clock, tg)

    with pytest.raises(SourceError) as caught:
        list(source.poll({}))
    result = listener.poll(source)

    assert not isinstance(caught.value, AuthExpired | RateLimited | ParseError)
    assert "409" in result.error and "webhook" in result.error and "deleteWebhook" in result.error
    assert call(tg, "deleteWebhook")["description"] == "Webhook was deleted"
    assert listener.poll(source).stored == 1
