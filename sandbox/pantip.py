"""A loopback Pantip: robots.txt, topic pages, render_comments JSON, tag/room listings and search."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta

from core.clock import Clock, SystemClock
from sandbox.pantip_pages import (
    Comment,
    Member,
    Reply,
    Topic,
    comment_json,
    forum_page,
    listing_item,
    redesigned_page,
    search_item,
    topic_page,
)
from sandbox.seed import SeedPost
from sandbox.server import Failure, PlatformServer, Request, Response, json_response, text_response

PTAUTHORIZE = "Basic dGVzdGVyOnRlc3Rlcg=="
COMMENTS_PER_PAGE = 100
SEARCH_CAP = 10  # the public search stops at ten results per keyword
BOM = "\ufeff"

# Request paths, for tests that inject failures or read the request log.
ROBOTS_PATH = r"/robots.txt"
TOPIC_PATH = r"/topic/\d+"
COMMENTS_PATH = r"/forum/topic/render_comments"
TAG_LISTING_PATH = r"/api/forum-service/forum/tag_topic"
ROOM_LISTING_PATH = r"/api/forum-service/forum/room_topic"
SEARCH_PATH = r"/api/search-service/search/getresult"

ROBOTS = """User-agent: *
Disallow: /ads.php
Disallow: /login
Disallow: /forum/new_topic
{extra}
User-agent: GPTBot
Disallow: /
"""


class PantipSandbox(PlatformServer):
    """Topics in rooms and under tags, with comments and replies, as Pantip's pages and JSON serve them."""

    name = "pantip"

    def __init__(self, clock: Clock | None = None, *, tags: Sequence[str] = ("ร้องเรียน", "หน่วยงานราชการ"),
                 rooms: Sequence[str] = ("rajdumnern",), keywords: Sequence[str] = ("1111",)) -> None:
        super().__init__()
        self.clock = clock or SystemClock()
        self.tags, self.rooms, self.keywords = list(tags), list(rooms), list(keywords)
        self.topics: dict[int, Topic] = {}
        self.comments_bom = True  # Pantip's comments JSON starts with a UTF-8 byte order mark
        self.disallowed: list[str] = []
        self._html_comments: set[int] = set()
        self._tids = itertools.count(43_100_001)
        self._members = itertools.count(7_100_001)
        self._data_lock = threading.Lock()
        self._hooks: list[tuple[str, Callable[[Request], None]]] = []
        self.route("GET", ROBOTS_PATH, self._robots)
        self.route("GET", r"/ads.php", lambda _r: text_response("<html><body>ads</body></html>"))
        self.route("GET", r"/topic/(?P<tid>\d+)", self._topic)
        self.route("GET", COMMENTS_PATH, self._comments)
        self.route("GET", TAG_LISTING_PATH, lambda r: self._listing(r, "tag_name"))
        self.route("GET", ROOM_LISTING_PATH, lambda r: self._listing(r, "room"))
        self.route("POST", SEARCH_PATH, self._search)

    def env(self) -> dict[str, str]:
        return {
            "GCC1111_PANTIP__BASE_URL": self.url,
            "GCC1111_PANTIP__TAGS": ",".join(self.tags),
            "GCC1111_PANTIP__ROOMS": ",".join(self.rooms),
            "GCC1111_PANTIP__KEYWORDS": ",".join(self.keywords),
            "GCC1111_PANTIP__DOWNLOAD_DELAY": "0",  # the sandbox may be crawled as fast as it answers
            "GCC1111_PANTIP__AUTOTHROTTLE_START_DELAY": "0",
        }

    # --- content ---------------------------------------------------------------------------------
    def member(self, name: str = "") -> Member:
        mid = next(self._members)
        return Member(mid, name or f"สมาชิกหมายเลข {mid}")

    def add_topic(self, title: str, story: str, author: str = "", *, tags: Sequence[str] | None = None,
                  room: str | None = None, topic_type: int = 1, comments: int = 0) -> Topic:
        """A new topic (by default under the first tracked tag, in the first tracked room) with `comments` comments."""
        topic = Topic(next(self._tids), topic_type, title, story, self.member(author), self.clock.now(),
                      room if room is not None else (self.rooms[0] if self.rooms else "chalermthai"),
                      list(tags) if tags is not None else self.tags[:1])
        with self._data_lock:
            self.topics[topic.tid] = topic
        for n in range(comments):
            self.add_comment(topic, f"ความคิดเห็นที่ {n + 1}: เห็นด้วยครับ เรื่องนี้ควรแจ้ง 1111")
        return topic

    def add_comment(self, topic: Topic, text: str, author: str = "", replies: Sequence[str] = ()) -> Comment:
        with self._data_lock:
            comment = Comment(len(topic.comments) + 1, self.member(author), text,
                              self.clock.now() + timedelta(minutes=len(topic.comments) + 1))
            topic.comments.append(comment)
        for text_of_reply in replies:
            self.add_reply(comment, text_of_reply)
        return comment

    def add_reply(self, comment: Comment, text: str, author: str = "") -> Reply:
        with self._data_lock:
            reply = Reply(len(comment.replies) + 1, self.member(author), text,
                          comment.at + timedelta(minutes=len(comment.replies) + 1))
            comment.replies.append(reply)
        return reply

    def publish(self, post: SeedPost) -> None:
        if post.kind not in ("topic", "post", ""):
            return
        topic = self.add_topic(post.title or post.text[:60], post.text, post.author)
        for reply in post.replies:
            self.add_comment(topic, reply)

    # --- failures and policy ---------------------------------------------------------------------
    def forbid(self, path: str) -> None:
        """Add a Disallow line to robots.txt ("$" anchors the end, as in Google's and Protego's syntax)."""
        self.disallowed.append(path)

    def rate_limit(self, path: str = r".*", times: int | None = None, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        page = "<html><head><title>429 Too Many Requests</title></head><body>Too Many Requests</body></html>"
        self.fail(path, Failure(text_response(page, status=429, headers=headers), times=times))

    def server_error(self, path: str, status: int = 503, times: int | None = None) -> None:
        page = f"<html><body><h1>{status}</h1>Service Temporarily Unavailable</body></html>"
        self.fail(path, Failure(text_response(page, status=status), times=times))

    def redesign(self, topic: Topic, times: int | None = None) -> str:
        """Serve the topic page in a new layout without the expected selectors; returns the page served."""
        page = redesigned_page(topic)
        self.fail(rf"/topic/{topic.tid}", Failure(text_response(page), times=times))
        return page

    def comments_as_html(self, topic: Topic) -> str:
        """render_comments answers for `topic` with a whole HTML page even to an XHR call; returns that page."""
        with self._data_lock:
            self._html_comments.add(topic.tid)
        return forum_page(topic.title)

    def clear_failures(self) -> None:
        super().clear_failures()
        with self._data_lock:
            self._html_comments.clear()

    def when_requested(self, path: str, action: Callable[[Request], None]) -> None:
        """Run `action` (e.g. a test killing the crawler) when a request for `path` arrives, before answering."""
        self._hooks.append((path, action))

    # --- routes ------------------------------------------------------------------------------------
    def _respond(self, request: Request) -> Response:
        for path, action in list(self._hooks):
            if re.fullmatch(path, request.path):
                action(request)
        return super()._respond(request)

    def _robots(self, _request: Request) -> Response:
        extra = "\n".join(f"Disallow: {path}" for path in self.disallowed)
        return text_response(ROBOTS.format(extra=extra), content_type="text/plain; charset=utf-8")

    def _topic(self, request: Request) -> Response:
        topic = self.topics.get(int(request.match["tid"]))
        if topic is None:
            return text_response(forum_page("ไม่พบกระทู้นี้"), status=404)
        return text_response(topic_page(topic))

    def _comments(self, request: Request) -> Response:
        topic = self.topics.get(int(request.query.get("tid", "0") or 0))
        if request.headers.get("x-requested-with") != "XMLHttpRequest" or (topic and topic.tid in self._html_comments):
            return text_response(forum_page(topic.title if topic else "Pantip"))  # 200, and no JSON
        if topic is None or request.query.get("type") != str(topic.topic_type):
            return json_response({"paging": None, "error": "invalid topic"})
        digits = request.query.get("param", "").removeprefix("page")
        page = int(digits) if digits.isdigit() and int(digits) > 0 else 1
        with self._data_lock:
            chosen = topic.comments[(page - 1) * COMMENTS_PER_PAGE : page * COMMENTS_PER_PAGE]
            body = {
                "paging": {"page": page, "limit": COMMENTS_PER_PAGE, "max_comments": len(topic.comments)},
                "count": len(topic.comments),
                "comments": [comment_json(topic, c) for c in chosen],
            }
        text = json.dumps(body, ensure_ascii=False)
        prefix = BOM if self.comments_bom else ""
        return Response(200, (prefix + text).encode("utf-8"), {"Content-Type": "application/json; charset=UTF-8"})

    def _listing(self, request: Request, by: str) -> Response:
        if request.headers.get("ptauthorize") != PTAUTHORIZE:
            return json_response({"message": "Unauthorized"}, status=401)
        wanted = request.query.get(by, "")
        limit = min(int(request.query.get("limit", "50") or 50), 50)
        next_id = int(request.query["next_id"]) if request.query.get("next_id") else None
        with self._data_lock:
            matching = sorted(
                (t for t in self.topics.values() if (wanted in t.tags if by == "tag_name" else t.room == wanted)),
                key=lambda t: t.tid, reverse=True,
            )
            remaining = [t for t in matching if next_id is None or t.tid <= next_id]
            page = remaining[:limit]
            data = [listing_item(t) for t in page]
        more = len(remaining) > limit
        return json_response({"data": data, "next_id": page[-1].tid - 1 if more else None})

    def _search(self, request: Request) -> Response:
        if request.headers.get("ptauthorize") != PTAUTHORIZE:
            return json_response({"message": "Unauthorized"}, status=401)
        keyword = str((request.json() or {}).get("keyword", ""))
        with self._data_lock:
            found = [t for t in sorted(self.topics.values(), key=lambda t: t.tid, reverse=True)
                     if keyword and (keyword.lower() in t.title.lower() or keyword.lower() in t.story.lower())]
            data = [search_item(t, keyword) for t in found[:SEARCH_CAP]]
        return json_response({"total": f"พบ {len(found):,} กระทู้", "data": data, "last_page": True})
