"""A loopback Instagram: the web and iPhone endpoints instaloader 4.16 calls to read posts and comments."""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import os
import pickle
import secrets
import shutil
import tempfile
import threading
from collections.abc import Sequence
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from core.clock import Clock, SystemClock
from core.text import extract_hashtags, hashtag_name
from sandbox.instagram_payloads import (
    Account,
    Comment,
    Media,
    login_page,
    profile_page,
    sections,
    start_page,
)
from sandbox.seed import SeedPost
from sandbox.server import Failure, PlatformServer, Request, Response, json_response, text_response

PROFILE_DOC_ID = "27937681195819736"  # PolarisProfilePageContentQuery, by user id (graphql/query)
TIMELINE_DOC_ID = "29104886249145907"  # PolarisProfilePostsTabContentQuery_connection (api/graphql)
TIMELINE = "xdt_api__v1__feed__user_timeline_graphql_connection"
LOGIN_URL = "https://www.instagram.com/accounts/login/"
COMMENTS_PER_PAGE = 20
MEDIAS_PER_PAGE = 12

# Request paths, for tests that inject failures or read the request log.
IPHONE_PREFIX = "/i"
COMMENTS_PATH = r"/i/api/v1/media/\d+/comments/"
CHILD_COMMENTS_PATH = r"/i/api/v1/media/\d+/comments/\d+/child_comments/"
TAG_INFO_PATH = r"/i/api/v1/tags/web_info/"
TAG_PAGE_PATH = r"/explore/tags/[^/]+/"
TIMELINE_PATH = r"/api/graphql"
PROFILE_QUERY_PATH = r"/graphql/query"


class InstagramSandbox(PlatformServer):
    """The agency's profile with its recent posts and their comments, and posts under hashtags."""

    name = "instagram"

    def __init__(self, clock: Clock | None = None, *, username: str = "gcc1111_desk",
                 profile: str = "gcc1111th", hashtags: Sequence[str] = ("แจ้งเหตุ", "น้ำท่วมเชียงใหม่")) -> None:
        super().__init__()
        self.clock = clock or SystemClock()
        self.username = username
        self.hashtags = [hashtag_name(tag) for tag in hashtags]
        self.viewer = Account(57140010001, username, "GCC 1111 Social Desk")
        self.agency = Account(1640000001, profile, "ศูนย์บริการข้อมูลภาครัฐเพื่อประชาชน 1111", is_verified=True)
        self.posts: list[Media] = []  # the agency's, newest first
        self.tagged: dict[str, list[Media]] = {tag: [] for tag in self.hashtags}  # newest first
        self._media_ids = itertools.count(3480000000000000001, 7919)
        self._comment_ids = itertools.count(18050000000000001, 13)
        self._people: dict[str, Account] = {}
        self._data_lock = threading.Lock()
        self._dir: str | None = None
        self.session_file = Path()
        self._session: dict[str, str] = {}
        self._valid_sessionid = ""
        self.tokens = {"fb_dtsg": "NAcN" + secrets.token_urlsafe(24), "lsd": "AVq" + secrets.token_urlsafe(8),
                       "av": "17841400000000001"}
        for caption in SEED_CAPTIONS:
            self.add_post(caption)
        self._routes_up()

    # --- lifecycle and settings ------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._dir = tempfile.mkdtemp(prefix="gcc1111-instagram-")
        self.session_file = Path(self._dir) / f"session-{self.username}"
        self.renew_session()
        return super().start(host, port)

    def stop(self) -> None:
        super().stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def env(self) -> dict[str, str]:
        return {
            "GCC1111_INSTAGRAM__BASE_URL": self.url,
            "GCC1111_INSTAGRAM__IPHONE_URL": self.url + IPHONE_PREFIX,
            "GCC1111_INSTAGRAM__USERNAME": self.username,
            "GCC1111_INSTAGRAM__SESSION_FILE": str(self.session_file),
            "GCC1111_INSTAGRAM__PROFILE": self.agency.username,
            "GCC1111_INSTAGRAM__HASHTAGS": ",".join(self.hashtags),
        }

    # --- the session -----------------------------------------------------------------------------
    def renew_session(self) -> None:
        """Staff logged in again: a new session id, written where instaloader keeps its session file."""
        user_id = str(self.viewer.pk)
        sessionid = f"{user_id}%3A{secrets.token_urlsafe(12)}%3A27%3AAYe{secrets.token_hex(16)}"
        cookies = {"sessionid": sessionid, "ds_user_id": user_id, "csrftoken": secrets.token_hex(16),
                   "mid": "Z3" + secrets.token_urlsafe(18), "ig_did": secrets.token_hex(16).upper()}
        with self._data_lock:
            self._session, self._valid_sessionid = cookies, sessionid
        fd = os.open(self.session_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            pickle.dump(cookies, file)  # exactly what instaloader's save_session_to_file writes

    def expire_session(self) -> None:
        """Instagram logged the session out (password change, security check): it stops working."""
        with self._data_lock:
            self._valid_sessionid = "expired:" + secrets.token_hex(8)

    # --- content ---------------------------------------------------------------------------------
    def person(self, handle: str, full_name: str = "") -> Account:
        """A member of the public, created on first mention."""
        handle = handle.lstrip("@").lower() or "anonymous"
        with self._data_lock:
            if handle not in self._people:
                self._people[handle] = Account(4_000_000_000 + len(self._people) * 37, handle, full_name or handle)
            return self._people[handle]

    def add_post(self, caption: str) -> Media:
        """The agency posts on its own profile."""
        media = Media(next(self._media_ids), self.agency, caption, self.clock.now(), likes=40)
        with self._data_lock:
            self.posts.insert(0, media)
        return media

    def add_comment(self, text: str, handle: str, full_name: str = "", *, on: Media | None = None,
                    replies: Sequence[tuple[str, str]] = ()) -> Comment:
        """A member of the public comments on an agency post (the newest by default), with (handle, text) replies."""
        media = on or self.posts[0]
        comment = Comment(next(self._comment_ids), media.pk, self.person(handle, full_name), text, self.clock.now())
        for reply_handle, reply_text in replies:
            comment.children.append(Comment(next(self._comment_ids), media.pk, self.person(reply_handle),
                                            reply_text, self.clock.now() + timedelta(seconds=1), comment.pk))
        with self._data_lock:
            media.comments.append(comment)
        return comment

    def add_hashtag_post(self, caption: str, handle: str, full_name: str = "", tag: str | None = None) -> Media:
        """A member of the public posts under a tracked hashtag (the first one the caption uses, by default)."""
        tags = [tag] if tag else [t for t in extract_hashtags(caption) if t in self.tagged] or self.hashtags[:1]
        media = Media(next(self._media_ids), self.person(handle, full_name), caption, self.clock.now())
        with self._data_lock:
            for name in tags:
                self.tagged.setdefault(hashtag_name(name), []).insert(0, media)
        return media

    def publish(self, post: SeedPost) -> None:
        if post.kind == "hashtag":
            self.add_hashtag_post(post.text, post.handle, post.author)
        else:
            replies = [(f"user{index}", text) for index, text in enumerate(post.replies, start=1)]
            self.add_comment(post.text, post.handle, post.author, replies=replies)

    # --- failures ---------------------------------------------------------------------------------
    def rate_limit(self, path: str, times: int | None = 1) -> None:
        body = {"message": "Please wait a few minutes before you try again.", "require_login": False,
                "status": "fail"}
        self.fail(path, Failure(json_response(body, status=429), times=times))

    def checkpoint(self, path: str, times: int | None = 1) -> None:
        body = {"message": "checkpoint_required", "checkpoint_url": "https://www.instagram.com/challenge/?next=/",
                "lock": False, "flow_render_type": 0, "status": "fail"}
        self.fail(path, Failure(json_response(body, status=400), times=times))

    def server_error(self, path: str, status: int = 502, times: int | None = None) -> None:
        page = "<!DOCTYPE html><html><body><h1>5xx Server Error</h1>Sorry, something went wrong.</body></html>"
        self.fail(path, Failure(text_response(page, status=status), times=times))

    def answer(self, path: str, body: str, status: int = 200, content_type: str = "application/json",
               times: int | None = None) -> None:
        """Answer `path` with this exact body, e.g. a payload with a field missing or HTML for JSON."""
        self.fail(path, Failure(text_response(body, status=status, content_type=content_type), times=times))

    # --- routes ------------------------------------------------------------------------------------
    def _routes_up(self) -> None:
        self.route("GET", r"/", self._start_page)
        self.route("GET", r"/accounts/login/", lambda _r: text_response(login_page()))
        self.route("GET", r"/(?P<username>[A-Za-z0-9._]+)/", self._profile_page)
        self.route("POST", PROFILE_QUERY_PATH, self._graphql_query)
        self.route("POST", TIMELINE_PATH, self._web_graphql)
        self.route("GET", r"/explore/tags/(?P<tag>[^/]+)/", self._tag_page)
        self.route("GET", r"/i/api/v1/tags/web_info/", self._tag_info)
        self.route("GET", r"/i/api/v1/media/(?P<media>\d+)/comments/", self._comments)
        self.route("GET", r"/i/api/v1/media/(?P<media>\d+)/comments/(?P<comment>\d+)/child_comments/",
                   self._child_comments)

    def _start_page(self, request: Request) -> Response:
        sessionid = _cookies(request).get("sessionid")
        if sessionid and sessionid != self._valid_sessionid:
            return _login_redirect(request)
        return text_response(start_page(self.tokens if sessionid else None))

    def _profile_page(self, request: Request) -> Response:
        if request.match["username"].lower() != self.agency.username:
            return text_response("<!DOCTYPE html><html><body>Sorry, this page isn't available.</body></html>",
                                 status=404)
        return text_response(profile_page(self.agency, len(self.posts)))

    def _graphql_query(self, request: Request) -> Response:
        refused = self._www_refusal(request)
        if refused is not None:
            return refused
        form = request.form()
        if form.get("doc_id") != PROFILE_DOC_ID:
            return json_response({"message": "execution error", "status": "fail"}, status=400)
        user = {**self.agency.iphone(), "id": str(self.agency.pk), "media_count": len(self.posts),
                "follower_count": 128_400, "following_count": 12, "is_business": True,
                "category": "Government organization",
                "friendship_status": {"following": False, "followed_by": False, "blocking": False,
                                      "incoming_request": False, "outgoing_request": False},
                "hd_profile_pic_url_info": {"url": self.agency.iphone()["profile_pic_url"]}}
        return json_response({"data": {"user": user}, "extensions": {"is_final": True}, "status": "ok"})

    def _web_graphql(self, request: Request) -> Response:
        refused = self._www_refusal(request)
        if refused is not None:
            return refused
        form = request.form()
        if form.get("lsd") != self.tokens["lsd"] or form.get("fb_dtsg") != self.tokens["fb_dtsg"]:
            return json_response({"error": 1357001, "errorSummary": "Sorry, something went wrong"}, status=400)
        if form.get("doc_id") != TIMELINE_DOC_ID:
            return json_response({"errors": [{"message": "execution error"}]}, status=400)
        variables = json.loads(form.get("variables") or "{}")
        with self._data_lock:
            posts = list(self.posts)
        start = _after_index(posts, variables.get("after"))
        page = posts[start : start + MEDIAS_PER_PAGE]
        more = start + MEDIAS_PER_PAGE < len(posts)
        connection = {
            "edges": [{"node": m.iphone(), "cursor": f"{m.pk}_{self.agency.pk}"} for m in page],
            "page_info": {"end_cursor": f"{page[-1].pk}_{self.agency.pk}" if page else None,
                          "has_next_page": more, "has_previous_page": False, "start_cursor": None},
        }
        return json_response({"data": {TIMELINE: connection}, "extensions": {"is_final": True}})

    def _tag_info(self, request: Request) -> Response:
        refused = self._iphone_refusal(request)
        if refused is not None:
            return refused
        tag = hashtag_name(request.query.get("tag_name", ""))
        with self._data_lock:
            medias = list(self.tagged.get(tag, []))
        top = sorted(medias, key=lambda m: m.likes, reverse=True)[:9]
        data = {
            "id": str(17843000000000000 + sum(map(ord, tag))), "name": tag, "media_count": len(medias),
            "formatted_media_count": str(len(medias)), "profile_pic_url": "", "is_following": False,
            "allow_following": True, "subtitle": "",
            "top": sections(top, False, None),
            "recent": self._recent(medias, None),
        }
        return json_response({"data": data, "status": "ok"})

    def _tag_page(self, request: Request) -> Response:
        refused = self._www_refusal(request)
        if refused is not None:
            return refused
        tag = hashtag_name(unquote(request.match["tag"]))
        with self._data_lock:
            medias = list(self.tagged.get(tag, []))
        return json_response({"data": {"recent": self._recent(medias, request.query.get("max_id"))},
                              "status": "ok"})

    def _recent(self, medias: list[Media], max_id: str | None) -> dict[str, Any]:
        start = int(max_id) if max_id and max_id.isdigit() else 0
        more = start + MEDIAS_PER_PAGE < len(medias)
        return sections(medias[start : start + MEDIAS_PER_PAGE], more, str(start + MEDIAS_PER_PAGE) if more else None)

    def _comments(self, request: Request) -> Response:
        refused = self._iphone_refusal(request)
        if refused is not None:
            return refused
        media = self._media(int(request.match["media"]))
        if media is None:
            return json_response({"message": "Media not found or unavailable", "status": "fail"}, status=400)
        with self._data_lock:
            newest_first = list(reversed(media.comments))
        start = _token_offset(request.query.get("min_id"))
        page = newest_first[start : start + COMMENTS_PER_PAGE]
        more = start + COMMENTS_PER_PAGE < len(newest_first)
        return json_response({
            "comments": [c.iphone() for c in page],
            "comment_count": media.comment_count,
            "caption_is_edited": False,
            "has_more_comments": more,
            "has_more_headload_comments": False,
            "next_min_id": _offset_token(start + COMMENTS_PER_PAGE) if more else None,
            "media_header_display": "none",
            "status": "ok",
        })

    def _child_comments(self, request: Request) -> Response:
        refused = self._iphone_refusal(request)
        if refused is not None:
            return refused
        media = self._media(int(request.match["media"]))
        parent = next((c for c in (media.comments if media else []) if c.pk == int(request.match["comment"])), None)
        if parent is None:
            return json_response({"message": "Comment not found", "status": "fail"}, status=400)
        return json_response({
            "child_comments": [c.iphone() for c in parent.children],
            "child_comment_count": len(parent.children),
            "has_more_head_child_comments": False,
            "has_more_tail_child_comments": False,
            "next_max_child_cursor": None,
            "parent_comment": parent.iphone(preview=0),
            "status": "ok",
        })

    def _media(self, pk: int) -> Media | None:
        with self._data_lock:
            everything = itertools.chain(self.posts, *self.tagged.values())
            return next((m for m in everything if m.pk == pk), None)

    # --- who may ask -----------------------------------------------------------------------------
    def _www_refusal(self, request: Request) -> Response | None:
        """www.instagram.com sends a visitor without a live session to the login page."""
        cookies = _cookies(request)
        if cookies.get("sessionid") != self._valid_sessionid:
            return _login_redirect(request)
        if request.method == "POST" and request.headers.get("x-csrftoken") != cookies.get("csrftoken"):
            return json_response({"message": "CSRF token missing or incorrect", "status": "fail"}, status=403)
        return None

    def _iphone_refusal(self, request: Request) -> Response | None:
        """The iPhone API wants the session as a bearer token (or cookie); otherwise login_required."""
        if _bearer_sessionid(request) == self._valid_sessionid:
            return None
        if _cookies(request).get("sessionid") == self._valid_sessionid:
            return None
        body = {"message": "login_required", "error_title": "You've Been Logged Out", "logout_reason": 2,
                "status": "fail"}
        return json_response(body, status=403)


SEED_CAPTIONS = (
    "ประกาศ: ช่วงวันหยุดยาว ศูนย์บริการข้อมูลภาครัฐเพื่อประชาชน 1111 เปิดให้บริการตลอด 24 ชั่วโมง #1111",
    "เตือนภัยมิจฉาชีพแอบอ้างเป็นเจ้าหน้าที่รัฐ โทรหลอกให้โอนเงิน อย่าหลงเชื่อ สอบถามได้ที่ 1111",
    "ขั้นตอนการยื่นคำร้องขอรับความช่วยเหลือผู้ประสบอุทกภัย ดูรายละเอียดในโพสต์นี้ #น้ำท่วม",
)


def _cookies(request: Request) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(request.headers.get("cookie", ""))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _bearer_sessionid(request: Request) -> str:
    header = request.headers.get("authorization", "")
    prefix = "Bearer IGT:2:"
    if not header.startswith(prefix):
        return ""
    try:
        claims = json.loads(base64.b64decode(header[len(prefix) :]))
    except (binascii.Error, ValueError):
        return ""
    return str(claims.get("sessionid", "")) if isinstance(claims, dict) else ""


def _login_redirect(request: Request) -> Response:
    return Response(302, b"", {"Location": f"{LOGIN_URL}?next={request.path}", "Content-Type": "text/html"})


def _after_index(posts: list[Media], after: str | None) -> int:
    if not after:
        return 0
    pk = after.split("_")[0]
    for index, media in enumerate(posts):
        if str(media.pk) == pk:
            return index + 1
    return len(posts)


def _offset_token(offset: int) -> str:
    cursor = base64.b64encode(f"o:{offset}".encode()).decode()
    return json.dumps({"server_cursor": cursor, "is_server_cursor_inverse": True})


def _token_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        cursor = json.loads(token)["server_cursor"]
        return int(base64.b64decode(cursor).decode().removeprefix("o:"))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return 0
