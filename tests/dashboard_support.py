"""Helpers for the web desk's tests: the real app on a real store, staff accounts, and seeded posts."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher

from core.agencies import AgencyDirectory, load_agencies
from core.clock import ManualClock
from core.domain import Mention, Platform, Role, User
from core.store import Store
from core.store.schema import classifications
from core.store.users import UserStore
from dashboard.app import create_app
from dashboard.deps import DeskDeps

with warnings.catch_warnings():
    # Starlette 1.x suggests httpx2 for its TestClient; httpx works the same for these tests.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

AGENCIES_FILE = Path(__file__).resolve().parent.parent / "config" / "agencies.yaml"
SECRET = "test-session-secret-0123456789abcdef"
PASSWORD = "correct horse battery"
STAFF = (
    ("admin", Role.ADMIN, None),
    ("analyst", Role.ANALYST, None),
    ("pr", Role.PR, None),
    ("approver", Role.APPROVER, None),
    ("coord_moi", Role.COORDINATOR, "MOI"),
    ("coord_moph", Role.COORDINATOR, "MOPH"),
)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def agencies() -> AgencyDirectory:
    return load_agencies(AGENCIES_FILE)


def fast_passwords(store: Store) -> None:
    """Cheap argon2 parameters: the tests check behaviour, not hashing cost."""
    store.users = UserStore(store.engine, store.clock,
                            PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def add_staff(store: Store) -> None:
    for username, role, agency in STAFF:
        store.users.add(User(username=username, role=role, agency=agency, display_name=username), PASSWORD)


def desk_client(store: Store, clock: ManualClock, **overrides: Any) -> TestClient:
    """The real app over the given store, staff accounts included."""
    fast_passwords(store)
    add_staff(store)
    options: dict[str, Any] = {"tokenize": str.split, "session_minutes": 60, **overrides}
    deps = DeskDeps(store=store, agencies=agencies(), clock=clock, secret_key=SECRET, **options)
    return TestClient(create_app(deps), base_url="http://desk.test")


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"csrf": csrf_of(page.text), "username": username, "password": password},
                       follow_redirects=False)


def post_form(client: TestClient, page_path: str, action: str, data: dict[str, Any]) -> Any:
    """Open a page, take its CSRF token, and post a form as the browser would."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text[:300]
    return client.post(action, data={"csrf": csrf_of(page.text), **data}, follow_redirects=False)


def mention(external_id: str, text: str, posted_at: datetime, *, platform: Platform = Platform.TWITTER,
            thread_id: str = "", author: str = "คุณสมชาย", url: str = "") -> Mention:
    return Mention(platform=platform, external_id=external_id, text=text, posted_at=posted_at,
                   source=f"{platform.value}.test", thread_id=thread_id, author_name=author,
                   url=url or f"https://example.invalid/{external_id}")


def ingest(store: Store, mentions: Sequence[Mention]) -> list[int]:
    """Store mentions; returns their ids in the order given."""
    store.mentions.ingest("test", mentions, None)
    ids = []
    for item in mentions:
        found = store.mentions.find(item.platform, item.external_id)
        assert found is not None and found.id is not None
        ids.append(found.id)
    return ids


def classify(store: Store, mention_id: int, label: str, agency: str | None = None, *, urgent: bool = False,
             confidence: float = 0.8, model: str = "test-model-1") -> None:
    """What the classifier would have written (its store is another stage's)."""
    with store.engine.begin() as conn:
        conn.execute(sa.insert(classifications).values(
            mention_id=mention_id, label=label, confidence=confidence, agency=agency, agency_confidence=0.7,
            agency_runner_up=None, urgent=urgent, urgent_score=0.9 if urgent else 0.1, model_version=model,
            classified_at=store.clock.now()))
        conn.execute(sa.text("UPDATE mentions SET stage = 'classified' WHERE id = :id"), {"id": mention_id})


def open_case(store: Store, mention_id: int, agency: str | None, sla: timedelta = timedelta(hours=48),
              *, urgent: bool = False) -> int:
    with store.engine.begin() as conn:
        case, _ = store.cases.open(conn, mention_id=mention_id, agency=agency,
                                   sla_due_at=store.clock.now() + sla, urgent=urgent)
    assert case.id is not None
    return case.id
