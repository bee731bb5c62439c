"""Citizen updates: whoever resolves a case (a coordinator on Telegram, staff on the dashboard), it is told once."""

from __future__ import annotations

import logging
from datetime import timedelta

from bots.language import ReplyLanguage, reply_language
from bots.respond import reply_target
from bots.templates import Templates
from bots.triage import ANSWERABLE, MESSENGER_WINDOW, is_messenger
from core.agencies import AgencyDirectory
from core.clock import Clock
from core.domain import Case, CaseStatus, Reply, ReplyKind, ReplyStatus
from core.store.cases import CaseStore
from core.store.mentions import MentionStore
from core.store.outbox import Outbox

log = logging.getLogger("gcc1111.notify")
RESOLVED_TH = "ได้รับการแก้ไขแล้ว"
RESOLVED_EN = "resolved"


def resolution_key(case_id: int) -> str:
    return f"update:case:{case_id}:resolved"


class CitizenNotifier:
    """Writes the resolution notice into the outbox, keyed by case, so it is sent exactly once."""

    def __init__(self, cases: CaseStore, mentions: MentionStore, outbox: Outbox, templates: Templates,
                 agencies: AgencyDirectory, clock: Clock, lookback: timedelta = timedelta(days=7)) -> None:
        self._cases = cases
        self._mentions = mentions
        self._outbox = outbox
        self._templates = templates
        self._agencies = agencies
        self._clock = clock
        self._since = clock.now() - lookback  # resolved before this (and before a restart's lookback) was told then

    def notify_resolved(self, case: Case) -> bool:
        """Enqueue the notice for a resolved case; True when it is newly written, False when it already was."""
        assert case.id is not None
        mention = self._mentions.get(case.mention_id)
        if mention is None:
            log.warning("case %s: its mention is gone, nobody to tell", case.tracking_number)
            return False
        agency = self._agencies.get(case.agency)
        language = "en" if reply_language(mention.text) is ReplyLanguage.ENGLISH else "th"
        text = self._templates.render(
            "case_update", language, number=case.tracking_number, status_th=RESOLVED_TH, status_en=RESOLVED_EN,
            agency_th=agency.name_th if agency else "หน่วยงานที่เกี่ยวข้อง",
            agency_en=agency.name_en if agency else "responsible agency",
            note_part="",  # staff notes stay internal: a public reply holds template words only
        )
        status, kind, reason = ReplyStatus.PENDING, ReplyKind.NOTICE, ""
        if mention.platform not in ANSWERABLE:
            status, kind, reason = ReplyStatus.REVIEW, ReplyKind.MANUAL, (
                f"post this by hand: our tools cannot reply on {mention.platform.value}")
        elif is_messenger(mention) and self._clock.now() - mention.posted_at > MESSENGER_WINDOW:
            status, kind, reason = ReplyStatus.REVIEW, ReplyKind.MANUAL, (
                "the Messenger 24-hour window has closed: send it by hand or wait for the citizen to write again")
        reply = Reply(key=resolution_key(case.id), kind=kind, platform=mention.platform,
                      target=reply_target(mention), text=text, status=status, created_at=self._clock.now(),
                      mention_id=mention.id, case_id=case.id, error=reason)
        return self._outbox.enqueue(reply)

    def run_once(self, limit: int = 200) -> int:
        """Tell citizens about cases resolved since the last look; returns how many notices were written."""
        changed = self._cases.changed_since(self._since, CaseStatus.RESOLVED, limit)
        written = sum(1 for case in changed if self.notify_resolved(case))
        if changed:
            self._since = changed[-1].updated_at  # inclusive: the next look re-reads it, harmlessly (keyed)
        return written

