"""The Graph API endpoints of the Facebook stand-in: reading the Page, and the writes replies and broadcasts use."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sandbox.facebook_page import (
    DUPLICATE_WINDOW,
    MESSAGING_WINDOW,
    PRIVATE_REPLY_WINDOW,
    PageState,
    select,
    split_fields,
    window,
)
from sandbox.server import Request, Response, json_response

POST_FIELDS = ("id", "message", "created_time")
COMMENT_FIELDS = ("id", "message", "created_time", "from")
MESSAGE_FIELDS = ("id", "created_time")
CONVERSATION_FIELDS = ("id", "link", "updated_time")

ErrorFactory = Callable[..., Response]  # (message, code, *, subcode=None, status=400, **extra) -> Response


class GraphEndpoints:
    """Handlers `(request, params) -> Response` over the Page's state, answering as Graph does."""

    def __init__(self, state: PageState, url: Callable[[], str], error: ErrorFactory) -> None:
        self.state = state
        self._url = url
        self._error = error

    def no_object(self, object_id: str, method: str = "get") -> Response:
        return self._error(
            f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation. Please read the Graph API documentation "
            "at https://developers.facebook.com/docs/graph-api", 100, subcode=33)

    def _listing(self, request: Request, params: dict[str, str], items: list[Any], key: Any,
                 render: Any, default_fields: tuple[str, ...], *, newest_first: bool = True) -> Response:
        try:
            limit = max(1, min(int(params.get("limit", "25")), 100))
            chunk, before, after, more = window(items, key, after=params.get("after"), limit=limit,
                                                newest_first=newest_first)
        except ValueError as exc:
            return self._error(f"(#100) Invalid parameter: {exc}", 100)
        data = [select(render(item), params.get("fields"), default_fields) for item in chunk]
        body: dict[str, Any] = {"data": data}
        if before and after:
            body["paging"] = {"cursors": {"before": before, "after": after}}
            if more:
                query = {**request.query, "limit": str(limit), "after": after}
                query.setdefault("access_token", params.get("access_token", ""))
                body["paging"]["next"] = f"{self._url()}{request.path}?{urlencode(query)}"
            if params.get("after"):
                query = {k: v for k, v in {**request.query, "before": before}.items() if k != "after"}
                body["paging"]["previous"] = f"{self._url()}{request.path}?{urlencode(query)}"
        return json_response(body)

    def feed(self, request: Request, params: dict[str, str]) -> Response:
        posts = self.state.feed()
        try:
            since, until = _time_param(params.get("since")), _time_param(params.get("until"))
        except ValueError as exc:
            return self._error(f"(#100) {exc}", 100)
        posts = [p for p in posts if (since is None or p.created >= since) and (until is None or p.created < until)]
        return self._listing(request, params, posts, lambda n: (n.created, n.seq), self.state.post_json,
                             POST_FIELDS)

    def own_posts(self, request: Request, params: dict[str, str]) -> Response:
        return self._listing(request, params, self.state.feed(own_only=True), lambda n: (n.created, n.seq),
                             self.state.post_json, POST_FIELDS)

    def comments(self, request: Request, params: dict[str, str]) -> Response:
        target = self.state.live(request.match["obj"])
        if target is None or target.kind == "message":
            return self.no_object(request.match["obj"])
        stream = params.get("filter", "toplevel") == "stream"
        newest_first = params.get("order", "chronological") == "reverse_chronological"
        found = self.state.comments(target.id, stream=stream, newest_first=newest_first)
        answer = self._listing(request, params, found, lambda n: (n.created, n.seq), self.state.comment_json,
                               COMMENT_FIELDS, newest_first=newest_first)
        if params.get("summary") == "true" and answer.status == 200:
            body = json.loads(answer.body)
            order = "reverse_chronological" if newest_first else "chronological"
            body["summary"] = {"order": order, "total_count": len(found), "can_comment": True}
            answer = json_response(body)
        return answer

    def conversations(self, request: Request, params: dict[str, str]) -> Response:
        if params.get("platform", "messenger") != "messenger":
            return self._listing(request, params, [], lambda c: (c.updated, c.seq), None, CONVERSATION_FIELDS)
        threads = self.state.conversation_list()
        if params.get("user_id"):
            threads = [c for c in threads if c.user.id == params["user_id"]]
        fields = split_fields(params.get("fields") or ",".join(CONVERSATION_FIELDS))

        def render(conversation: Any) -> dict[str, Any]:
            shown = self.state.conversation_json(conversation)
            if "messages" in fields:
                inner = fields["messages"]
                limit = int(inner.split("limit(", 1)[1].split(")", 1)[0]) if "limit(" in inner else 25
                spec = inner.split("{", 1)[1].rsplit("}", 1)[0] if "{" in inner else ""
                newest = self.state.messages(conversation.id)[:limit]
                shown["messages"] = {"data": [select(self.state.message_json(m), spec, MESSAGE_FIELDS)
                                              for m in newest]}
            return shown

        return self._listing(request, params, threads, lambda c: (c.updated, c.seq), render, CONVERSATION_FIELDS)

    def thread_messages(self, request: Request, params: dict[str, str]) -> Response:
        if request.match["obj"] not in self.state.conversations:
            return self.no_object(request.match["obj"])
        found = self.state.messages(request.match["obj"])
        return self._listing(request, params, found, lambda n: (n.created, n.seq), self.state.message_json,
                             MESSAGE_FIELDS)

    def object(self, request: Request, params: dict[str, str]) -> Response:
        wanted = request.match["obj"]
        if wanted in ("me", self.state.page.id):
            return json_response(select({"id": self.state.page.id, "name": self.state.page.name}, params.get("fields"),
                                        ("id", "name")))
        if wanted in self.state.conversations:
            shown = self.state.conversation_json(self.state.conversations[wanted])
            return json_response(select(shown, params.get("fields"), CONVERSATION_FIELDS))
        node = self.state.live(wanted)
        if node is None:
            return self.no_object(wanted)
        defaults = {"post": POST_FIELDS, "comment": COMMENT_FIELDS}.get(node.kind, MESSAGE_FIELDS)
        return json_response(select(self.state.any_json(node), params.get("fields"), defaults))

    # --- writes the later reply and broadcast adapters use ---------------------------------------------
    def reply(self, request: Request, params: dict[str, str]) -> Response:
        message = params.get("message", "")
        if not message:
            return self._error("(#100) The parameter message is required", 100)
        try:
            reply = self.state.add_comment(request.match["obj"], self.state.page, message)
        except KeyError:
            return self.no_object(request.match["obj"], "post")
        return json_response({"id": reply.id})

    def publish_post(self, request: Request, params: dict[str, str]) -> Response:
        message = params.get("message", "")
        if not message and not params.get("link"):
            return self._error("(#100) Missing message or attachment", 100)
        if params.get("published", "true") == "false":
            post_id = f"{self.state.page.id}_{len(self.state.scheduled) + 900_000_000_000_001}"
            self.state.scheduled.append({"id": post_id, "message": message, **params})
            return json_response({"id": post_id})
        recent = self.state.clock.now() - DUPLICATE_WINDOW
        for post in self.state.feed(own_only=True):
            if post.message == message and post.created >= recent:
                return self._error(
                    "Duplicate status message", 506, subcode=1455006, error_user_title="Duplicate Post",
                    error_user_msg="This status update is identical to the last one you posted. Try posting "
                                   "something different, or delete your previous update.")
        return json_response({"id": self.state.add_post(self.state.page, message).id})

    def send_message(self, request: Request, params: dict[str, str]) -> Response:
        try:
            recipient = json.loads(params.get("recipient") or "{}")
            text = json.loads(params.get("message") or "{}").get("text", "")
        except (ValueError, AttributeError):
            return self._error("(#100) Param recipient and message must be JSON objects", 100)
        if not text:
            return self._error("(#100) The parameter message is required", 100)
        if "comment_id" in recipient:
            comment = self.state.live(str(recipient["comment_id"]))
            if comment is None or comment.kind != "comment":
                return self.no_object(str(recipient["comment_id"]), "post")
            if comment.private_replied or self.state.clock.now() - comment.created > PRIVATE_REPLY_WINDOW:
                return self._error("(#10) This message is sent outside of allowed window.", 10, subcode=2018278)
            comment.private_replied = True
            user = self.state.messenger_user(f"comment:{comment.author.id}", comment.author.name)
            sent = self.state.add_message(user, text, from_page=True)
            return json_response({"recipient_id": user.id, "message_id": sent.id})
        conversation = self.state.conversation_of(str(recipient.get("id", "")))
        if conversation is None:
            return self._error("(#100) No matching user found", 100, subcode=2018001)
        last = conversation.last_user_message_at
        if last is None or self.state.clock.now() - last > MESSAGING_WINDOW:
            return self._error("(#10) This message is sent outside of allowed window.", 10, subcode=2018278)
        sent = self.state.add_message(conversation.user, text, from_page=True)
        return json_response({"recipient_id": conversation.user.id, "message_id": sent.id})


def _time_param(value: str | None) -> datetime | None:
    """since/until: a unix timestamp or an ISO-8601 time (Graph also takes strtotime strings)."""
    if value is None or value == "":
        return None
    if value.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(value), tz=UTC)
    try:
        moment = datetime.fromisoformat(value.replace("+0000", "+00:00"))
    except ValueError:
        raise ValueError(f"Invalid time value {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
