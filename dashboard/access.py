"""Who may do what on the desk: one table of roles per permission, checked on every route."""

from __future__ import annotations

import enum
from types import MappingProxyType

from core.domain import Role, User
from core.store.board import Scope


class Permission(enum.Enum):
    MENTIONS = "mentions"  # read the review queue, relabel, export
    CASES_VIEW = "cases_view"
    CASES_WORK = "cases_work"  # change status, assign, add notes
    INSIGHT = "insight"
    SOURCES = "sources"
    AUDIT = "audit"
    BROADCASTS = "broadcasts"
    SIGNED_IN = "signed_in"  # any account


ROLES = MappingProxyType({
    Permission.MENTIONS: frozenset({Role.ADMIN, Role.ANALYST}),
    Permission.CASES_VIEW: frozenset({Role.ADMIN, Role.ANALYST, Role.COORDINATOR}),
    Permission.CASES_WORK: frozenset({Role.ADMIN, Role.COORDINATOR}),
    Permission.INSIGHT: frozenset({Role.ADMIN, Role.ANALYST, Role.PR, Role.APPROVER}),
    Permission.SOURCES: frozenset({Role.ADMIN, Role.ANALYST, Role.PR}),
    Permission.AUDIT: frozenset({Role.ADMIN}),
    Permission.BROADCASTS: frozenset({Role.ADMIN, Role.PR, Role.APPROVER}),
    Permission.SIGNED_IN: frozenset(Role),
})

# The navigation, in order: (permission, path, message key). Broadcasts slot in where they will live.
NAV = (
    (Permission.MENTIONS, "/mentions", "nav.mentions"),
    (Permission.CASES_VIEW, "/cases", "nav.cases"),
    (Permission.BROADCASTS, "/broadcasts", "nav.broadcasts"),
    (Permission.INSIGHT, "/insight", "nav.insight"),
    (Permission.SOURCES, "/sources", "nav.sources"),
    (Permission.AUDIT, "/audit", "nav.audit"),
)


def allowed(user: User | None, permission: Permission) -> bool:
    return user is not None and user.active and user.role in ROLES[permission]


def case_scope(user: User) -> Scope:
    """A coordinator sees its own agency's cases only; the other roles that see cases see them all."""
    if user.role is Role.COORDINATOR:
        return Scope.only(user.agency) if user.agency else Scope()
    return Scope.everything()


def home(user: User) -> str:
    """Where someone lands after logging in: the first page their role opens."""
    for permission, path, _key in NAV:
        if permission is not Permission.BROADCASTS and allowed(user, permission):
            return path
    return "/insight"
