"""Signed session cookies with a CSRF token bound to each session, expiring by the desk's own clock.

Every visitor gets a session, logged in or not, so even the login form is CSRF-protected. Logging in
replaces the session (new token: no fixation). The login time travels inside the signed cookie and
is checked against the injected Clock, so tests can expire a session without waiting.
"""

from __future__ import annotations

import enum
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from core.clock import Clock

SESSION_COOKIE = "gcc1111_session"
LANG_COOKIE = "gcc1111_lang"


class SessionState(enum.Enum):
    NONE = "none"  # no cookie, or one we did not sign
    ANONYMOUS = "anonymous"
    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Session:
    csrf: str
    user_id: int | None = None
    login_at: float | None = None  # seconds since the epoch, by the desk's clock


class SessionCodec:
    """Turns sessions into signed cookie values and back."""

    def __init__(self, secret_key: str, lifetime: timedelta, clock: Clock) -> None:
        if len(secret_key) < 16:
            raise ValueError("the session secret must be at least 16 characters")
        self._serializer = URLSafeSerializer(secret_key, salt="gcc1111.session")
        self.lifetime = lifetime
        self._clock = clock

    def fresh(self) -> Session:
        return Session(csrf=secrets.token_urlsafe(32))

    def login(self, user_id: int) -> Session:
        return Session(csrf=secrets.token_urlsafe(32), user_id=user_id, login_at=self._clock.now().timestamp())

    def dump(self, session: Session) -> str:
        return str(self._serializer.dumps({"c": session.csrf, "u": session.user_id, "t": session.login_at}))

    def load(self, cookie: str | None) -> tuple[Session | None, SessionState]:
        """The session a cookie holds and its state; (None, NONE) for a missing or forged cookie."""
        if not cookie:
            return None, SessionState.NONE
        try:
            data = self._serializer.loads(cookie)
        except BadSignature:
            return None, SessionState.NONE
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None, SessionState.NONE
        session = Session(csrf=data["c"], user_id=data.get("u"), login_at=data.get("t"))
        if session.user_id is None or session.login_at is None:
            return replace(session, user_id=None, login_at=None), SessionState.ANONYMOUS
        age = self._clock.now().timestamp() - float(session.login_at)
        if age < 0 or age > self.lifetime.total_seconds():
            return session, SessionState.EXPIRED
        return session, SessionState.ACTIVE


def csrf_matches(session: Session | None, submitted: str | None) -> bool:
    """Whether a form carried this session's CSRF token (compared in constant time)."""
    if session is None or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode(), submitted.encode())
