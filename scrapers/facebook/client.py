"""A small Graph API client over facebook-sdk: current version, configurable base URL, errors as core.errors.

facebook-sdk 3.1.0 only accepts long-expired versions (2.8–3.1), which Meta silently runs as its oldest
live version, so the version attribute is set after construction. Its base URL is the module global
`facebook.FACEBOOK_GRAPH_URL`, which we never write: the library composes `<global> + path` and our
session maps that prefix onto this client's own `graph_url` just before sending. Two clients with two
base URLs (production and a sandbox, or two sandboxes in one test) therefore never see each other's
setting, with no lock and no window where another thread could read a borrowed global.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import facebook
import requests

from core.clock import Clock
from core.errors import AuthExpired, DeskError, ParseError, RateLimited, SourceError
from scrapers.facebook.usage import Throttle, Usage, read_usage

log = logging.getLogger("gcc1111.facebook")

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
BUC_CODES = range(80001, 80015)  # Business Use Case limits; 80006 is Messenger
AUTH_CODES = frozenset({102, 104, 190})  # session/token invalid, missing or expired (any subcode)
PERMISSION_CODES = frozenset({10, *range(200, 300)})
SECRET_PARAMS = re.compile(r"(access_token|appsecret_proof|input_token)=[^&\s'\"]+")
MAX_RAW = 200_000


class InvalidCursor(SourceError):
    """Graph refused a paging cursor we saved (code 100 with `after`): start that listing again."""


@dataclass(frozen=True)
class GraphPage:
    """One page of a Graph list: its items and the cursor to the next page (None on the last)."""

    items: list[dict[str, Any]]
    after: str | None


@dataclass
class _Answer:
    status: int
    content_type: str | None
    text: str
    usage: Usage | None


class _GraphSession(requests.Session):
    """Sends facebook-sdk's requests to our base URL and remembers each answer for error reporting."""

    def __init__(self, graph_url: str, observe: Callable[[requests.Response], None]) -> None:
        super().__init__()
        self._graph_url = graph_url if graph_url.endswith("/") else graph_url + "/"
        self.hooks["response"].append(lambda response, *args, **kwargs: observe(response))

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        library_base = facebook.FACEBOOK_GRAPH_URL  # what facebook-sdk just prefixed the path with
        target = url.decode() if isinstance(url, bytes) else url
        if not target.startswith(library_base):
            raise SourceError("facebook-sdk built an unexpected URL; refusing to send the token elsewhere")
        return super().request(method, self._graph_url + target[len(library_base):], *args, **kwargs)


class GraphClient:
    """Reads the Graph API for one Page token; shared by the Page's sources so they share one throttle."""

    def __init__(self, graph_url: str, version: str, access_token: str, *, clock: Clock, app_secret: str = "",
                 timeout: float = 20.0, throttle: Throttle | None = None, token_check_seconds: float = 3600) -> None:
        self._clock = clock
        self._token = access_token
        self._proof = (hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
                       if app_secret else "")
        self._throttle = throttle or Throttle(clock)
        self._last = threading.local()
        self._session = _GraphSession(graph_url, self._observe)
        self._api = facebook.GraphAPI(access_token=access_token, timeout=timeout, session=self._session)
        self._api.version = version  # set after __init__: its validator only knows 2.8–3.1
        self._token_check = timedelta(seconds=token_check_seconds)
        self._expiry: tuple[datetime, datetime | None] | None = None  # (checked at, expires at)

    @property
    def version(self) -> str:
        return str(self._api.version)

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        """GET /{version}/{path}; raises RateLimited, AuthExpired, ParseError or SourceError."""
        self._throttle.check()
        args = {k: v for k, v in params.items() if v is not None}
        if self._proof:
            args["appsecret_proof"] = self._proof
        self._last.answer = None
        try:
            result = self._api.get_object(path, **args)
        except facebook.GraphAPIError as exc:
            raise self._translate(exc, resumed="after" in args) from exc
        except KeyError as exc:
            if exc.args != ("content-type",):
                raise
            # facebook-sdk reads headers["content-type"] unconditionally.
            raise ParseError("Graph answered without a Content-Type", self._raw()) from exc
        except requests.exceptions.JSONDecodeError as exc:
            raise ParseError(f"Graph answered with broken JSON: {exc}", self._raw()) from exc
        except requests.Timeout as exc:
            raise SourceError(f"Graph timed out: {self._redact(str(exc))}") from exc
        except requests.RequestException as exc:
            raise SourceError(f"Graph unreachable: {type(exc).__name__}: {self._redact(str(exc))}") from exc
        if not isinstance(result, dict):
            raise ParseError("Graph answered with something other than a JSON object", self._raw())
        answer = self._answer()
        self._throttle.observe(answer.usage if answer else None)
        return result

    def page(self, path: str, **params: Any) -> GraphPage:
        """One page of a list; the next cursor only while Graph still offers a `next` link."""
        body = self.get(path, **params)
        data = body.get("data")
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ParseError(f"Graph list {path.split('/')[-1]} has no data array", self._raw())
        paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        next_link = paging.get("next")
        if not next_link:
            return GraphPage(data, None)
        after = cursors.get("after")
        if not isinstance(after, str) and isinstance(next_link, str):
            after = (parse_qs(urlsplit(next_link).query).get("after") or [None])[0]  # cursor only in the link
        if not isinstance(after, str) or not after:
            raise ParseError("Graph offered a next page without an after cursor", self._raw())
        return GraphPage(data, after)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Parse failures inside carry the whole HTTP answer they came from, for diagnosis."""
        try:
            yield
        except ParseError as exc:
            raise ParseError(str(exc), self._raw() or exc.raw_body) from exc

    def token_expires_at(self) -> datetime | None:
        """When the token stops working (None: never or unknown), from /debug_token, checked hourly."""
        now = self._clock.now()
        if self._expiry is not None and now - self._expiry[0] < self._token_check:
            return self._expiry[1]
        try:
            body = self.get("debug_token", input_token=self._token)
            data = body.get("data")
            expires = data.get("expires_at") if isinstance(data, dict) else None
            if not isinstance(expires, int):
                raise ParseError("debug_token answer has no data.expires_at", self._raw())
        except DeskError as exc:
            log.warning("could not check the Facebook token's expiry: %s", exc)
            return self._expiry[1] if self._expiry else None
        moment = None if expires == 0 else datetime.fromtimestamp(expires, tz=UTC)
        self._expiry = (now, moment)
        return moment

    # --- answers and errors -------------------------------------------------------------------------
    def _observe(self, response: requests.Response) -> None:
        content_type = response.headers.get("content-type")
        text = response.content[:MAX_RAW].decode(response.encoding or "utf-8", "replace")
        self._last.answer = _Answer(response.status_code, content_type, text, read_usage(response.headers))

    def _answer(self) -> _Answer | None:
        return getattr(self._last, "answer", None)

    def _raw(self) -> str:
        answer = self._answer()
        return self._redact(answer.text) if answer else ""

    def _redact(self, text: str) -> str:
        for secret in (self._token, self._proof):
            if secret:
                text = text.replace(secret, "***")
        return SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", text)

    def _translate(self, exc: facebook.GraphAPIError, *, resumed: bool) -> SourceError:
        answer = self._answer()
        error = exc.result.get("error") if isinstance(exc.result, dict) else None
        code = exc.code if isinstance(exc.code, int) else None
        subcode = error.get("error_subcode") if isinstance(error, dict) else None
        message = self._redact(str(exc.message))
        label = f"Graph error {code}" + (f"/{subcode}" if subcode else "") + f": {message}"
        if code in RATE_LIMIT_CODES or (code is not None and code in BUC_CODES):
            wait = self._throttle.limited(answer.usage if answer else None)
            return RateLimited(label, retry_after=wait)
        if code in AUTH_CODES:
            return AuthExpired(label)
        if code in PERMISSION_CODES:
            return AuthExpired(f"permission missing for the Page token ({label})")
        if code == 100 and resumed:
            return InvalidCursor(label)
        if code is not None:
            return SourceError(label)  # 1/2 transient, 368 blocked, 100 bad request, ...
        if answer is not None and answer.status >= 500:
            return SourceError(f"Graph HTTP {answer.status}: {self._raw()[:200]}")
        return ParseError(f"Graph answered with something that is not Graph JSON: {message[:200]}", self._raw())
