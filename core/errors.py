"""The small error tree every adapter translates library exceptions into."""

from __future__ import annotations


class DeskError(Exception):
    """Base of every error this product raises on purpose."""


class ConfigError(DeskError):
    """A setting is missing or invalid; the message names the variable."""


class SchemaError(DeskError):
    """The database is corrupt, or its schema is newer than this code knows."""


class SourceError(DeskError):
    """A platform could not be read this time; retry later with backoff."""


class RateLimited(SourceError):
    """The platform asked us to wait; retry_after is in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthExpired(SourceError):
    """The token is expired or revoked: retrying will not help until staff renew it."""


class ParseError(SourceError):
    """The platform answered with something we cannot read; the raw body is kept for diagnosis."""

    def __init__(self, message: str, raw_body: str = "") -> None:
        super().__init__(message)
        self.raw_body = raw_body


class PublishError(DeskError):
    """A reply or post could not be delivered.

    permanent=True means the platform refused for good (deleted comment, closed window,
    blocked bot) and retrying would only annoy; False means try again with backoff.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class OutcomeUnknown(PublishError):
    """The platform may have accepted the message and cannot be asked (a timeout after sending to Telegram).

    Permanent, so nothing retries it blindly: the outbox holds it for a person to check and release.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class DuplicatePost(PublishError):
    """The platform says this exact post already exists: counts as published."""

    def __init__(self, message: str, existing_id: str = "") -> None:
        super().__init__(message, permanent=True)
        self.existing_id = existing_id
