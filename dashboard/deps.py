"""What the web desk needs from the composition root, and what it builds from that once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import jinja2

from core.agencies import AgencyDirectory
from core.clock import Clock
from core.ports import BroadcastDesk
from core.store import Store
from core.store.audit_browse import AuditBrowser
from core.store.board import CaseBoard
from core.store.desk import MentionDesk
from dashboard.sessions import SessionCodec

if TYPE_CHECKING:
    from dashboard.insight import InsightService

Tokenizer = Callable[[str], list[str]]


@dataclass(frozen=True)
class DeskDeps:
    """Everything `create_app` takes; config/dashboard_wiring.py fills it from settings."""

    store: Store
    agencies: AgencyDirectory
    clock: Clock
    secret_key: str
    session_minutes: int = 480
    secure_cookies: bool = False  # True when the desk is served over HTTPS
    known_sources: Callable[[], Sequence[str]] = field(default=lambda: ())  # configured connectors
    tokenize: Tokenizer | None = None  # Thai word segmentation for top terms; PyThaiNLP (nlpo3) when None
    insight_cache_seconds: float = 600  # past days' chart figures are reused this long; today is always live
    warm_insight: bool = False  # compute the charts in the background at the first sign-in
    broadcasts: BroadcastDesk | None = None  # the broadcast workflow; None: the broadcast pages say so


@dataclass(frozen=True)
class Desk:
    """The pieces every page uses, built once per app."""

    deps: DeskDeps
    codec: SessionCodec
    templates: jinja2.Environment
    mentions: MentionDesk
    board: CaseBoard
    audit: AuditBrowser
    insight: InsightService
