"""Shared set-up for the broadcast tests: staff accounts, a recording Poster, the desk built as config builds it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from config.broadcast_wiring import Broadcasting, build_broadcasting
from config.settings import load_settings
from core.clock import BANGKOK, ManualClock
from core.domain import Broadcast, Delivery, Platform, Role, User
from core.errors import DuplicatePost, PublishError
from core.ports import Poster, Sent
from core.store import Store
from core.store.users import UserStore

AUTHOR, APPROVER, CHIEF, OTHER_PR = "pr.somsri", "approver.kanya", "chief.wichai", "pr.nok"
PASSWORD = "a-long-enough-password"


def add_staff(store: Store) -> None:
    """The desk's people: an author, an approver, an admin allowed emergency posts, a second PR officer."""
    store.users = UserStore(store.engine, store.clock, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    for name, role, emergency in ((AUTHOR, Role.PR, False), (APPROVER, Role.APPROVER, False),
                                  (CHIEF, Role.ADMIN, True), (OTHER_PR, Role.PR, False)):
        store.users.add(User(username=name, role=role, can_emergency_post=emergency), PASSWORD)


@dataclass
class RecordingPoster:
    """A fake of core.ports.Poster: remembers every post; can be told to fail, to claim duplicates, or to forget."""

    platform: Platform
    can_confirm: bool = True
    posts: list[tuple[str, str]] = field(default_factory=list)  # (key, text)
    failures: list[PublishError] = field(default_factory=list)  # raised, in order, before posting succeeds
    lookups: int = 0

    def post(self, text: str, key: str) -> Sent:
        if self.failures:
            raise self.failures.pop(0)
        if any(existing == text for _, existing in self.posts) and self.platform is Platform.TWITTER:
            raise DuplicatePost("You are not allowed to create a Tweet with duplicate content.",
                                existing_id=str(self._index(text)))
        self.posts.append((key, text))
        number = len(self.posts)
        return Sent(str(number), f"https://{self.platform.value}.example/posts/{number}")

    def find_posted(self, key: str, text: str) -> Sent | None:
        self.lookups += 1
        if not self.can_confirm:
            raise PublishError("this platform cannot list what was posted")
        for number, (_, existing) in enumerate(self.posts, start=1):
            if existing == text:
                return Sent(str(number), f"https://{self.platform.value}.example/posts/{number}")
        return None

    def _index(self, text: str) -> int:
        return next(n for n, (_, existing) in enumerate(self.posts, start=1) if existing == text)


def recording_posters(*platforms: Platform) -> dict[Platform, RecordingPoster]:
    chosen = platforms or (Platform.TELEGRAM, Platform.FACEBOOK, Platform.TWITTER)
    return {platform: RecordingPoster(platform) for platform in chosen}


def build_desk(store: Store, clock: ManualClock, posters: Mapping[Platform, Poster], *, env: Mapping[str, str] = (),
               holder: str = "test-host:1", templates_dir: Path | None = None) -> Broadcasting:
    """The broadcast side exactly as config builds it, over `store`, with these Posters and settings."""
    settings = load_settings({"GCC1111_DATA_DIR": "unused", **dict(env)})
    return build_broadcasting(settings, store, clock, posters, holder=holder, templates_dir=templates_dir)


def approved_one_off(desk: Broadcasting, at: datetime, *, text: str = "", template: str = "",
                     channels: tuple[Platform, ...] = (Platform.TELEGRAM,)) -> Broadcast:
    made = desk.workflow.create(by=AUTHOR, channels=channels, text=text, template=template, run_at=at)
    assert made.id is not None
    return desk.workflow.approve(made.id, APPROVER)


def approved_recurring(desk: Broadcasting, cron: str, *, text: str = "", template: str = "",
                       channels: tuple[Platform, ...] = (Platform.TELEGRAM,)) -> Broadcast:
    made = desk.workflow.create(by=AUTHOR, channels=channels, text=text, template=template, cron=cron)
    assert made.id is not None
    return desk.workflow.approve(made.id, APPROVER)


def deliveries_of(store: Store, broadcast: Broadcast) -> list[Delivery]:
    assert broadcast.id is not None
    return store.broadcasts.deliveries(broadcast.id)


def at_bangkok(clock: ManualClock, hour: int, minute: int = 0, days: int = 0) -> datetime:
    """Today's (or a later day's) Bangkok wall-clock time as aware UTC."""
    local = clock.now().astimezone(BANGKOK) + timedelta(days=days)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(clock.now().tzinfo)
