"""The in-memory Facebook Page behind the Graph stand-in: posts, comments, Messenger threads, as Graph shows them."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.clock import Clock

MESSAGING_WINDOW = timedelta(hours=24)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
DUPLICATE_WINDOW = timedelta(hours=1)


def graph_time(moment: datetime) -> str:
    """Graph's REST time format: ISO-8601 with +0000, never Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def stable_number(kind: str, key: str, digits: int = 16) -> str:
    """A realistic, repeatable numeric id for a person (app-scoped id, PSID) from their handle."""
    number = int(hashlib.sha256(f"{kind}:{key}".encode()).hexdigest(), 16)
    return str(10 ** (digits - 1) + number % (9 * 10 ** (digits - 1)))


@dataclass
class Person:
    id: str
    name: str

    def ref(self) -> dict[str, str]:
        return {"name": self.name, "id": self.id}


@dataclass
class Node:
    """A post, comment or Messenger message."""

    id: str
    kind: str  # post | comment | message
    message: str
    author: Person
    created: datetime
    seq: int
    updated: datetime
    post_id: str = ""  # comments: the post they sit under
    parent_id: str = ""  # replies: the top-level comment they answer
    conversation_id: str = ""  # messages
    recipient: Person | None = None
    deleted: bool = False
    private_replied: bool = False


@dataclass
class Conversation:
    id: str
    user: Person
    updated: datetime
    seq: int
    message_ids: list[str] = field(default_factory=list)
    last_user_message_at: datetime | None = None


class PageState:
    """Everything the public and the Page have written; thread-safe, times from the injected clock."""

    def __init__(self, page_id: str, page_name: str, clock: Clock) -> None:
        self.page = Person(page_id, page_name)
        self.clock = clock
        self.nodes: dict[str, Node] = {}
        self.conversations: dict[str, Conversation] = {}
        self.scheduled: list[dict[str, Any]] = []
        self.lock = threading.RLock()
        self._seq = itertools.count(1)
        self._post_numbers = itertools.count(122_100_000_000_000_001)
        self._comment_numbers = itertools.count(1_021_300_000_000_001)
        self._listeners: list[Callable[[str, Node], None]] = []

    # --- people --------------------------------------------------------------------------
    def visitor(self, handle: str, name: str) -> Person:
        """The app-scoped id Graph shows for this member of the public on the Page's feed."""
        return Person(stable_number("asid", handle), name)

    def messenger_user(self, handle: str, name: str) -> Person:
        """The page-scoped id (PSID) Messenger uses for this person."""
        return Person(stable_number("psid", handle), name)

    def on_change(self, listener: Callable[[str, Node], None]) -> None:
        """Call `listener(verb, node)` after every add, edit and removal (the webhook feed)."""
        self._listeners.append(listener)

    # --- writing -----------------------------------------------------------------------------
    def add_post(self, author: Person, message: str, at: datetime | None = None) -> Node:
        with self.lock:
            seq, when = next(self._seq), at or self.clock.now()
            post = Node(f"{self.page.id}_{next(self._post_numbers)}", "post", message, author, when, seq, when)
            self.nodes[post.id] = post
        self._notify("add", post)
        return post

    def add_comment(self, target_id: str, author: Person, message: str) -> Node:
        """Comment on a post, or reply to a comment (a reply to a reply joins its top-level comment)."""
        with self.lock:
            target = self.live(target_id)
            if target is None or target.kind == "message":
                raise KeyError(target_id)
            post = target if target.kind == "post" else self.nodes[target.post_id]
            parent = "" if target.kind == "post" else (target.parent_id or target.id)
            seq, when = next(self._seq), self.clock.now()
            number = post.id.split("_", 1)[1]
            comment = Node(f"{number}_{next(self._comment_numbers)}", "comment", message, author, when, seq, when,
                           post_id=post.id, parent_id=parent)
            self.nodes[comment.id] = comment
            post.updated = when  # Graph: a post's updated_time moves when someone comments on it
        self._notify("add", comment)
        return comment

    def add_message(self, user: Person, message: str, *, from_page: bool = False) -> Node:
        """A Messenger message from `user` to the Page, or from the Page to `user`."""
        with self.lock:
            conversation = self._conversation_with(user)
            seq, when = next(self._seq), self.clock.now()
            author, recipient = (self.page, user) if from_page else (user, self.page)
            mid = "m_" + base64.urlsafe_b64encode(hashlib.sha256(f"mid:{seq}".encode()).digest()[:24]).decode()
            node = Node(mid, "message", message, author, when, seq, when, conversation_id=conversation.id,
                        recipient=recipient)
            self.nodes[mid] = node
            conversation.message_ids.append(mid)
            conversation.updated, conversation.seq = when, seq
            if not from_page:
                conversation.last_user_message_at = when
        self._notify("add", node)
        return node

    def edit(self, node_id: str, message: str) -> Node:
        with self.lock:
            node = self.nodes[node_id]
            node.message, node.updated = message, self.clock.now()
        self._notify("edited", node)
        return node

    def delete(self, node_id: str) -> Node:
        with self.lock:
            node = self.nodes[node_id]
            node.deleted = True
        self._notify("remove", node)
        return node

    def live(self, node_id: str) -> Node | None:
        node = self.nodes.get(node_id)
        return None if node is None or node.deleted else node

    def _conversation_with(self, user: Person) -> Conversation:
        for conversation in self.conversations.values():
            if conversation.user.id == user.id:
                return conversation
        conversation = Conversation(f"t_{stable_number('thread', user.id, 17)}", user, self.clock.now(), 0)
        self.conversations[conversation.id] = conversation
        return conversation

    def conversation_of(self, user_id: str) -> Conversation | None:
        with self.lock:
            return next((c for c in self.conversations.values() if c.user.id == user_id), None)

    def _notify(self, verb: str, node: Node) -> None:
        for listener in self._listeners:
            listener(verb, node)

    # --- reading ----------------------------------------------------------------------------
    def feed(self, *, own_only: bool = False) -> list[Node]:
        """The Page's feed, newest first: its own posts and the public's."""
        with self.lock:
            posts = [n for n in self.nodes.values() if n.kind == "post" and not n.deleted]
        if own_only:
            posts = [p for p in posts if p.author.id == self.page.id]
        return sorted(posts, key=lambda n: (n.created, n.seq), reverse=True)

    def comments(self, target_id: str, *, stream: bool, newest_first: bool) -> list[Node]:
        with self.lock:
            found = [n for n in self.nodes.values() if n.kind == "comment" and not n.deleted]
        target = self.nodes[target_id]
        if target.kind == "comment":
            found = [c for c in found if c.parent_id == target.id]
        elif stream:
            found = [c for c in found if c.post_id == target.id]
        else:
            found = [c for c in found if c.post_id == target.id and not c.parent_id]
        return sorted(found, key=lambda n: (n.created, n.seq), reverse=newest_first)

    def conversation_list(self) -> list[Conversation]:
        with self.lock:
            return sorted(self.conversations.values(), key=lambda c: (c.updated, c.seq), reverse=True)

    def messages(self, conversation_id: str) -> list[Node]:
        """A thread's messages, newest first, as Graph lists them."""
        with self.lock:
            found = [self.nodes[mid] for mid in self.conversations[conversation_id].message_ids]
        return sorted(found, key=lambda n: (n.created, n.seq), reverse=True)

    # --- Graph JSON -----------------------------------------------------------------------
    def post_json(self, post: Node) -> dict[str, Any]:
        number = post.id.split("_", 1)[1]
        own = post.author.id == self.page.id
        link = (f"https://www.facebook.com/{self.page.id}/posts/{number}" if own
                else f"https://www.facebook.com/permalink.php?story_fbid={number}&id={self.page.id}")
        shown: dict[str, Any] = {"id": post.id, "created_time": graph_time(post.created),
                                 "updated_time": graph_time(post.updated), "from": post.author.ref(),
                                 "permalink_url": link, "status_type": "mobile_status_update",
                                 "is_published": True}
        if post.message:
            shown["message"] = post.message  # Graph omits message on a post without text
        return shown

    def comment_json(self, comment: Node) -> dict[str, Any]:
        post = self.nodes[comment.post_id]
        replies = [n for n in self.nodes.values() if n.parent_id == comment.id and not n.deleted]
        post_link = self.post_json(post)["permalink_url"]
        joiner = "&" if "?" in post_link else "?"
        shown: dict[str, Any] = {
            "id": comment.id, "created_time": graph_time(comment.created), "from": comment.author.ref(),
            "message": comment.message,
            "permalink_url": f"{post_link}{joiner}comment_id={comment.id.split('_')[1]}",
            "comment_count": len(replies), "like_count": 0, "is_hidden": False,
            "can_reply_privately": comment.author.id != self.page.id and not comment.private_replied,
        }
        if comment.parent_id:
            shown["parent"] = {"id": comment.parent_id}
        return shown

    def message_json(self, message: Node) -> dict[str, Any]:
        recipient = message.recipient or self.page
        return {"id": message.id, "created_time": graph_time(message.created), "message": message.message,
                "from": {**message.author.ref(), "email": f"{message.author.id}@facebook.com"},
                "to": {"data": [{**recipient.ref(), "email": f"{recipient.id}@facebook.com"}]}}

    def conversation_json(self, conversation: Conversation) -> dict[str, Any]:
        people = [conversation.user, self.page]
        return {"id": conversation.id, "updated_time": graph_time(conversation.updated),
                "link": f"/{self.page.id}/inbox/{conversation.id}",
                "participants": {"data": [{**p.ref(), "email": f"{p.id}@facebook.com"} for p in people]},
                "message_count": len(conversation.message_ids), "unread_count": 0}

    def any_json(self, node: Node) -> dict[str, Any]:
        if node.kind == "post":
            return self.post_json(node)
        if node.kind == "comment":
            return self.comment_json(node)
        return self.message_json(node)


# --- fields and paging ---------------------------------------------------------------------------

def split_fields(spec: str) -> dict[str, str]:
    """`id,parent{id},messages.limit(5){message}` → {"id": "", "parent": "{id}", "messages": ".limit(5){message}"}."""
    fields: dict[str, str] = {}
    depth, start = 0, 0
    for index, char in enumerate(spec + ","):
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char == "," and depth == 0:
            part = spec[start:index].strip()
            if part:
                name = part.split("{", 1)[0].split(".", 1)[0]
                fields[name] = part[len(name):]
            start = index + 1
    return fields


def select(shown: dict[str, Any], spec: str | None, default: Sequence[str]) -> dict[str, Any]:
    """Keep only the asked-for top-level fields (Graph always returns id), as the real API does."""
    wanted = split_fields(spec) if spec else dict.fromkeys(default, "")
    picked = {name: shown[name] for name in wanted if name in shown}
    for name, modifiers in wanted.items():
        if name in picked and modifiers.startswith("{") and isinstance(picked[name], dict):
            inner = split_fields(modifiers[1:-1])
            picked[name] = {k: v for k, v in picked[name].items() if k in inner}
    return {"id": shown["id"], **picked} if "id" in shown else picked


def encode_cursor(moment: datetime, seq: int) -> str:
    raw = json.dumps([moment.timestamp(), seq]).encode()
    return base64.urlsafe_b64encode(b"QVFI" + raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, int]:
    """Raises ValueError for a cursor this sandbox never issued."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if not raw.startswith(b"QVFI"):
            raise ValueError(cursor)
        stamp, seq = json.loads(raw[4:])
        return float(stamp), int(seq)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc


def window(items: Sequence[Any], key: Callable[[Any], tuple[datetime, int]], *, after: str | None,
           limit: int, newest_first: bool) -> tuple[list[Any], str | None, str | None, bool]:
    """One page of `items` (already ordered) after the cursor: (chunk, before, after, more)."""
    start = 0
    if after:
        stamp, seq = decode_cursor(after)
        mark = (stamp, seq)

        def beyond(item: Any) -> bool:
            moment, item_seq = key(item)
            here = (moment.timestamp(), item_seq)
            return here < mark if newest_first else here > mark

        start = next((i for i, item in enumerate(items) if beyond(item)), len(items))
    chunk = list(items[start:start + limit])
    more = start + limit < len(items)
    if not chunk:
        return chunk, None, None, False
    return chunk, encode_cursor(*key(chunk[0])), encode_cursor(*key(chunk[-1])), more
