"""Triage end to end on the store: answers, cases, alerts and the review queue, each written once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bots.knowledge import KnowledgeBase, load_faq, thai_tokenizer
from bots.respond import Contacts, Responder
from bots.templates import load_templates
from bots.triage import Rules
from core.agencies import load_agencies
from core.clock import ManualClock
from core.domain import CaseStatus, Classification, Label, Mention, MentionStage, Platform, ReplyKind, ReplyStatus
from core.store import Store
from core.store.schema import classifications, mentions

CONFIG = Path(__file__).resolve().parent.parent / "config"


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return KnowledgeBase(load_faq(CONFIG / "faq"), thai_tokenizer())


@pytest.fixture
def responder(store: Store, clock: ManualClock, knowledge: KnowledgeBase) -> Responder:
    agencies = load_agencies(CONFIG / "agencies.yaml")
    contacts = Contacts(duty_chat_id="-100999", coordinator_chats=lambda agency: ["5001"] if agency == "BMA" else [])
    rules = Rules(sensitive_terms=("ทุจริต",))
    templates = load_templates(CONFIG / "templates/replies.yaml")
    return Responder(store.triage, store.cases, store.outbox, knowledge, templates, rules, agencies, contacts, clock)


def classified(store: Store, external_id: str, text: str, label: Label, *, agency: str | None = None,
               urgent: bool = False, confidence: float = 0.95, platform: Platform = Platform.TWITTER,
               source: str = "twitter.search", posted_at: datetime | None = None, author: str = "u1") -> int:
    posted = posted_at or datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    store.mentions.ingest(source, [Mention(platform, external_id, text, posted, source, author_handle=author)], None)
    found = store.mentions.find(platform, external_id)
    assert found is not None and found.id is not None
    verdict = Classification(label=label, confidence=confidence, agency=agency, agency_confidence=0.9,
                             urgent=urgent, urgent_score=0.99 if urgent else 0.01, model_version="test")
    with store.engine.begin() as conn:
        conn.execute(sa.insert(classifications).values(
            mention_id=found.id, label=verdict.label.value, confidence=verdict.confidence, agency=verdict.agency,
            agency_confidence=verdict.agency_confidence, urgent=verdict.urgent, urgent_score=verdict.urgent_score,
            model_version=verdict.model_version, classified_at=store.clock.now()))
        conn.execute(sa.update(mentions).where(mentions.c.id == found.id).values(stage=MentionStage.CLASSIFIED.value))
    return found.id


def test_a_confident_inquiry_gets_the_approved_answer_once(store: Store, responder: Responder) -> None:
    mention_id = classified(store, "101", "บัตรประชาชนหายต้องทำยังไงคะ", Label.INQUIRY, agency="MOI")

    assert responder.run_once() == 1
    assert responder.run_once() == 0  # triaged mentions are not handed out again

    (reply,) = store.outbox.for_mention(mention_id)
    assert (reply.kind, reply.status, reply.platform, reply.target) == (
        ReplyKind.ANSWER, ReplyStatus.PENDING, Platform.TWITTER, "tweet:101")
    assert "1111" in reply.text and "บัตรประชาชนหาย" not in reply.text
    found = store.mentions.get(mention_id)
    assert found is not None and found.stage is MentionStage.TRIAGED


def test_a_complaint_opens_a_routed_case_with_ack_and_coordinator_notice(store: Store, responder: Responder) -> None:
    text = "ถนนหน้าซอยลาดพร้าว 71 เป็นหลุมใหญ่มาสามเดือนแล้ว เขตไม่มาซ่อมสักที"
    mention_id = classified(store, "102", text, Label.COMPLAINT, agency="BMA")

    responder.run_once()

    case = store.cases.for_mention(mention_id)
    assert case is not None and (case.agency, case.status) == ("BMA", CaseStatus.ROUTED)
    replies = {r.kind: r for r in store.outbox.for_mention(mention_id)}
    assert set(replies) == {ReplyKind.ACKNOWLEDGEMENT, ReplyKind.NOTICE}
    ack, notice = replies[ReplyKind.ACKNOWLEDGEMENT], replies[ReplyKind.NOTICE]
    assert case.tracking_number in ack.text and "กรุงเทพมหานคร" in ack.text
    assert text not in ack.text  # never echo the citizen's words back in public
    assert (notice.platform, notice.target, notice.case_id) == (Platform.TELEGRAM, "chat:5001", case.id)


def test_an_urgent_post_alerts_the_duty_group_and_gets_a_short_sla(store: Store, responder: Responder,
                                                                   clock: ManualClock) -> None:
    mention_id = classified(store, "103", "ไฟไหม้บ้านซอย 5 ตอนนี้ คนติดอยู่ชั้นสอง ช่วยด้วย", Label.COMPLAINT,
                            agency="MOI", urgent=True)

    responder.run_once()

    case = store.cases.for_mention(mention_id)
    assert case is not None and case.urgent and case.sla_due_at == clock.now() + timedelta(hours=4)
    alert = next(r for r in store.outbox.for_mention(mention_id) if r.kind is ReplyKind.ALERT)
    assert (alert.target, alert.status) == ("chat:-100999", ReplyStatus.PENDING)
    assert case.tracking_number in alert.text and "ไฟไหม้" in alert.text  # officers do see the post
    ack = next(r for r in store.outbox.for_mention(mention_id) if r.kind is ReplyKind.ACKNOWLEDGEMENT)
    assert "191" in ack.text


@pytest.mark.parametrize(
    ("text", "label", "confidence", "reason"),
    [
        ("อยากทราบเรื่องกฎหมายทะเลลึกระหว่างประเทศครับ", Label.INQUIRY, 0.95, "no confident answer"),
        ("บัตรประชาชนหายต้องทำยังไงคะ", Label.INQUIRY, 0.4, "confidence 0.40 too low"),
        ("ถนนพังค่ะ", Label.COMPLAINT, 0.3, "complaint confidence 0.30 too low"),
        ("เจ้าหน้าที่ทุจริตรับเงินใต้โต๊ะ", Label.COMPLAINT, 0.95, "sensitive topic"),
    ],
)
def test_anything_unsure_goes_to_the_review_queue(store: Store, responder: Responder, text: str, label: Label,
                                                  confidence: float, reason: str) -> None:
    mention_id = classified(store, "104", text, label, agency="MOI", confidence=confidence)
    responder.run_once()
    (held,) = store.outbox.for_mention(mention_id)
    assert (held.kind, held.status) == (ReplyKind.MANUAL, ReplyStatus.REVIEW)
    assert reason in held.error
    assert store.cases.for_mention(mention_id) is None


def test_instagram_and_pantip_replies_wait_for_staff_with_ready_text(store: Store, responder: Responder) -> None:
    mention_id = classified(store, "topic:9", "ไฟถนนดับทั้งซอยมาสองอาทิตย์แล้ว", Label.COMPLAINT, agency="MOI",
                            platform=Platform.PANTIP, source="pantip")
    responder.run_once()
    (held,) = store.outbox.for_mention(mention_id)
    case = store.cases.for_mention(mention_id)
    assert case is not None and case.tracking_number in held.text
    assert (held.kind, held.status) == (ReplyKind.MANUAL, ReplyStatus.REVIEW)
    assert "by hand" in held.error


def test_messenger_outside_the_24_hour_window_is_held(store: Store, responder: Responder, clock: ManualClock) -> None:
    mention_id = classified(store, "m_1", "บัตรประชาชนหายต้องทำยังไงคะ", Label.INQUIRY, platform=Platform.FACEBOOK,
                            source="facebook.messenger", posted_at=clock.now() - timedelta(hours=25), author="psid-1")
    responder.run_once()
    (held,) = store.outbox.for_mention(mention_id)
    assert (held.status, held.target) == (ReplyStatus.REVIEW, "messenger:psid-1")


def test_english_posts_get_english_and_unreadable_ones_a_bilingual_fallback(store: Store,
                                                                            responder: Responder) -> None:
    english = classified(store, "105", "The streetlights on my road have been off for two weeks", Label.COMPLAINT,
                         agency="MOI")
    lao = classified(store, "106", "ສະບາຍດີ ຂ້ອຍຢາກຖາມກ່ຽວກັບບັດປະຈຳຕົວ", Label.INQUIRY, agency="MOI")
    responder.run_once()

    ack = store.outbox.for_mention(english)[0]
    (fallback,) = store.outbox.for_mention(lao)
    assert "Thank you for reporting" in ack.text
    assert "ขออภัย" in fallback.text and "Sorry" in fallback.text


def test_other_posts_get_no_reply_by_default(store: Store, responder: Responder) -> None:
    mention_id = classified(store, "107", "ขอบคุณ 1111 มากครับ 🙏", Label.OTHER)
    responder.run_once()
    assert store.outbox.for_mention(mention_id) == []


def test_personal_data_never_reaches_a_reply(store: Store, responder: Responder, clock: ManualClock) -> None:
    templates = load_templates(CONFIG / "templates/replies.yaml")
    text = templates.render("acknowledgement", "th", number="GCC-2611-000001", agency_th="โทร 081-234-5678",
                            agency_en="x")
    assert "081-234-5678" not in text
