"""Staff accounts: argon2 password hashes, roles, lockout after repeated failures."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine, RowMapping

from core.clock import Clock
from core.domain import Role, User
from core.errors import DeskError
from core.store.schema import users

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10


class UserExists(DeskError):
    pass


class WeakPassword(DeskError):
    pass


class UserStore:
    def __init__(self, engine: Engine, clock: Clock, hasher: PasswordHasher | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._hasher = hasher or PasswordHasher()

    def add(self, user: User, password: str) -> User:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        values = {
            "username": user.username,
            "display_name": user.display_name or user.username,
            "role": user.role.value,
            "agency": user.agency,
            "can_emergency_post": user.can_emergency_post,
            "password_hash": self._hasher.hash(password),
            "active": user.active,
            "created_at": self._clock.now(),
        }
        try:
            with self._engine.begin() as conn:
                new_id = conn.execute(sa.insert(users).values(**values).returning(users.c.id)).scalar_one()
        except sa.exc.IntegrityError:
            raise UserExists(f"user {user.username!r} already exists") from None
        found = self.get_by_id(new_id)
        assert found is not None
        return found

    def get(self, username: str) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
        return None if row is None else _user(row)

    def get_by_id(self, user_id: int) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).mappings().first()
        return None if row is None else _user(row)

    def all(self) -> list[User]:
        with self._engine.connect() as conn:
            return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.username)).mappings()]

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when the password is right and the account is not locked; None otherwise."""
        now = self._clock.now()
        with self._engine.begin() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
            if row is None or not row["active"]:
                # Hash anyway so a missing account takes as long as a wrong password.
                self._hasher.hash(password)
                return None
            if row["locked_until"] is not None and row["locked_until"] > now:
                return None
            try:
                self._hasher.verify(row["password_hash"], password)
            except (VerificationError, InvalidHashError):
                failures = row["failed_logins"] + 1
                locked = now + LOCKOUT if failures >= MAX_FAILED_LOGINS else None
                conn.execute(
                    sa.update(users)
                    .where(users.c.id == row["id"])
                    .values(failed_logins=0 if locked else failures, locked_until=locked)
                )
                return None
            conn.execute(sa.update(users).where(users.c.id == row["id"]).values(failed_logins=0, locked_until=None))
            return _user(row)

    def is_locked(self, username: str) -> bool:
        with self._engine.connect() as conn:
            until = conn.execute(sa.select(users.c.locked_until).where(users.c.username == username)).scalar()
        return until is not None and until > self._clock.now()


def _user(row: RowMapping) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        agency=row["agency"],
        can_emergency_post=row["can_emergency_post"],
        active=row["active"],
    )
