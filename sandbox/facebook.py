"""A Graph API stand-in for one government Facebook Page: feed, comments, Messenger, tokens, limits, webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.clock import Clock, SystemClock
from sandbox.facebook_graph import GraphEndpoints
from sandbox.facebook_page import Node, PageState, Person
from sandbox.facebook_webhooks import Webhooks
from sandbox.seed import SeedPost
from sandbox.server import Failure, PlatformServer, Request, Response, json_response, text_response

V = r"/(?P<version>v\d+\.\d+)"
ANY_GRAPH_PATH = r"/v\d+\.\d+/.*"
# Made-up credentials for the stand-in only (never valid anywhere else).
SANDBOX_TOKEN = "EAAMsandboxPAGEtoken1111"
SANDBOX_APP_SECRET = "sandbox-app-secret-1111"
SANDBOX_VERIFY_TOKEN = "sandbox-verify-1111"

RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
    80006: "(#80006) There have been too many messenger api calls to this Page account. Wait a bit and try again.",
}
ANNOUNCEMENTS = (
    "ประกาศ: ศูนย์บริการข้อมูลภาครัฐเพื่อประชาชน 1111 ให้บริการตลอด 24 ชั่วโมง สอบถามได้ที่เพจนี้หรือโทร 1111",
    "แจ้งเตือน: กรมอุตุนิยมวิทยาประกาศเตือนฝนตกหนักภาคเหนือ 24–26 พ.ย. 2569 โปรดติดตามประกาศอย่างใกล้ชิด",
    "ขั้นตอนการต่ออายุบัตรประจำตัวประชาชน ทำได้ที่สำนักงานเขตหรือที่ว่าการอำเภอทุกแห่ง ล่วงหน้าได้ 60 วัน",
)
REPLY_PEOPLE = (("น้องฝ้าย ใจดี", "fai.jaidee"), ("ลุงสมาน นครปฐม", "samarn_np"), ("Nok Siriporn", "nok.siri"),
                ("พี่ต้น ขอนแก่น", "ton_kk"), ("แม่บ้านสายบุญ", "saiboon_mom"))


@dataclass
class Hold:
    """Holds matching requests until released: lets a test act while a poll is provably mid-flight."""

    pattern: str
    skip: int = 0  # let this many matching requests through first
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


class FacebookSandbox(PlatformServer):
    """The Graph API at /{version}/... for one Page, with failure modes and Meta-style webhooks."""

    name = "facebook"

    def __init__(self, clock: Clock | None = None, *, page_id: str = "104857600123456",
                 page_name: str = "ศูนย์บริการข้อมูลภาครัฐเพื่อประชาชน 1111", app_id: str = "880011223344556",
                 access_token: str = SANDBOX_TOKEN, app_secret: str = SANDBOX_APP_SECRET,
                 verify_token: str = SANDBOX_VERIFY_TOKEN, api_version: str = "v25.0",
                 announcements: int = 3) -> None:
        super().__init__()
        self.clock = clock or SystemClock()
        self.state = PageState(page_id, page_name, self.clock)
        self.app_id, self.access_token, self.app_secret = app_id, access_token, app_secret
        self.verify_token, self.api_version = verify_token, api_version
        self.webhooks = Webhooks(self.state, app_id)
        self.token_expires_at: datetime | None = self.clock.now() + timedelta(days=60)
        self.token_expired = False
        self.require_appsecret_proof = False
        self.usage_override: tuple[int, int] | None = None  # (percent, regain minutes)
        self.hourly_budget = 2000
        self._holds: list[Hold] = []
        self._call_times: list[datetime] = []
        self._expired_subcode = 463
        self._trace = 0
        self.announcements = [
            self.state.add_post(self.state.page, text, at=self.clock.now() - timedelta(hours=len(ANNOUNCEMENTS) - i))
            for i, text in enumerate(ANNOUNCEMENTS[:announcements])
        ]
        self._next_announcement = 0
        self._add_routes()

    @property
    def page_id(self) -> str:
        return self.state.page.id

    def env(self) -> dict[str, str]:
        """The GCC1111_FACEBOOK__* settings that point the product at this stand-in."""
        prefix = "GCC1111_FACEBOOK__"
        return {f"{prefix}GRAPH_URL": self.url + "/", f"{prefix}PAGE_ID": self.page_id,
                f"{prefix}ACCESS_TOKEN": self.access_token, f"{prefix}APP_SECRET": self.app_secret,
                f"{prefix}VERIFY_TOKEN": self.verify_token, f"{prefix}API_VERSION": self.api_version}

    # --- the public writing ---------------------------------------------------------------------
    def publish(self, post: SeedPost) -> None:
        """A member of the public writes `post`: a visitor post, a comment on an announcement, or a DM."""
        if post.kind == "message":
            user = self.state.messenger_user(post.handle, post.author)
            for text in (post.text, *post.replies):
                self.state.add_message(user, text)
            return
        author = self.state.visitor(post.handle, post.author)
        if post.kind == "comment" and self.announcements:
            announcement = self.announcements[self._next_announcement % len(self.announcements)]
            self._next_announcement += 1
            top = self.state.add_comment(announcement.id, author, post.text)
        else:
            top = self.state.add_post(author, post.text)
        for index, text in enumerate(post.replies):
            name, handle = REPLY_PEOPLE[(len(post.text) + index) % len(REPLY_PEOPLE)]
            self.state.add_comment(top.id, self.state.visitor(handle, name), text)

    def visitor_post(self, text: str, handle: str = "somchai.th", name: str = "สมชาย ใจงาม") -> Node:
        return self.state.add_post(self.state.visitor(handle, name), text)

    def comment(self, target_id: str, text: str, handle: str = "malee.k", name: str = "มาลี แก้วกาญจนา") -> Node:
        return self.state.add_comment(target_id, self.state.visitor(handle, name), text)

    def page_post(self, text: str) -> Node:
        return self.state.add_post(self.state.page, text)

    def page_reply(self, target_id: str, text: str) -> Node:
        return self.state.add_comment(target_id, self.state.page, text)

    def message(self, text: str, handle: str = "pim.ch", name: str = "พิมพ์ ชนะชัย") -> Node:
        return self.state.add_message(self.state.messenger_user(handle, name), text)

    def react(self, post_id: str, handle: str = "somchai.th", name: str = "สมชาย ใจงาม") -> None:
        self.webhooks.reaction(self.state.nodes[post_id], self.state.visitor(handle, name).id, name)

    def subscribe(self, callback_url: str, verify_token: str, app_secret: str) -> bool:
        """Meta's webhook set-up: GET handshake first, then signed POSTs of every change."""
        return self.webhooks.subscribe(callback_url, verify_token, app_secret)

    # --- failure modes ------------------------------------------------------------------------
    def rate_limit(self, code: int = 4, regain_minutes: int = 0, *, times: int | None = 1,
                   path: str = ANY_GRAPH_PATH, status: int = 400) -> None:
        """Answer with a Graph throttling error and usage headers at 100 %."""
        message = RATE_LIMIT_MESSAGES.get(code, f"(#{code}) Rate limit reached")
        response = self._error(message, code, status=status, transient=True)
        response.headers.update(self._usage_headers(100, regain_minutes))
        self.fail(path, Failure(response, times))

    def error(self, code: int, message: str = "", *, subcode: int | None = None, status: int = 400,
              times: int | None = 1, path: str = ANY_GRAPH_PATH) -> None:
        """Answer with any Graph error envelope (OAuthException code/subcode/fbtrace_id)."""
        self.fail(path, Failure(self._error(message or f"(#{code}) Error", code, subcode=subcode, status=status),
                                times))

    def set_usage(self, percent: int | None, regain_minutes: int = 0) -> None:
        """Report this usage on every answer from now on (None: back to the real count)."""
        self.usage_override = None if percent is None else (percent, regain_minutes)

    def expire_token(self, subcode: int = 463) -> None:
        self.token_expired, self._expired_subcode = True, subcode
        self.token_expires_at = self.clock.now() - timedelta(minutes=1)

    def renew_token(self) -> None:
        self.token_expired = False
        self.token_expires_at = self.clock.now() + timedelta(days=60)

    def server_error(self, code: int = 1, *, status: int = 500, times: int | None = 1,
                     path: str = ANY_GRAPH_PATH, html: bool = False) -> None:
        if html:
            response = text_response("<html><body><h1>502 Bad Gateway</h1></body></html>", status=502)
        else:
            message = {1: "An unknown error has occurred.",
                       2: "An unexpected error has occurred. Please retry your request later."}.get(code, "Error")
            response = self._error(message, code, status=status, transient=True)
        self.fail(path, Failure(response, times))

    def malformed(self, kind: str = "html", *, times: int | None = 1, path: str = ANY_GRAPH_PATH) -> None:
        """A 200 answer we cannot read: "html", "missing_fields", "no_content_type" or "truncated"."""
        if kind == "html":
            response = text_response("<!DOCTYPE html><html><head><title>Facebook</title></head><body>"
                                     "<div>Sorry, something went wrong. เกิดข้อผิดพลาด</div></body></html>")
        elif kind == "missing_fields":
            next_url = f"{self.url}/{self.api_version}/{self.page_id}/feed?access_token={self.access_token}&after=QQ"
            response = json_response({"data": [{"message": "ข้อความที่ไม่มี id", "from": {"name": "?"}}],
                                      "paging": {"cursors": {"before": "QQ", "after": "QQ"}, "next": next_url}})
        elif kind == "no_content_type":
            response = Response(200, json.dumps({"data": []}).encode(), {})
        elif kind == "truncated":
            response = Response(200, b'{"data": [{"id": "1', {"Content-Type": "application/json; charset=UTF-8"})
        else:
            raise ValueError(f"unknown malformed kind {kind!r}")
        self.fail(path, Failure(response, times))

    def hold(self, pattern: str, skip: int = 0) -> Hold:
        """Stop answering requests whose path matches `pattern` (after `skip` of them) until `.release()`."""
        held = Hold(pattern, skip)
        with self._lock:
            self._holds.append(held)
        return held

    # --- plumbing: auth, usage headers, holds -------------------------------------------------------
    def _respond(self, request: Request) -> Response:
        for held in list(self._holds):
            if held.released.is_set() or not _fullmatch(held.pattern, request.path):
                continue
            with self._lock:
                held.skip -= 1
                passes = held.skip >= 0
            if not passes:
                held.arrived.set()
                held.released.wait(timeout=60)
        with self._lock:
            self._call_times.append(self.clock.now())
        answer = super()._respond(request)
        headers = dict(answer.headers)
        for name, value in self._usage_headers(*self._usage()).items():
            headers.setdefault(name, value)
        version = request.path.split("/")[1] if request.path.count("/") > 1 else self.api_version
        headers.setdefault("facebook-api-version", version)
        headers.setdefault("x-fb-trace-id", self._fbtrace())
        return Response(answer.status, answer.body, headers)

    def _usage(self) -> tuple[int, int]:
        """The override, else calls in the last hour as a share of the hourly budget."""
        if self.usage_override is not None:
            return self.usage_override
        since = self.clock.now() - timedelta(hours=1)
        with self._lock:
            self._call_times = [t for t in self._call_times if t >= since]
            recent = len(self._call_times)
        return min(100, recent * 100 // self.hourly_budget), 0

    def _usage_headers(self, percent: int, regain_minutes: int) -> dict[str, str]:
        usage = {"call_count": percent, "total_cputime": max(percent // 2, 1), "total_time": max(percent // 2, 1)}
        buc = {self.page_id: [{"type": "pages", **usage, "estimated_time_to_regain_access": regain_minutes}]}
        return {"X-App-Usage": json.dumps(usage), "X-Page-Usage": json.dumps(usage),
                "X-Business-Use-Case-Usage": json.dumps(buc)}

    def _fbtrace(self) -> str:
        with self._lock:
            self._trace += 1
            return "A" + hashlib.sha256(f"trace{self._trace}".encode()).hexdigest()[:22]

    def _error(self, message: str, code: int, *, subcode: int | None = None, status: int = 400,
               transient: bool = False, **extra: Any) -> Response:
        error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        if transient:
            error["is_transient"] = True
        error.update(extra)
        error["fbtrace_id"] = self._fbtrace()
        return json_response({"error": error}, status=status)

    def _auth_error(self, params: dict[str, str]) -> Response | None:
        token = params.get("access_token", "")
        if not token:
            return self._error("An access token is required to request this resource.", 104)
        if token != self.access_token:
            return self._error("Invalid OAuth access token - Cannot parse access token", 190)
        if self.token_expired:
            subcode = self._expired_subcode
            when = (self.token_expires_at or self.clock.now()).strftime("%A, %d-%b-%y %H:%M:%S UTC")
            return self._error(f"Error validating access token: Session has expired on {when}. The current time "
                               f"is {self.clock.now():%A, %d-%b-%y %H:%M:%S} UTC.", 190, subcode=subcode,
                               error_user_title="", error_user_msg="")
        proof = params.get("appsecret_proof")
        expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if proof is not None and not hmac.compare_digest(proof, expected):
            return self._error("Invalid appsecret_proof provided in the API argument", 100)
        if proof is None and self.require_appsecret_proof:
            return self._error("API calls from the server require an appsecret_proof argument", 100)
        return None

    def _graph(self, handler: Any) -> Any:
        def guarded(request: Request) -> Response:
            params = request.params()
            refused = self._auth_error(params)
            return refused if refused is not None else handler(request, params)
        return guarded

    # --- routes -----------------------------------------------------------------------------------
    def _add_routes(self) -> None:
        page = rf"(?P<page>{self.page_id})"
        self.route("GET", V + r"/debug_token", self._debug_token)
        graph = GraphEndpoints(self.state, lambda: self.url, self._error)
        self.route("GET", V + rf"/{page}/feed", self._graph(graph.feed))
        self.route("GET", V + rf"/{page}/(?:posts|published_posts)", self._graph(graph.own_posts))
        self.route("POST", V + rf"/{page}/feed", self._graph(graph.publish_post))
        self.route("GET", V + rf"/{page}/conversations", self._graph(graph.conversations))
        self.route("POST", V + rf"/{page}/messages", self._graph(graph.send_message))
        self.route("GET", V + r"/(?P<obj>t_\w+)/messages", self._graph(graph.thread_messages))
        self.route("GET", V + r"/(?P<obj>\w+)/comments", self._graph(graph.comments))
        self.route("POST", V + r"/(?P<obj>\w+)/comments", self._graph(graph.reply))
        self.route("GET", V + r"/(?P<obj>\w+)", self._graph(graph.object))

    def _debug_token(self, request: Request) -> Response:
        params = request.params()
        caller = params.get("access_token", "")
        if caller not in (self.access_token, f"{self.app_id}|{self.app_secret}"):
            return self._error("Invalid OAuth access token - Cannot parse access token", 190)
        valid = params.get("input_token") == self.access_token and not self.token_expired
        expires = 0 if self.token_expires_at is None else int(self.token_expires_at.timestamp())
        data: dict[str, Any] = {
            "app_id": self.app_id, "type": "PAGE", "application": "GCC 1111 Social Desk",
            "data_access_expires_at": int((self.clock.now() + timedelta(days=90)).timestamp()),
            "expires_at": expires, "is_valid": valid, "profile_id": self.page_id,
            "issued_at": int((self.clock.now() - timedelta(days=1)).timestamp()),
            "scopes": ["pages_show_list", "pages_read_engagement", "pages_manage_engagement",
                       "pages_read_user_content", "pages_manage_posts", "pages_messaging"],
            "user_id": "100000000000001",
        }
        if not valid:
            data["error"] = {"code": 190, "message": "Error validating access token: Session has expired",
                             "subcode": 463}
        return json_response({"data": data})

    # --- what tests inspect --------------------------------------------------------------------------
    def page_comments(self) -> list[Node]:
        """Comments the Page itself wrote (the reply adapter's visible effect)."""
        with self.state.lock:
            return [n for n in self.state.nodes.values() if n.kind == "comment" and n.author == self.state.page]

    def page_messages(self) -> list[Node]:
        with self.state.lock:
            return [n for n in self.state.nodes.values() if n.kind == "message" and n.author == self.state.page]

    def person(self, handle: str, name: str = "") -> Person:
        return self.state.visitor(handle, name)


def _fullmatch(pattern: str, path: str) -> bool:
    return re.fullmatch(pattern, path) is not None

