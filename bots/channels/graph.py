"""facebook-sdk for writing: a current Graph version, a configurable base URL, every failure as a PublishError.

facebook-sdk 3.1.0 only accepts long-expired versions, so the version attribute is set after construction,
and its base URL is the module global `facebook.FACEBOOK_GRAPH_URL`, which we never write: our session maps
that prefix onto this writer's own URL just before sending (two writers, two base URLs, no shared state).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from typing import Any

import facebook
import requests

from core.errors import DuplicatePost, PublishError

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})  # app, user, Page, custom, BUC (80006 Messenger)
AUTH_CODES = frozenset({102, 104, 190})
REFUSED_CODES = frozenset({10, 100, 551, *range(200, 300)})  # closed window, gone or invalid, unavailable, permissions
SERVER_CODES = frozenset({1, 2})  # Graph's "unknown"/"unexpected" errors: the write may or may not have happened
DEFAULT_RATE_WAIT = 60.0
AUTH_RECHECK_SECONDS = 3600.0  # a refused token is retried hourly until staff renew it, never hammered
POLICY_BLOCK_SECONDS = 3600.0  # code 368: temporarily blocked for policy reasons


class Unclear(PublishError):
    """The request may have reached Facebook (timeout, dropped connection, server error): look before retrying."""


class _Rebased(requests.Session):
    """Sends facebook-sdk's requests to our base URL; remembers the last answer's headers for rate limits."""

    def __init__(self, graph_url: str, observe: Callable[[requests.Response], None]) -> None:
        super().__init__()
        self._graph_url = graph_url if graph_url.endswith("/") else graph_url + "/"
        self.hooks["response"].append(lambda response, *args, **kwargs: observe(response))

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        library_base = facebook.FACEBOOK_GRAPH_URL
        target = url.decode() if isinstance(url, bytes) else url
        if not target.startswith(library_base):
            raise PublishError("facebook-sdk built an unexpected URL; refusing to send the token elsewhere",
                               permanent=True)
        return super().request(method, self._graph_url + target[len(library_base):], *args, **kwargs)


class GraphWriter:
    """POSTs and GETs for one Page token; raises PublishError, DuplicatePost or Unclear."""

    def __init__(self, graph_url: str, version: str, access_token: str, *, app_secret: str = "",
                 timeout: float = 20.0) -> None:
        self._proof = (hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
                       if app_secret else "")
        self._headers = threading.local()
        self._api = facebook.GraphAPI(access_token=access_token, timeout=timeout,
                                      session=_Rebased(graph_url, self._observe))
        self._api.version = version  # set after __init__: its validator only knows 2.8–3.1

    def __repr__(self) -> str:
        return f"GraphWriter(version={self._api.version!r})"  # never the token

    def post(self, path: str, **data: Any) -> dict[str, Any]:
        """POST /{version}/{path}; dict values are sent JSON-encoded, as Graph expects."""
        form = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for k, v in data.items()}
        return self._call(path, post_args=form, writing=True)

    def get(self, path: str, **args: Any) -> dict[str, Any]:
        return self._call(path, args={k: v for k, v in args.items() if v is not None}, writing=False)

    def _call(self, path: str, *, writing: bool, args: dict[str, Any] | None = None,
              post_args: dict[str, Any] | None = None) -> dict[str, Any]:
        sent = post_args if post_args is not None else args
        if self._proof and sent is not None:
            sent.setdefault("appsecret_proof", self._proof)
        self._headers.last = {}
        try:
            result = self._api.request(f"{self._api.version}/{path}", args=args, post_args=post_args)
        except facebook.GraphAPIError as exc:
            raise translate(exc, self._headers.last, writing) from None
        except KeyError as exc:
            if exc.args != ("content-type",):
                raise
            raise _unclear("Facebook answered without a Content-Type", writing) from None
        except requests.exceptions.JSONDecodeError:
            raise _unclear("Facebook answered with broken JSON", writing) from None
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
            raise PublishError(f"Facebook unreachable ({type(exc).__name__})") from None
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise PublishError(f"Facebook unreachable ({type(exc).__name__})") from None
            raise _unclear(f"the connection to Facebook broke ({type(exc).__name__})", writing) from None
        except requests.Timeout:
            raise _unclear("Facebook did not answer in time", writing) from None
        except requests.RequestException as exc:
            raise _unclear(f"Facebook request failed ({type(exc).__name__})", writing) from None
        if not isinstance(result, dict):
            raise _unclear("Facebook answered with something other than a JSON object", writing)
        return result

    def _observe(self, response: requests.Response) -> None:
        self._headers.last = dict(response.headers)


def translate(exc: facebook.GraphAPIError, headers: dict[str, str], writing: bool) -> PublishError:
    """A Graph error envelope as one of ours: permanent refusals, waits, duplicates, or 'look first'."""
    code = _as_int(exc.code)
    error = exc.result.get("error") if isinstance(exc.result, dict) else None
    subcode = _as_int(error.get("error_subcode")) if isinstance(error, dict) else None
    message = f"Facebook refused (code {code}, subcode {subcode}): {str(exc.message)[:200]}"
    if code == 506:
        return DuplicatePost(message)
    if code in RATE_LIMIT_CODES:
        return PublishError(message, retry_after=regain_seconds(headers))
    if code in AUTH_CODES:
        return PublishError(message + "; renew GCC1111_FACEBOOK__ACCESS_TOKEN", retry_after=AUTH_RECHECK_SECONDS)
    if code == 368:
        return PublishError(message, retry_after=POLICY_BLOCK_SECONDS)
    if code in REFUSED_CODES:
        return PublishError(message, permanent=True)
    if code is None or code in SERVER_CODES:
        return _unclear(message, writing)
    return PublishError(message)


def regain_seconds(headers: dict[str, str]) -> float:
    """Meta's estimated_time_to_regain_access (minutes, in X-Business-Use-Case-Usage) in seconds, or a default."""
    raw = next((v for k, v in headers.items() if k.lower() == "x-business-use-case-usage"), "")
    try:
        usage = json.loads(raw) if raw else {}
    except ValueError:
        usage = {}
    minutes = [entry.get("estimated_time_to_regain_access", 0) for entries in
               (usage.values() if isinstance(usage, dict) else []) if isinstance(entries, list)
               for entry in entries if isinstance(entry, dict)]
    longest = max((m for m in minutes if isinstance(m, int | float)), default=0)
    return float(longest * 60) if longest > 0 else DEFAULT_RATE_WAIT


def _unclear(message: str, writing: bool) -> PublishError:
    # A failed read changed nothing on Facebook; only a write can leave us unsure.
    return Unclear(message) if writing else PublishError(message)


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Connection refused or no route: the request never left, so trying again is safe."""
    reason = exc.args[0] if exc.args else None
    text = repr(reason)
    return "NewConnectionError" in text or "Failed to establish a new connection" in text


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
