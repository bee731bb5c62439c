"""The respond stage: turns each classified mention's plan into cases and outbox entries, atomically."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from bots.knowledge import KnowledgeBase
from bots.language import ReplyLanguage
from bots.templates import Templates
from bots.triage import ANSWERABLE, Action, Plan, Rules, decide, is_messenger
from core.agencies import AgencyDirectory
from core.clock import BANGKOK, Clock
from core.domain import Case, CaseStatus, Classification, Mention, Platform, Reply, ReplyKind, ReplyStatus
from core.store.cases import CaseStore
from core.store.outbox import Outbox
from core.store.triage import TriageQueue

log = logging.getLogger("gcc1111.respond")
EXCERPT = 280


@dataclass(frozen=True)
class Contacts:
    """Staff chats on Telegram: the duty officers' group, and each agency's coordinators."""

    duty_chat_id: str
    coordinator_chats: Callable[[str | None], list[str]]


def reply_target(mention: Mention) -> str:
    """Where a reply to this mention goes, in the "<kind>:<id>" form repliers read."""
    if mention.platform is Platform.FACEBOOK:
        return f"messenger:{mention.author_handle}" if is_messenger(mention) else f"comment:{mention.external_id}"
    if mention.platform is Platform.TWITTER:
        return f"tweet:{mention.external_id}"
    if mention.platform is Platform.TELEGRAM:
        return f"chat:{mention.external_id}"  # "<chat id>:<message id>"
    return f"{mention.platform.value}:{mention.external_id}"


class Responder:
    """Reads classified mentions from the store and writes what should happen about each."""

    def __init__(self, queue: TriageQueue, cases: CaseStore, outbox: Outbox, knowledge: KnowledgeBase,
                 templates: Templates, rules: Rules, agencies: AgencyDirectory, contacts: Contacts, clock: Clock,
                 default_sla_hours: float = 72) -> None:
        self._queue = queue
        self._cases = cases
        self._outbox = outbox
        self._knowledge = knowledge
        self._templates = templates
        self._rules = rules
        self._agencies = agencies
        self._contacts = contacts
        self._clock = clock
        self._default_sla = default_sla_hours

    def run_once(self, limit: int = 100) -> int:
        """Triage up to `limit` mentions; returns how many were handled."""
        return self._queue.work(self._handle, limit)

    def _handle(self, conn: sa.Connection, mention: Mention, verdict: Classification) -> None:
        plan = decide(mention, verdict, self._knowledge, self._rules, self._clock.now())
        log.info("mention %s (%s): %s, %s", mention.id, mention.platform.value, plan.action.value, plan.reason)
        if plan.action is Action.ANSWER and plan.answer is not None:
            entry = plan.answer.entry
            english = plan.language is ReplyLanguage.ENGLISH and entry.answer_en
            text = self._templates.render("answer", "en" if english else "th",
                                          answer=entry.answer_en if english else entry.answer_th, source=entry.source)
            self._reply_to_citizen(conn, mention, ReplyKind.ANSWER, text, plan)
        elif plan.action is Action.CASE:
            self._open_case(conn, mention, plan)
        elif plan.action is Action.FALLBACK:
            self._reply_to_citizen(conn, mention, ReplyKind.ANSWER, self._templates.bilingual("fallback"), plan)
        elif plan.action is Action.REVIEW:
            suggestion = plan.answer.entry.answer_th if plan.answer is not None else ""
            self._enqueue(conn, mention, f"review:mention:{mention.id}", ReplyKind.MANUAL, reply_target(mention),
                          suggestion, ReplyStatus.REVIEW, mention.platform, reason=plan.reason)

    def _open_case(self, conn: sa.Connection, mention: Mention, plan: Plan) -> None:
        agency = self._agencies.get(plan.agency)
        hours = agency.sla_hours if agency is not None else self._default_sla
        if plan.urgent:
            hours = min(hours, 4)  # danger is worked now, whatever the agency's usual pace
        coordinators = self._contacts.coordinator_chats(plan.agency)
        assert mention.id is not None
        case, _ = self._cases.open(
            conn, mention_id=mention.id, agency=plan.agency, urgent=plan.urgent,
            sla_due_at=self._clock.now() + timedelta(hours=hours), summary=mention.text[:EXCERPT],
            status=CaseStatus.ROUTED if coordinators else CaseStatus.NEW,
        )
        names = {"number": case.tracking_number,
                 "agency_th": agency.name_th if agency else "หน่วยงานที่เกี่ยวข้อง",
                 "agency_en": agency.name_en if agency else "responsible agency"}
        language = "en" if plan.language is ReplyLanguage.ENGLISH else "th"
        template = "urgent_acknowledgement" if plan.urgent else "acknowledgement"
        self._reply_to_citizen(conn, mention, ReplyKind.ACKNOWLEDGEMENT,
                               self._templates.render(template, language, **names), plan, case)
        for chat in coordinators:
            text = self._templates.render("coordinator_notice", "th", **names, **self._details(mention, case))
            self._enqueue(conn, mention, f"notice:case:{case.id}:chat:{chat}", ReplyKind.NOTICE, f"chat:{chat}",
                          text, ReplyStatus.PENDING, Platform.TELEGRAM, case=case)
        if plan.urgent:
            self._alert(conn, mention, case, names)

    def _alert(self, conn: sa.Connection, mention: Mention, case: Case, names: dict[str, str]) -> None:
        text = self._templates.render("duty_alert", "th", **names, **self._details(mention, case))
        duty = self._contacts.duty_chat_id
        status = ReplyStatus.PENDING if duty else ReplyStatus.REVIEW
        self._enqueue(conn, mention, f"alert:mention:{mention.id}", ReplyKind.ALERT, f"chat:{duty}", text, status,
                      Platform.TELEGRAM, case=case, reason="" if duty else "no duty officers' chat configured")

    def _details(self, mention: Mention, case: Case) -> dict[str, str]:
        return {
            "platform": mention.platform.value,
            "url": mention.url or "-",
            "excerpt": " ".join(mention.text.split())[:EXCERPT],
            "posted": mention.posted_at.astimezone(BANGKOK).strftime("%d/%m/%Y %H:%M"),
            "due": case.sla_due_at.astimezone(BANGKOK).strftime("%d/%m/%Y %H:%M"),
            "urgent_mark": " (ด่วน)" if case.urgent else "",
        }

    def _reply_to_citizen(self, conn: sa.Connection, mention: Mention, kind: ReplyKind, text: str, plan: Plan,
                          case: Case | None = None) -> None:
        if plan.hold_reply:
            reason = ("post this by hand: our tools cannot reply on " + mention.platform.value
                      if mention.platform not in ANSWERABLE else "cannot reply automatically (window closed or "
                      "sensitive topic): check and post or release")
            self._enqueue(conn, mention, f"{kind.value}:mention:{mention.id}", ReplyKind.MANUAL,
                          reply_target(mention), text, ReplyStatus.REVIEW, mention.platform, case=case, reason=reason)
            return
        self._enqueue(conn, mention, f"{kind.value}:mention:{mention.id}", kind, reply_target(mention), text,
                      ReplyStatus.PENDING, mention.platform, case=case)

    def _enqueue(self, conn: sa.Connection, mention: Mention, key: str, kind: ReplyKind, target: str, text: str,
                 status: ReplyStatus, platform: Platform, case: Case | None = None, reason: str = "") -> None:
        reply = Reply(key=key, kind=kind, platform=platform, target=target, text=text, status=status,
                      created_at=self._clock.now(), mention_id=mention.id, case_id=case.id if case else None,
                      error=reason)
        self._outbox.enqueue(reply, conn)
