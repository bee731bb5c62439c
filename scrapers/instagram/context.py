"""instaloader's context, pointed at configurable hosts, failing fast on rate limits, logging, not printing."""

from __future__ import annotations

import logging
from typing import Any

import instaloader
import requests
from requests.adapters import HTTPAdapter

from core.clock import Clock
from core.errors import RateLimited

log = logging.getLogger("gcc1111.instagram")

WEB_HOST = "https://www.instagram.com"
IPHONE_HOST = "https://i.instagram.com"
MAX_KEPT_BODY = 200_000


class FailFastRateController(instaloader.RateController):
    """instaloader's request accounting on our clock, where every wait becomes RateLimited instead of a sleep.

    instaloader sleeps inside the request when a window is full or after a 429, which can be
    tens of minutes; a scheduler job must give the thread back and let the listener back off.
    Its windows are counted on the injected Clock (instaloader uses time.monotonic), so the
    wait it computes is the one the listener schedules, and tests can move time on.
    """

    MIN_WAIT_AFTER_429 = 60.0

    def __init__(self, context: instaloader.InstaloaderContext, clock: Clock) -> None:
        super().__init__(context)
        self._clock = clock

    def wait_before_query(self, query_type: str) -> None:
        now = self._clock.now().timestamp()
        wait = self.query_waittime(query_type, now, False)
        if wait > 0:
            raise RateLimited(f"our Instagram request budget for {query_type!r} is spent", retry_after=wait)
        self._query_timestamps.setdefault(query_type, []).append(now)

    def handle_429(self, query_type: str) -> None:
        # Called before instaloader's retry of a request that got 429: we never retry inside the job.
        wait = self.query_waittime(query_type, self._clock.now().timestamp(), True)
        raise RateLimited("HTTP 429 from Instagram", retry_after=max(wait, self.MIN_WAIT_AFTER_429))

    def sleep(self, secs: float) -> None:
        raise RateLimited(f"Instagram asks us to wait {secs:.0f} s", retry_after=max(float(secs), 1.0))


class HostRouter(HTTPAdapter):
    """Sends requests for instagram.com's hard-coded hosts to the configured base URLs instead.

    It also keeps the last answer's body: instaloader's exceptions do not carry it, and an
    unreadable payload is saved for diagnosis.
    """

    def __init__(self, routes: dict[str, str], timeout: float) -> None:
        super().__init__(max_retries=0)
        self._routes = routes
        self._timeout = timeout
        self.last_body = ""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        routed = request.copy()
        routed.url = self.route(request.url or "")
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        response = super().send(routed, **kwargs)
        if not kwargs.get("stream"):
            self.last_body = response.text[:MAX_KEPT_BODY]
        return response

    def route(self, url: str) -> str:
        """`url` on the configured base URL when it is on one of Instagram's hosts; unchanged otherwise."""
        for host, base in self._routes.items():
            if url == host or url.startswith(host + "/"):
                return base.rstrip("/") + url[len(host) :]
        return url


class RoutedContext(instaloader.InstaloaderContext):
    """An InstaloaderContext whose every session, including the fresh ones it makes per request, is routed.

    instaloader builds `https://{host}/{path}` itself and copies sessions internally (so an adapter
    mounted once on `_session` does not carry over): we mount the router on each session just
    before instaloader uses it, and leave its request, error and parsing logic untouched.
    """

    def __init__(self, base_url: str, iphone_url: str, clock: Clock, request_timeout: float = 30.0) -> None:
        self.router = HostRouter({WEB_HOST: base_url, IPHONE_HOST: iphone_url}, request_timeout)
        super().__init__(
            sleep=False,  # no random pre-request naps inside a job; politeness is the scheduler's
            quiet=True,
            max_connection_attempts=2,  # the second attempt is where instaloader consults handle_429
            request_timeout=request_timeout,
            rate_controller=lambda context: FailFastRateController(context, clock),
            iphone_support=True,
        )

    def routed(self, session: requests.Session) -> requests.Session:
        """`session`, with Instagram's hosts sent to the configured base URLs."""
        session.mount(WEB_HOST, self.router)
        session.mount(IPHONE_HOST, self.router)
        return session

    def get_anonymous_session(self) -> requests.Session:
        return self.routed(super().get_anonymous_session())

    def load_session(self, username: str, sessiondata: dict[str, str]) -> None:
        super().load_session(username, sessiondata)
        self.routed(self._session)

    def get_json(
        self,
        path: str,
        params: dict[str, Any],
        host: str = "www.instagram.com",
        session: requests.Session | None = None,
        response_headers: dict[str, Any] | None = None,
        use_post: bool = False,
    ) -> dict[str, Any]:
        self.routed(session or self._session)
        return super().get_json(path, params, host, session, response_headers, use_post)

    def _get_page(self, session: requests.Session, path: str) -> str:
        return super()._get_page(self.routed(session), path)

    def log(self, *msg: Any, sep: str = "", end: str = "\n", flush: bool = False) -> None:
        log.debug(sep.join(str(m) for m in msg))

    def error(self, msg: str, repeat_at_end: bool = True) -> None:
        # instaloader prints these to stderr and replays them at exit; a service logs them once.
        log.warning("instaloader: %s", msg)
