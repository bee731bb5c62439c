"""X API v2 stand-in: mentions timeline, recent search, users/me, create and delete tweets.

Faithful to the recorded answers (tweepy's cassettes, ../shared/recorded/x): ids as strings,
edit_history_tweet_ids on every tweet, meta newest_id/oldest_id/result_count/next_token, no `data`
on an empty page, x-rate-limit-* headers on every answer, v2 problem bodies for errors.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from core.clock import Clock, SystemClock
from sandbox.seed import SeedPost
from sandbox.server import Failure, PlatformServer, Request, Response, json_response, text_response
from sandbox.twitter_query import Candidate, QueryError, compile_query
from sandbox.twitter_wire import (
    PROBLEMS,
    X_EPOCH_MS,
    Tweet,
    check_params,
    invalid_request,
    page_token,
    problem,
    snowflake_time,
    weighted_length,
)

WINDOW_SECONDS = 15 * 60
SEARCH_DAYS = 7
MENTIONS_CAP = 800
LIST_PATHS = r"/2/(?:users/[^/]+/mentions|tweets/search/recent)"
DEFAULT_QUERY = "(ร้องเรียน OR แจ้งเหตุ OR สอบถาม OR 1111 OR #ร้องเรียน1111 OR complaint) -is:retweet"
DEFAULT_LIMITS = {"mentions": 450, "search": 450, "me": 75, "create": 200, "delete": 50}
SANDBOX_BEARER = "sandbox-x-bearer"
JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}


@dataclass
class _Window:
    limit: int
    remaining: int
    reset: int  # unix seconds


@dataclass
class _Armed:
    """A failure that starts after `pages_left` more list pages have been served on `pattern`."""

    pages_left: int
    pattern: re.Pattern[str]
    make: Callable[[Callable[[], Response | None]], Failure]


@dataclass
class _Account:
    user_id: str
    username: str
    name: str

class TwitterSandbox(PlatformServer):
    """An X API v2 stand-in on loopback with rate-limit bookkeeping and failure helpers for tests."""

    name = "twitter"

    def __init__(self, clock: Clock | None = None, *, bearer_token: str = SANDBOX_BEARER,
                 query: str = DEFAULT_QUERY, limits: dict[str, int] | None = None) -> None:
        super().__init__()
        self.clock = clock or SystemClock()
        self.bearer_token = bearer_token
        self.query = query
        self.consumer_key, self.consumer_secret = "sandbox-x-consumer", "sandbox-x-consumer-secret"
        self.access_token, self.access_token_secret = "1111-sandbox-x-access", "sandbox-x-access-secret"
        self.account = _Account("1460000000000001111", "GCC1111", "ศูนย์บริการข้อมูลภาครัฐเพื่อประชาชน 1111")
        self.users: dict[str, dict[str, str]] = {}
        self.tweets: dict[str, Tweet] = {}  # insertion order is id order: ids only grow
        # Per query, how far the tweet list has been matched and what matched: a page costs O(page), not O(all).
        self._matched: dict[str, tuple[int, list[Tweet]]] = {}
        self.posted: list[Tweet] = []  # what the desk itself tweeted, for the reply and broadcast tests
        self.suspended: set[str] = set()
        self._limits = {**DEFAULT_LIMITS, **(limits or {})}
        self._windows: dict[str, _Window] = {}
        self._armed: list[_Armed] = []
        self.stalled = threading.Event()  # set when a slow() answer starts: a kill -9 test knows when to strike
        self._last_id = 0
        self._user_ids = itertools.count(1_600_000_000_000_000_001)
        self._add_user(self.account.user_id, self.account.username, self.account.name)
        self.route("GET", r"/2/users/(?P<id>[^/]+)/mentions", self._guard("mentions", self._mentions))
        self.route("GET", r"/2/tweets/search/recent", self._guard("search", self._search))
        self.route("GET", r"/2/users/me", self._guard("me", self._me, user_context=True))
        self.route("GET", r"/2/users/(?P<id>\d+)/tweets", self._guard("timeline", self._user_tweets))
        self.route("POST", r"/2/tweets", self._guard("create", self._create, user_context=True))
        self.route("DELETE", r"/2/tweets/(?P<id>\d+)", self._guard("delete", self._delete, user_context=True))

    # --- the product's settings and the public ----------------------------------------------------
    def env(self) -> dict[str, str]:
        """The GCC1111_TWITTER__* settings that point the product at this stand-in."""
        prefix = "GCC1111_TWITTER__"
        return {
            prefix + "API_URL": self.url,
            prefix + "BEARER_TOKEN": self.bearer_token,
            prefix + "USER_ID": self.account.user_id,
            prefix + "QUERY": self.query,
            prefix + "CONSUMER_KEY": self.consumer_key,
            prefix + "CONSUMER_SECRET": self.consumer_secret,
            prefix + "ACCESS_TOKEN": self.access_token,
            prefix + "ACCESS_TOKEN_SECRET": self.access_token_secret,
        }

    def publish(self, post: SeedPost) -> None:
        """A member of the public tweets `post` now: "mention" kinds @-mention the account, "search" ones need not."""
        text = post.text
        at_account = f"@{self.account.username}"
        if post.kind == "mention" and at_account.casefold() not in text.casefold():
            text = f"{at_account} {text}"
        handle = post.handle or f"user{next(self._user_ids) % 100_000}"
        tweet = self.add_tweet(text, handle, post.author or handle, lang=post.lang)
        for number, reply in enumerate(post.replies, start=1):
            prefix = f"@{handle} {at_account} " if post.kind == "mention" else f"@{handle} "
            self.add_tweet(prefix + reply, f"{handle}_reply{number}", f"ผู้ตอบ {number}", in_reply_to=tweet.id,
                           lang=post.lang)

    def add_tweet(self, text: str, handle: str, name: str = "", *, lang: str = "th",
                  in_reply_to: str | None = None) -> Tweet:
        """Store a tweet by `handle` (created on first use) at the clock's time; returns it."""
        with self._lock:
            author = self._user_by_handle(handle) or self._add_user(str(next(self._user_ids)), handle, name or handle)
            created = self.clock.now()
            tweet_id = self._next_id(created)
            tweet = Tweet(tweet_id, text, author["id"], created, tweet_id, lang)
            parent = self.tweets.get(in_reply_to or "")
            if parent is not None:
                tweet.conversation_id = parent.conversation_id
                tweet.replied_to, tweet.in_reply_to_user_id = parent.id, parent.author_id
            self.tweets[tweet_id] = tweet
            return tweet

    def suspend_user(self, handle: str) -> None:
        """The author's account is suspended: their tweets still list, the user expansion becomes a partial error."""
        user = self._user_by_handle(handle)
        assert user is not None, f"no user {handle}"
        self.suspended.add(user["id"])

    def set_limit(self, endpoint: str, limit: int) -> None:
        """Change one endpoint's requests per 15-minute window (mentions, search, me, create, delete)."""
        with self._lock:
            self._limits[endpoint] = limit
            self._windows.pop(endpoint, None)

    # --- failure helpers --------------------------------------------------------------------------
    def rate_limit(self, reset_in: float = WINDOW_SECONDS, with_header: bool = True, *, path: str = LIST_PATHS,
                   after_pages: int = 0, times: int | None = 1) -> None:
        """Answer 429 (reset `reset_in` seconds from now on the sandbox clock), optionally without the headers."""
        reset = int(self.clock.now().timestamp() + reset_in)
        headers = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                   "x-rate-limit-reset": str(reset)} if with_header else {}
        body = problem(429, "Too Many Requests", "Too Many Requests")
        self._arm(path, after_pages, lambda _next: Failure(json_response(body, 429, headers), times=times))

    def revoke_token(self, reason: str = "revoked") -> None:
        """Every request fails from now on: 401 for a revoked token, 403 when reason="client-not-enrolled"."""
        if reason == "client-not-enrolled":
            body = problem(
                403, "Client Forbidden",
                "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a "
                "Twitter developer App that is attached to a Project. You can create a project via the developer "
                "portal.", PROBLEMS + "client-forbidden",
                client_id="2311111", registration_url="https://developer.twitter.com/en/docs/projects/overview",
                required_enrollment="Appropriate Level of API Access", reason="client-not-enrolled")
            response = json_response(body, 403)
        else:
            response = json_response(problem(401, "Unauthorized", "Unauthorized"), 401)
        self.fail(r"/2/.*", Failure(response, times=None))

    def server_error(self, status: int = 503, *, path: str = LIST_PATHS, after_pages: int = 0,
                     times: int | None = 1) -> None:
        """Answer with a 5xx problem body."""
        body = problem(status, "Service Unavailable", "Service Unavailable")
        self._arm(path, after_pages, lambda _next: Failure(json_response(body, status), times=times))

    def malformed(self, kind: str = "html", *, path: str = LIST_PATHS, after_pages: int = 0,
                  times: int | None = 1) -> None:
        """Answer 200 with a body the client cannot read: html, invalid_json, not_utf8, missing_fields, no_meta."""
        bodies: dict[str, Callable[[], Response]] = {
            "html": lambda: text_response("<!DOCTYPE html><html><body><h1>Something went wrong</h1></body></html>"),
            "invalid_json": lambda: Response(200, '{"data": [{"id": "1", "text": "ไฟดับ'.encode(), dict(JSON_TYPE)),
            # Thai in the legacy TIS-620 encoding where UTF-8 was promised.
            "not_utf8": lambda: Response(200, '{"meta": {"result_count": 0}, "x": "ไฟ"}'.encode("tis-620"),
                                         dict(JSON_TYPE)),
            "missing_fields": lambda: json_response({"data": [{"edit_history_tweet_ids": ["1"], "lang": "th"}],
                                                     "meta": {"result_count": 1}}),
            "no_meta": lambda: json_response({"data": [{"id": "1", "text": "ไม่มี meta",
                                                        "edit_history_tweet_ids": ["1"]}]}),
        }
        build = bodies[kind]
        self._arm(path, after_pages, lambda _next: Failure(build(), times=times))

    def slow(self, delay_seconds: float, *, path: str = LIST_PATHS, after_pages: int = 0) -> None:
        """Serve one answer `delay_seconds` late: the next page itself when after_pages > 0, else a 503."""

        def make(next_page: Callable[[], Response | None]) -> Failure:
            late = next_page() or json_response(problem(503, "Service Unavailable", "Service Unavailable"), 503)
            return Failure(late, times=1, delay_seconds=delay_seconds)

        self._arm(path, after_pages, make)

    def _arm(self, path: str, after_pages: int, make: Callable[[Callable[[], Response | None]], Failure]) -> None:
        if after_pages <= 0:
            self.fail(path, make(lambda: None))
            return
        with self._lock:
            self._armed.append(_Armed(after_pages, re.compile(path), make))

    # --- serving --------------------------------------------------------------------------------------
    def _take_failure(self, request: Request) -> Failure | None:
        failure = super()._take_failure(request)
        if failure is not None and failure.delay_seconds:
            self.stalled.set()
        return failure

    def _guard(self, endpoint: str, handler: Callable[[Request], Response],
               user_context: bool = False) -> Callable[[Request], Response]:
        """Authentication, then the rate-limit window, then the handler; every answer carries the window."""

        def serve(request: Request) -> Response:
            refused = self._authenticate(request, user_context)
            if refused is not None:
                return refused
            window = self._window(endpoint)
            if window.remaining <= 0:
                response = json_response(problem(429, "Too Many Requests", "Too Many Requests"), 429)
            else:
                window.remaining -= 1
                response = handler(request)
            response.headers.update({
                "api-version": "2.52",
                "x-rate-limit-limit": str(window.limit),
                "x-rate-limit-remaining": str(window.remaining),
                "x-rate-limit-reset": str(window.reset),
            })
            return response

        return serve

    def _authenticate(self, request: Request, user_context: bool) -> Response | None:
        authorization = request.headers.get("authorization", "")
        unauthorized = json_response(problem(401, "Unauthorized", "Unauthorized"), 401)
        if authorization.startswith("OAuth "):
            oauth = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', authorization)}
            if oauth.get("oauth_consumer_key") != self.consumer_key or oauth.get("oauth_token") != self.access_token:
                return unauthorized
            return None
        if authorization != f"Bearer {self.bearer_token}":
            return unauthorized
        if user_context:
            return json_response(problem(
                403, "Unsupported Authentication",
                "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
                "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
                PROBLEMS + "unsupported-authentication"), 403)
        return None

    def _window(self, endpoint: str) -> _Window:
        now = int(self.clock.now().timestamp())
        with self._lock:
            window = self._windows.get(endpoint)
            if window is None or now >= window.reset:
                limit = self._limits.get(endpoint, 900)
                window = self._windows[endpoint] = _Window(limit, limit, now + WINDOW_SECONDS)
            return window

    def _mentions(self, request: Request) -> Response:
        user_id = request.match["id"]
        if user_id not in self.users:
            return json_response({"errors": [{"value": user_id, "detail": f"Could not find user with id: [{user_id}].",
                                              "title": "Not Found Error", "resource_type": "user", "parameter": "id",
                                              "resource_id": user_id, "type": PROBLEMS + "resource-not-found"}]})
        at_handle = re.compile(rf"@{re.escape(self.users[user_id]['username'])}(?![A-Za-z0-9_])", re.IGNORECASE)
        with self._lock:
            found = [t for t in self._matching(f"mentions:{user_id}", lambda t: bool(at_handle.search(t.text)))
                     if not t.deleted][-MENTIONS_CAP:]
        return self._timeline(request, found, min_results=5, token_param="pagination_token")

    def _matching(self, key: str, predicate: Callable[[Tweet], bool]) -> list[Tweet]:
        """Tweets (oldest first) for which `predicate` holds, matching only tweets added since the last call."""
        scanned, matched = self._matched.get(key, (0, []))
        ordered = list(self.tweets.values())
        matched = matched + [t for t in ordered[scanned:] if predicate(t)]
        self._matched[key] = (len(ordered), matched)
        return matched

    def _search(self, request: Request) -> Response:
        query = request.query.get("query", "")
        try:
            matches = compile_query(query)
        except QueryError as exc:
            return invalid_request("query", query, f"There were errors processing your request: {exc}")
        cutoff = self.clock.now() - timedelta(days=SEARCH_DAYS)
        since = request.query.get("since_id", "")
        if since.isdigit() and snowflake_time(int(since)) < cutoff:
            return invalid_request("since_id", since, f"Invalid 'since_id':'{since}'. 'since_id' must be a tweet id "
                                   f"created after {cutoff.strftime('%Y-%m-%dT%H:%MZ')}.")
        with self._lock:
            found = [t for t in self._matching(f"search:{query}", lambda t: matches(self._candidate(t)))
                     if not t.deleted and t.created_at >= cutoff]
        return self._timeline(request, found, min_results=10, token_param="next_token")

    def _candidate(self, tweet: Tweet) -> Candidate:
        return Candidate(tweet.text, self.users[tweet.author_id]["username"], tweet.lang, bool(tweet.replied_to))

    def _timeline(self, request: Request, tweets: list[Tweet], *, min_results: int, token_param: str,
                  count_page: bool = True) -> Response:
        """One newest-first page of `tweets` (given oldest first), honouring since/until ids and the page token."""
        params = request.query
        refused = check_params(params, min_results, token_param)
        if refused is not None:
            return refused
        since, until = int(params.get("since_id") or 0), int(params.get("until_id") or 0)
        bound = int(params[token_param], 36) if params.get(token_param) else 0
        ceiling = min(b for b in (until, bound) if b) if (until or bound) else 0
        size = int(params.get("max_results") or 10)
        page: list[Tweet] = []
        rest = False
        for tweet in reversed(tweets):
            number = int(tweet.id)
            if ceiling and number >= ceiling:
                continue
            if number <= since:
                break
            if len(page) == size:
                rest = True
                break
            page.append(tweet)
        fields = set(filter(None, params.get("tweet.fields", "").split(",")))
        body: dict[str, Any] = {}
        if page:
            body["data"] = [t.json(fields) for t in page]
        if page and "author_id" in params.get("expansions", "").split(","):
            self._expand_authors(body, page, set(filter(None, params.get("user.fields", "").split(","))))
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0].id, oldest_id=page[-1].id)
        if rest:
            meta["next_token"] = page_token(page[-1].id)
        body["meta"] = meta
        if count_page:
            self._count_page(request, meta.get("next_token"), token_param, min_results, tweets)
        return json_response(body)

    def _expand_authors(self, body: dict[str, Any], page: list[Tweet], user_fields: set[str]) -> None:
        users, errors = [], []
        for author_id in dict.fromkeys(t.author_id for t in page):
            if author_id in self.suspended:
                errors.append({"value": author_id, "detail": f"Could not find user with id: [{author_id}].",
                               "title": "Not Found Error", "resource_type": "user", "parameter": "author_id",
                               "resource_id": author_id, "type": PROBLEMS + "resource-not-found"})
                continue
            user = self.users[author_id]
            users.append({k: v for k, v in user.items() if k in {"id", "name", "username"} | user_fields})
        if users:
            body["includes"] = {"users": users}
        if errors:
            body["errors"] = errors

    def _count_page(self, request: Request, next_token: str | None, token_param: str, min_results: int,
                    tweets: list[Tweet]) -> None:
        """Arm failures waiting for this many pages; a delayed 'next page' is built from the real data."""

        def next_page() -> Response | None:
            if next_token is None:
                return None
            follow = copy.copy(request)
            follow.query = {**request.query, token_param: next_token}
            return self._timeline(follow, tweets, min_results=min_results, token_param=token_param, count_page=False)

        with self._lock:
            due = []
            for armed in self._armed:
                if armed.pattern.fullmatch(request.path):
                    armed.pages_left -= 1
                    if armed.pages_left <= 0:
                        due.append(armed)
            self._armed = [a for a in self._armed if a not in due]
        for armed in due:
            self.fail(re.escape(request.path), armed.make(next_page))

    def _user_tweets(self, request: Request) -> Response:
        """A user's own tweets and replies, newest first (the reply adapter looks here after a crash)."""
        user_id = request.match["id"]
        with self._lock:
            found = [t for t in self.tweets.values() if t.author_id == user_id and not t.deleted]
        return self._timeline(request, found, min_results=5, token_param="pagination_token")

    def _me(self, request: Request) -> Response:
        account = self.users[self.account.user_id]
        return json_response({"data": {"id": account["id"], "name": account["name"], "username": account["username"]}})

    def _create(self, request: Request) -> Response:
        body = request.json() or {}
        text = body.get("text", "")
        if not isinstance(text, str) or not text:
            return invalid_request("text", str(text), "The `text` field is required when no media is attached.")
        if weighted_length(text) > 280:  # (unverified wording) X counts Thai as 1 and CJK/emoji as 2
            return invalid_request("text", text, "Your Tweet text is too long.")
        reply_to = str((body.get("reply") or {}).get("in_reply_to_tweet_id") or "")
        with self._lock:
            mine = [t for t in self.tweets.values() if t.author_id == self.account.user_id and not t.deleted]
            if any(t.text == text for t in mine):
                return json_response(problem(403, "Forbidden",
                                             "You are not allowed to create a Tweet with duplicate content."), 403)
            if reply_to and (reply_to not in self.tweets or self.tweets[reply_to].deleted):
                return json_response(problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or "
                                             "not visible to you."), 403)
            tweet = self.add_tweet(text, self.account.username, in_reply_to=reply_to or None)
            self.posted.append(tweet)
        return json_response({"data": {"edit_history_tweet_ids": [tweet.id], "id": tweet.id, "text": tweet.text}}, 201)

    def _delete(self, request: Request) -> Response:
        with self._lock:
            tweet = self.tweets.get(request.match["id"])
            if tweet is None or tweet.deleted:
                return json_response({"data": {"deleted": False}})
            if tweet.author_id != self.account.user_id:
                return json_response(problem(403, "Forbidden", "You are not allowed to delete this Tweet."), 403)
            tweet.deleted = True
        return json_response({"data": {"deleted": True}})

    # --- bookkeeping -------------------------------------------------------------------------------------
    def _next_id(self, created: datetime) -> str:
        snowflake = (int(created.timestamp() * 1000) - X_EPOCH_MS) << 22
        self._last_id = max(snowflake, self._last_id + 1)
        return str(self._last_id)

    def _add_user(self, user_id: str, handle: str, name: str) -> dict[str, str]:
        self.users[user_id] = {"id": user_id, "name": name, "username": handle}
        return self.users[user_id]

    def _user_by_handle(self, handle: str) -> dict[str, str] | None:
        return next((u for u in self.users.values() if u["username"].casefold() == handle.casefold()), None)
