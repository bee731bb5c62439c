"""instaloader's exceptions turned into our error tree, at the edge."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import instaloader.exceptions as ig
import requests

from core.errors import AuthExpired, ParseError, RateLimited, SourceError

# instaloader computes no wait once it has given up on a 429 itself; Instagram's windows are 10-30 minutes.
DEFAULT_RETRY_AFTER = 660.0
# "feedback_required" is Instagram blocking the account's actions for a while, not a dead session.
FEEDBACK_RETRY_AFTER = 6 * 3600.0
AUTH_MARKERS = ("login_required", "checkpoint_required", "challenge_required", "Redirected to login page",
                "401 Unauthorized")


@contextmanager
def translated(what: str, last_body: Callable[[], str]) -> Iterator[None]:
    """Run an instaloader call, re-raising its failures as RateLimited, AuthExpired, ParseError or SourceError.

    `last_body` returns the body of the last answer, kept with a ParseError for diagnosis.
    """
    try:
        yield
    except (RateLimited, SourceError):
        raise
    except ig.AbortDownloadException as exc:
        raise _abort(what, exc) from exc
    except (ig.LoginRequiredException, ig.LoginException) as exc:
        raise AuthExpired(f"{what}: Instagram wants a fresh login ({exc})") from exc
    except ig.PrivateProfileNotFollowedException as exc:
        raise SourceError(f"{what}: the profile is private and the session's account does not follow it") from exc
    except ig.ProfileNotExistsException as exc:
        raise SourceError(f"{what}: {exc}") from exc
    except ig.BadResponseException as exc:
        raise ParseError(f"{what}: unexpected answer ({exc})", last_body()) from exc
    except ig.ConnectionException as exc:
        raise _connection(what, exc, last_body()) from exc
    except ig.InstaloaderException as exc:
        raise SourceError(f"{what}: {exc}") from exc
    except requests.RequestException as exc:
        raise SourceError(f"{what}: {type(exc).__name__}: {exc}") from exc
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        # instaloader reads fields straight out of the JSON: a missing one means the payload changed.
        raise ParseError(f"{what}: payload without the expected fields ({type(exc).__name__}: {exc})",
                         last_body()) from exc


def _abort(what: str, exc: ig.AbortDownloadException) -> SourceError:
    message = str(exc)
    if "feedback_required" in message:
        return RateLimited(f"{what}: Instagram blocked the account's actions for now ({message})",
                           FEEDBACK_RETRY_AFTER)
    if any(marker in message for marker in AUTH_MARKERS):
        return AuthExpired(f"{what}: the Instagram session is dead or must pass a checkpoint ({message})")
    return SourceError(f"{what}: {message}")


def _connection(what: str, exc: ig.ConnectionException, body: str) -> SourceError:
    message = str(exc)
    cause = exc.__cause__
    if isinstance(exc, ig.TooManyRequestsException) or isinstance(cause, ig.TooManyRequestsException):
        return RateLimited(f"{what}: HTTP 429 from Instagram", DEFAULT_RETRY_AFTER)
    if any(marker in message for marker in AUTH_MARKERS):
        return AuthExpired(f"{what}: Instagram refused the session ({message})")
    if isinstance(cause, json.JSONDecodeError):
        return ParseError(f"{what}: the answer was not JSON ({message})", body)
    return SourceError(f"{what}: {message}")
