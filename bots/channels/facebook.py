"""Facebook: public replies under comments and posts, Messenger answers, and posts on the Page's own feed.

After a crash the outbox asks whether a reply already went out. Facebook keeps no idempotency key, so the
reply's own text is its marker: a comment by the Page with exactly this text under the same object (or a
Page message with it in the citizen's conversation) means it was delivered. Two different replies to one
object (an acknowledgement, later a resolution notice) differ in text, so they are never confused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from bots.channels.graph import GraphWriter, Unclear
from bots.channels.target import parse_target
from bots.channels.text import FACEBOOK_COMMENT_LIMIT, FACEBOOK_POST_LIMIT, MESSENGER_LIMIT, outgoing, same_text
from core.domain import Platform
from core.errors import DuplicatePost, PublishError
from core.ports import Sent

COMMENT_PAGES = 3  # newest 300 comments: a reply we sent minutes before a crash is among them
FEED_PAGES = 2


class FacebookReplier:
    """Implements core.ports.Replier for "comment:<id>" (post or comment) and "messenger:<psid>" targets."""

    platform = Platform.FACEBOOK
    can_confirm = True

    def __init__(self, writer: GraphWriter, page_id: str) -> None:
        self._graph = writer
        self._page_id = page_id

    def reply(self, target: str, text: str, key: str) -> Sent:
        kind, object_id = parse_target(target, ("comment", "messenger"))
        if kind == "comment":
            body = outgoing(text, FACEBOOK_COMMENT_LIMIT)
            return _deliver(lambda: self._comment(object_id, body), lambda: self._find_comment(object_id, body))
        body = outgoing(text, MESSENGER_LIMIT)
        return _deliver(lambda: self._message(object_id, body), lambda: self._find_message(object_id, body))

    def find_sent(self, target: str, key: str, text: str) -> Sent | None:
        kind, object_id = parse_target(target, ("comment", "messenger"))
        if kind == "comment":
            return self._find_comment(object_id, outgoing(text, FACEBOOK_COMMENT_LIMIT))
        return self._find_message(object_id, outgoing(text, MESSENGER_LIMIT))

    def _comment(self, object_id: str, body: str) -> Sent:
        answer = self._graph.post(f"{object_id}/comments", message=body)
        return Sent(str(answer.get("id", "")), f"https://www.facebook.com/{answer.get('id', object_id)}")

    def _message(self, psid: str, body: str) -> Sent:
        # RESPONSE: an answer inside the 24-hour window; outside it Graph refuses (code 10) and we stop.
        answer = self._graph.post(f"{self._page_id}/messages", recipient={"id": psid}, messaging_type="RESPONSE",
                                  message={"text": body})
        return Sent(str(answer.get("message_id", "")))

    def _find_comment(self, object_id: str, body: str) -> Sent | None:
        # Graph flattens a reply to a reply under the top-level comment: look where ours would have landed.
        where = self._thread_of(object_id)
        for item in _pages(self._graph, f"{where}/comments", COMMENT_PAGES, filter="stream",
                           order="reverse_chronological", fields="id,message,from,parent{id}", limit=100):
            if _by(item, self._page_id) and same_text(body, str(item.get("message", ""))) and \
                    _parent_of(item) in ("", where, object_id):
                return Sent(str(item["id"]), f"https://www.facebook.com/{item['id']}")
        return None

    def _thread_of(self, object_id: str) -> str:
        """The top-level comment a nested reply sits under; the object itself for posts and top-level comments."""
        try:
            shown = self._graph.get(object_id, fields="id,parent{id}")
        except PublishError as exc:
            if not exc.permanent:
                raise
            return object_id  # a post has no `parent` field and Graph refuses to show one (code 100)
        parent = shown.get("parent") if isinstance(shown.get("parent"), dict) else {}
        return str(parent.get("id") or object_id)

    def _find_message(self, psid: str, body: str) -> Sent | None:
        listing = self._graph.get(f"{self._page_id}/conversations", platform="messenger", user_id=psid,
                                  fields="id,messages.limit(50){id,message,from,created_time}")
        for conversation in listing.get("data") or []:
            for item in (conversation.get("messages") or {}).get("data") or []:
                if _by(item, self._page_id) and same_text(body, str(item.get("message", ""))):
                    return Sent(str(item["id"]))
        return None


class FacebookPoster:
    """Implements core.ports.Poster: a post on the Page's own feed."""

    platform = Platform.FACEBOOK
    can_confirm = True

    def __init__(self, writer: GraphWriter, page_id: str) -> None:
        self._graph = writer
        self._page_id = page_id

    def post(self, text: str, key: str) -> Sent:
        body = outgoing(text, FACEBOOK_POST_LIMIT)
        try:
            return _deliver(lambda: self._publish(body), lambda: self._find(body))
        except DuplicatePost as exc:
            found = self._find(body)
            raise DuplicatePost(str(exc), existing_id=found.platform_id if found else "") from None

    def find_posted(self, key: str, text: str) -> Sent | None:
        return self._find(outgoing(text, FACEBOOK_POST_LIMIT))

    def _publish(self, body: str) -> Sent:
        post_id = str(self._graph.post(f"{self._page_id}/feed", message=body).get("id", ""))
        return Sent(post_id, _post_url(post_id))

    def _find(self, body: str) -> Sent | None:
        for item in _pages(self._graph, f"{self._page_id}/feed", FEED_PAGES, fields="id,message,from,created_time",
                           limit=50):
            if _by(item, self._page_id) and same_text(body, str(item.get("message", ""))):
                return Sent(str(item["id"]), _post_url(str(item["id"])))
        return None


def _deliver(send: Callable[[], Sent], find: Callable[[], Sent | None]) -> Sent:
    """Send once; when Facebook's answer leaves us unsure, look before anyone tries again."""
    try:
        return send()
    except Unclear as unclear:
        try:
            found = find()
        except PublishError as exc:
            raise PublishError(f"{unclear}; could not check whether it went out ({exc}): check on Facebook "
                               "before sending it again", permanent=True) from None
        if found is not None:
            return found
        raise PublishError(f"{unclear}; not on Facebook, will try again") from None


def _pages(graph: GraphWriter, path: str, pages: int, **params: Any) -> Iterator[dict[str, Any]]:
    after: str | None = None
    for _ in range(pages):
        answer = graph.get(path, after=after, **params)
        yield from (item for item in answer.get("data") or [] if isinstance(item, dict))
        after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
        if not after or not (answer.get("paging") or {}).get("next"):
            return


def _by(item: dict[str, Any], page_id: str) -> bool:
    author = item.get("from")
    return isinstance(author, dict) and str(author.get("id", "")) == page_id


def _parent_of(item: dict[str, Any]) -> str:
    parent = item.get("parent")
    return str(parent.get("id", "")) if isinstance(parent, dict) else ""


def _post_url(post_id: str) -> str:
    page, _, number = post_id.partition("_")
    return f"https://www.facebook.com/{page}/posts/{number}" if number else f"https://www.facebook.com/{post_id}"
