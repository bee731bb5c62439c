"""tweepy.Client pointed at a configurable base URL, and its failures turned into core.errors."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests
import tweepy

from core.clock import Clock
from core.errors import AuthExpired, RateLimited, SourceError
from core.http import Rebase

log = logging.getLogger("gcc1111.twitter")

TWEEPY_HOST = "https://api.twitter.com"  # tweepy builds every URL from this fixed host
DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read: tweepy passes none, and a hung socket would stall the listener
RATE_LIMIT_DEFAULT_SECONDS = 15 * 60.0  # a 429 without x-rate-limit-reset: wait out one full X window
RATE_LIMIT_FLOOR_SECONDS = 1.0  # a reset already in the past (clock skew) still waits a moment, never zero


class StaleCursor(SourceError):
    """X refused a since_id/until_id (recent search only reaches 7 days back): read afresh."""


def build_client(api_url: str, bearer_token: str, *, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 consumer_key: str | None = None, consumer_secret: str | None = None,
                 access_token: str | None = None, access_token_secret: str | None = None) -> tweepy.Client:
    """A tweepy v2 client talking to `api_url`; answers come back as raw requests.Response for our parser.

    wait_on_rate_limit stays off: with no reset header tweepy would retry at once, in a loop.
    """
    client = tweepy.Client(
        bearer_token=bearer_token, consumer_key=consumer_key, consumer_secret=consumer_secret,
        access_token=access_token, access_token_secret=access_token_secret,
        return_type=requests.Response, wait_on_rate_limit=False,
    )
    client.session.mount(TWEEPY_HOST, Rebase(TWEEPY_HOST, api_url, timeout))
    return client


def fetch(call: Callable[..., requests.Response], clock: Clock, what: str, **params: Any) -> requests.Response:
    """Run one tweepy call; every failure leaves as SourceError, RateLimited, AuthExpired or StaleCursor."""
    try:
        return call(**{k: v for k, v in params.items() if v is not None})
    except tweepy.TooManyRequests as exc:
        raise RateLimited(f"X rate limit on {what}", rate_limit_wait(exc.reset_time, clock)) from exc
    except tweepy.Unauthorized as exc:
        raise AuthExpired(f"X refused the bearer token on {what} (401): {_detail(exc)}") from exc
    except tweepy.Forbidden as exc:
        # Enrolment, plan or a revoked app: nothing changes until staff act, so treat it like a dead token.
        raise AuthExpired(f"X forbids {what} (403): {_detail(exc)}") from exc
    except tweepy.BadRequest as exc:
        if _cursor_refused(exc.api_errors):
            raise StaleCursor(f"X refused the saved position on {what}: {_detail(exc)}") from exc
        raise SourceError(f"X rejected the {what} request (400): {_detail(exc)}") from exc
    except tweepy.TwitterServerError as exc:
        raise SourceError(f"X server error on {what} ({exc.response.status_code})") from exc
    except tweepy.HTTPException as exc:
        raise SourceError(f"X answered {what} with HTTP {exc.response.status_code}") from exc
    except requests.Timeout as exc:
        raise SourceError(f"X timed out on {what}") from exc
    except requests.RequestException as exc:
        raise SourceError(f"X unreachable on {what}: {type(exc).__name__}") from exc
    except (AttributeError, TypeError) as exc:
        # tweepy's error classes call .get() and `in` on the decoded error body: a JSON list or string
        # there blows up inside tweepy before we see an HTTP error. It is still just an unusable answer;
        # anything else of this kind is our bug and must not be mistaken for a platform failure.
        if not _raised_by_tweepy_errors(exc):
            raise
        raise SourceError(f"X answered {what} with an unreadable error body") from exc


def rate_limit_wait(reset_time: int | None, clock: Clock) -> float:
    """Seconds until x-rate-limit-reset by our clock; a sane default when X sent no header."""
    if reset_time is None:
        return RATE_LIMIT_DEFAULT_SECONDS
    return max(reset_time - clock.now().timestamp(), RATE_LIMIT_FLOOR_SECONDS)


def _raised_by_tweepy_errors(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and Path(frames[-1].filename).match("tweepy/errors.py")


def _cursor_refused(api_errors: list[Any]) -> bool:
    for error in api_errors:
        parameters = error.get("parameters") if isinstance(error, Mapping) else None
        if isinstance(parameters, Mapping) and ({"since_id", "until_id"} & set(parameters)):
            return True
    return False


def _detail(exc: tweepy.HTTPException) -> str:
    """The problem body's words, short, for staff (never the request headers: they hold the token)."""
    try:
        body = exc.response.json()
    except ValueError:
        body = None
    parts = [str(body[k]) for k in ("title", "reason") if body.get(k)] if isinstance(body, Mapping) else []
    parts += [str(message) for message in exc.api_messages]
    return " - ".join(parts)[:300] or str(exc.response.reason or "")
