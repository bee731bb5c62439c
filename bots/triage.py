"""Triage: what the desk does about one classified mention. Pure decisions; the stage applies them."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bots.knowledge import KnowledgeBase, Match
from bots.language import ReplyLanguage, reply_language
from core.domain import Classification, Label, Mention, Platform

# Platforms our libraries can answer on; Instagram (instaloader) and Pantip (Scrapy) only read.
ANSWERABLE = frozenset({Platform.FACEBOOK, Platform.TWITTER, Platform.TELEGRAM})
MESSENGER_WINDOW = timedelta(hours=24)


class Action(enum.StrEnum):
    ANSWER = "answer"  # a knowledge-base answer
    CASE = "case"  # open a case and acknowledge it
    FALLBACK = "fallback"  # a language we cannot read: polite bilingual note
    REVIEW = "review"  # a person decides
    IGNORE = "ignore"  # no reply (thanks, chatter)


@dataclass(frozen=True)
class Rules:
    """Thresholds and switches from settings (ResponderSettings) and staff-edited files."""

    answer_min_confidence: float = 0.75
    faq_min_coverage: float = 0.40
    case_min_confidence: float = 0.6
    reply_to_other: bool = False
    sensitive_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    action: Action
    reason: str
    language: ReplyLanguage
    urgent: bool
    agency: str | None
    answer: Match | None = None
    hold_reply: bool = False  # the reply is written but a person posts or releases it
    notes: tuple[str, ...] = field(default_factory=tuple)


def is_messenger(mention: Mention) -> bool:
    return mention.platform is Platform.FACEBOOK and mention.source.endswith("messenger")


def sensitive_term(text: str, terms: Sequence[str]) -> str | None:
    """The first sensitive term in `text` (case and spacing ignored), or None."""
    folded = re.sub(r"\s+", "", text.lower())
    for term in terms:
        if re.sub(r"\s+", "", term.lower()) in folded:
            return term
    return None


def decide(mention: Mention, verdict: Classification, knowledge: KnowledgeBase, rules: Rules,
           now: datetime) -> Plan:
    """Choose the action for one mention; every way out names its reason for the review queue and logs."""
    language = reply_language(mention.text)
    base = {"language": language, "urgent": verdict.urgent, "agency": verdict.agency}
    if language is ReplyLanguage.UNSUPPORTED:
        return Plan(Action.FALLBACK, "unsupported language", hold_reply=not _can_reply(mention, now), **base)
    term = sensitive_term(mention.text, rules.sensitive_terms)
    if verdict.urgent:
        # Danger first: a case and a duty alert even when the label is unsure or the topic is sensitive.
        return Plan(Action.CASE, "urgent", hold_reply=term is not None or not _can_reply(mention, now), **base)
    if term is not None:
        return Plan(Action.REVIEW, f"sensitive topic: {term}", **base)
    if verdict.label is Label.COMPLAINT:
        if verdict.confidence < rules.case_min_confidence:
            return Plan(Action.REVIEW, f"complaint confidence {verdict.confidence:.2f} too low", **base)
        return Plan(Action.CASE, "complaint", hold_reply=not _can_reply(mention, now), **base)
    if verdict.label is Label.INQUIRY:
        return _inquiry(mention, verdict, knowledge, rules, now, base)
    if rules.reply_to_other:
        return Plan(Action.REVIEW, "reply to other posts is switched on: a person writes it", **base)
    return Plan(Action.IGNORE, "other", **base)


def _inquiry(mention: Mention, verdict: Classification, knowledge: KnowledgeBase, rules: Rules,
             now: datetime, base: dict[str, object]) -> Plan:
    # The knowledge base itself ignores @handles and links (every X mention starts with "@GCC1111").
    matches = knowledge.search(mention.text, k=1)
    best = matches[0] if matches else None
    if verdict.confidence < rules.answer_min_confidence:
        return Plan(Action.REVIEW, f"inquiry confidence {verdict.confidence:.2f} too low", answer=best,
                    **base)  # type: ignore[arg-type]
    if best is None:
        return Plan(Action.REVIEW, "no confident answer in the knowledge base", **base)  # type: ignore[arg-type]
    refusal = best.refusal(rules.faq_min_coverage, now.date())
    if refusal is not None:
        return Plan(Action.REVIEW, refusal, answer=best, **base)  # type: ignore[arg-type]
    return Plan(Action.ANSWER, f"faq {best.entry.id}", answer=best, hold_reply=not _can_reply(mention, now),
                **base)  # type: ignore[arg-type]


def _can_reply(mention: Mention, now: datetime) -> bool:
    """Whether our own clients may answer automatically where the citizen wrote."""
    if mention.platform not in ANSWERABLE:
        return False
    return not (is_messenger(mention) and now - mention.posted_at > MESSENGER_WINDOW)
