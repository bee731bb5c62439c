"""Shared set-up for the answering side's tests: a recording fake classifier, the stand-ins, a bot driver."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from telegram.ext import Application

from core.agencies import AgencyDirectory, Coordinator, load_agencies
from core.domain import Classification, Label, MentionStage
from core.store import Store
from core.store.schema import classifications, mentions

CONFIG = Path(__file__).resolve().parent.parent / "config"
T = TypeVar("T")


@dataclass
class FixedClassifier:
    """A recording fake of core.ports.Classifier: fixed answers by keyword, every text it was shown kept."""

    rules: Sequence[tuple[str, Classification]]
    seen: list[str] = field(default_factory=list)

    @property
    def version(self) -> str:
        return "fixed-test"

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        self.seen.extend(texts)
        return [next((c for word, c in self.rules if word in text), OTHER) for text in texts]


def verdict(label: Label, agency: str | None, *, urgent: bool = False, confidence: float = 0.95) -> Classification:
    return Classification(label=label, confidence=confidence, agency=agency, agency_confidence=0.9, urgent=urgent,
                          urgent_score=0.99 if urgent else 0.01, model_version="fixed-test")


OTHER = verdict(Label.OTHER, None)
DESK_RULES = (
    ("บัตรประชาชนหาย", verdict(Label.INQUIRY, "MOI")),
    ("lost my Thai ID card", verdict(Label.INQUIRY, "MOI")),
    ("ไฟไหม้", verdict(Label.COMPLAINT, "MOI", urgent=True)),
    ("หลุม", verdict(Label.COMPLAINT, "BMA", confidence=0.9)),
)


def classify_pending(store: Store, classifier: FixedClassifier) -> int:
    """The classify stage as the pipeline runs it: new mentions get a classification and move on."""
    with store.engine.begin() as conn:
        rows = conn.execute(sa.select(mentions.c.id, mentions.c.text).where(
            mentions.c.stage == MentionStage.NEW.value).order_by(mentions.c.id)).all()
        for (mention_id, _text), found in zip(rows, classifier.classify([r.text for r in rows]), strict=True):
            conn.execute(sa.insert(classifications).values(
                mention_id=mention_id, label=found.label.value, confidence=found.confidence, agency=found.agency,
                agency_confidence=found.agency_confidence, urgent=found.urgent, urgent_score=found.urgent_score,
                model_version=found.model_version, classified_at=store.clock.now()))
            conn.execute(sa.update(mentions).where(mentions.c.id == mention_id)
                         .values(stage=MentionStage.CLASSIFIED.value))
    return len(rows)


def agencies_with_coordinator(code: str, chat_id: int) -> AgencyDirectory:
    """The shipped directory, with one coordinator chat for `code`."""
    directory = load_agencies(CONFIG / "agencies.yaml")
    agency = replace(directory.agencies[code], coordinators=(Coordinator("ผู้ประสานงานทดสอบ", str(chat_id)),))
    return AgencyDirectory({**directory.agencies, code: agency})


class LoopThread:
    """An event loop in a background thread, so PTB's servers keep answering between test steps."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-bot-loop", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


class BotDriver:
    """Feeds the bot its updates one getUpdates call at a time (what PTB's polling does, made step by step)."""

    def __init__(self, app: Application, loop: LoopThread) -> None:  # type: ignore[type-arg]
        self.app = app
        self.loop = loop
        self.offset: int | None = None
        loop.run(app.initialize())

    def drain(self) -> int:
        """Fetch and handle every pending update; returns how many."""

        async def step() -> int:
            updates = await self.app.bot.get_updates(offset=self.offset, timeout=0)
            for update in updates:
                await self.app.process_update(update)
                self.offset = update.update_id + 1
            return len(updates)

        handled = 0
        while (count := self.loop.run(step())) > 0:
            handled += count
        return handled

    def close(self) -> None:
        self.loop.run(self.app.shutdown())
