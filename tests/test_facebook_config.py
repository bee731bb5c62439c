"""The composition root builds the Facebook pieces from GCC1111_FACEBOOK__* settings."""

from __future__ import annotations

from facebook_support import FEED, MESSENGER, started_sandbox

from config.settings import load_settings
from config.sources_facebook import facebook_sources, facebook_webhook_app
from core.clock import ManualClock
from core.store import Store
from sandbox.seed import SeedPost
from scrapers.listener import Listener


def test_sources_from_the_sandbox_env_poll_everything(sqlite_store: Store, clock: ManualClock) -> None:
    with started_sandbox(clock) as sandbox:
        sandbox.publish(SeedPost("facebook", "post", "ยาย", "yai", "บัตรทองใช้ที่ไหนได้บ้าง", replies=("ที่ รพ.สต.",)))
        sandbox.publish(SeedPost("facebook", "message", "พิม", "pim", "ขอเลขพัสดุค่ะ"))
        settings = load_settings(env=sandbox.env())

        sources = facebook_sources(settings, clock)
        results = Listener(sources, sqlite_store.mentions, sqlite_store.health, clock).poll_all()

    assert [s.name for s in sources] == [FEED, MESSENGER]
    assert {r.source: r.stored for r in results} == {FEED: 2, MESSENGER: 1}
    assert all(r.path.startswith("/v25.0/") for r in sandbox.requests)


def test_nothing_is_built_without_a_page_and_token(sqlite_store: Store, clock: ManualClock) -> None:
    settings = load_settings(env={})
    assert facebook_sources(settings, clock) == []
    assert facebook_webhook_app(settings, sqlite_store) is None


def test_messenger_can_be_left_out_and_the_webhook_needs_its_secrets(sqlite_store: Store,
                                                                     clock: ManualClock) -> None:
    env = {"GCC1111_FACEBOOK__PAGE_ID": "104857600123456", "GCC1111_FACEBOOK__ACCESS_TOKEN": "EAAtoken",
           "GCC1111_FACEBOOK__INCLUDE_MESSENGER": "false", "GCC1111_FACEBOOK__API_VERSION": "26.0"}
    settings = load_settings(env=env)

    assert [s.name for s in facebook_sources(settings, clock)] == [FEED]
    assert facebook_webhook_app(settings, sqlite_store) is None
    with_secrets = load_settings(env={**env, "GCC1111_FACEBOOK__APP_SECRET": "s",
                                      "GCC1111_FACEBOOK__VERIFY_TOKEN": "v"})
    assert facebook_webhook_app(with_secrets, sqlite_store) is not None
