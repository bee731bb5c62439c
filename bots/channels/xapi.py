"""tweepy.Client (user context) pointed at a configurable base URL, its failures as PublishError."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import requests
import tweepy

from core.clock import Clock
from core.errors import DuplicatePost, PublishError
from core.http import Rebase

TWEEPY_HOST = "https://api.twitter.com"  # tweepy builds every URL from this fixed host
DEFAULT_TIMEOUT = (5.0, 30.0)
RATE_LIMIT_DEFAULT_SECONDS = 15 * 60.0  # a 429 without x-rate-limit-reset: one full X window
AUTH_RECHECK_SECONDS = 3600.0
T = TypeVar("T")


class Unclear(PublishError):
    """The tweet may have been created (timeout, broken connection, server error): look before retrying."""


def x_client(api_url: str, *, consumer_key: str, consumer_secret: str, access_token: str,
             access_token_secret: str, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT) -> tweepy.Client:
    """A user-context tweepy client for posting; wait_on_rate_limit stays off (the outbox does the waiting)."""
    client = tweepy.Client(consumer_key=consumer_key, consumer_secret=consumer_secret, access_token=access_token,
                           access_token_secret=access_token_secret, wait_on_rate_limit=False)
    client.session.mount(TWEEPY_HOST, Rebase(TWEEPY_HOST, api_url, timeout))
    return client


def call(action: Callable[[], T], clock: Clock, what: str, *, writing: bool) -> T:
    """Run one tweepy call; every failure leaves as PublishError, DuplicatePost or (for writes) Unclear."""
    try:
        return action()
    except tweepy.TooManyRequests as exc:
        raise PublishError(f"X rate limit on {what}", retry_after=_reset_wait(exc, clock)) from None
    except tweepy.Unauthorized as exc:
        raise PublishError(f"X refused our tokens on {what} (401): {detail(exc)}; renew the GCC1111_TWITTER__ "
                           "access token", retry_after=AUTH_RECHECK_SECONDS) from None
    except tweepy.Forbidden as exc:
        raise forbidden(exc, what) from None
    except tweepy.BadRequest as exc:
        raise PublishError(f"X rejected {what} (400): {detail(exc)}", permanent=True) from None
    except tweepy.TwitterServerError as exc:
        raise _unclear(f"X server error on {what} ({exc.response.status_code})", writing) from None
    except tweepy.HTTPException as exc:
        raise PublishError(f"X answered {what} with HTTP {exc.response.status_code}") from None
    except requests.ConnectTimeout:
        raise PublishError(f"X unreachable on {what} (connect timeout)") from None
    except requests.ConnectionError as exc:
        if "NewConnectionError" in repr(exc.args[0] if exc.args else None):
            raise PublishError(f"X unreachable on {what}") from None
        raise _unclear(f"the connection to X broke on {what}", writing) from None
    except requests.Timeout:
        raise _unclear(f"X did not answer {what} in time", writing) from None
    except requests.RequestException as exc:
        raise _unclear(f"X request failed on {what} ({type(exc).__name__})", writing) from None


def forbidden(exc: tweepy.Forbidden, what: str) -> PublishError:
    """403s: a duplicate counts as sent, a deleted tweet or a refused reply is final, enrolment waits for staff."""
    words = detail(exc)
    lowered = words.lower()
    if "duplicate" in lowered:
        return DuplicatePost(f"X: {words}")
    if "client-not-enrolled" in lowered or "client forbidden" in lowered:
        return PublishError(f"X forbids {what}: {words}", retry_after=AUTH_RECHECK_SECONDS)
    return PublishError(f"X refused {what} (403): {words}", permanent=True)


def detail(exc: tweepy.HTTPException) -> str:
    """The problem body's words, short (never the request: its headers hold the tokens)."""
    try:
        body = exc.response.json()
    except ValueError:
        body = None
    parts = [str(body[k]) for k in ("title", "detail", "reason") if body.get(k)] if isinstance(body, dict) else []
    parts += [str(message) for message in exc.api_messages if str(message) not in parts]
    return " - ".join(parts)[:300] or str(exc.response.reason or "")


def _reset_wait(exc: tweepy.HTTPException, clock: Clock) -> float:
    reset = exc.response.headers.get("x-rate-limit-reset", "")
    if not str(reset).isdigit():
        return RATE_LIMIT_DEFAULT_SECONDS
    return max(int(reset) - clock.now().timestamp(), 1.0)


def _unclear(message: str, writing: bool) -> PublishError:
    return Unclear(message) if writing else PublishError(message)
