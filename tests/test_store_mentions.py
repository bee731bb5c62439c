"""The mention store on SQLite and PostgreSQL: exactly-once ingest with its cursor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain import Mention, MentionStage, Platform
from core.store import Store


def mention(external_id: str, text: str = "ขอสอบถามเรื่องบัตรประชาชนค่ะ", **extra: object) -> Mention:
    return Mention(
        platform=Platform.FACEBOOK,
        external_id=external_id,
        text=text,
        posted_at=datetime(2026, 11, 20, 3, 4, 5, tzinfo=UTC),
        source="facebook.feed",
        **extra,  # type: ignore[arg-type]
    )


def test_ingest_stores_each_mention_once_and_saves_the_cursor(store: Store) -> None:
    first = store.mentions.ingest("facebook.feed", [mention("1"), mention("2"), mention("1")], {"after": "A"})
    again = store.mentions.ingest("facebook.feed", [mention("2"), mention("3")], {"after": "B"})

    assert (first, again) == (2, 1)
    assert store.mentions.count() == 3
    assert store.mentions.cursor("facebook.feed") == {"after": "B"}
    assert store.health.get("facebook.feed").mentions_stored == 3


def test_same_external_id_on_two_platforms_is_two_mentions(store: Store) -> None:
    other = Mention(Platform.TWITTER, "1", "hello", datetime(2026, 1, 1, tzinfo=UTC), "twitter.mentions")
    assert store.mentions.ingest("a", [mention("1")], None) == 1
    assert store.mentions.ingest("b", [other], None) == 1


def test_round_trip_keeps_every_field_and_utc(store: Store) -> None:
    original = mention("9", author_handle="somchai", thread_id="t1", parent_id="p1", url="https://x/9",
                       raw={"id": "9", "from": {"name": "สมชาย"}})
    store.mentions.ingest("facebook.feed", [original], None)

    found = store.mentions.find(Platform.FACEBOOK, "9")

    assert found == original
    assert found is not None and found.raw == original.raw
    assert found.posted_at.tzinfo is not None and found.posted_at == original.posted_at
    assert found.stage is MentionStage.NEW


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = Mention(Platform.PANTIP, "1", "x", datetime(2026, 1, 1), "pantip")
    with pytest.raises(Exception, match="naive datetime"):
        store.mentions.ingest("pantip", [naive], None)
    assert store.mentions.count() == 0


def test_a_failed_batch_keeps_the_old_cursor(store: Store) -> None:
    store.mentions.ingest("facebook.feed", [mention("1")], {"after": "A"})
    bad = Mention(Platform.FACEBOOK, "2", "x", datetime(2026, 1, 1), "facebook.feed")
    with pytest.raises(Exception, match="naive datetime"):
        store.mentions.ingest("facebook.feed", [mention("3"), bad], {"after": "B"})
    assert store.mentions.cursor("facebook.feed") == {"after": "A"}
    assert store.mentions.count() == 1


HOSTILE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300
) | st.sampled_from(
    ["<script>alert(1)</script>", "'; DROP TABLE mentions; --", "\u200b\u200d\u202e", "ก" * 50_000, "🙏" * 100]
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE)
def test_hostile_text_is_stored_verbatim(sqlite_store: Store, text: str) -> None:
    external_id = str(abs(hash(text)))
    sqlite_store.mentions.ingest("x", [mention(external_id, text)], None)
    found = sqlite_store.mentions.find(Platform.FACEBOOK, external_id)
    assert found is not None and found.text == text


def test_nul_characters_are_stored_as_replacement_characters_on_every_database(store: Store) -> None:
    store.mentions.ingest("x", [mention("nul", "ก\x00ข", raw={"text": "ก\x00ข", "list": ["\x00"]})], None)
    found = store.mentions.find(Platform.FACEBOOK, "nul")
    assert found is not None
    assert (found.text, found.raw) == ("ก\ufffdข", {"text": "ก\ufffdข", "list": ["\ufffd"]})


def test_iterate_reads_everything_in_batches(store: Store) -> None:
    store.mentions.ingest("s", [mention(str(i)) for i in range(25)], None)
    assert [m.external_id for m in store.mentions.iterate(batch=7)] == [str(i) for i in range(25)]
