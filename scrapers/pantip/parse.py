"""Pantip's pages and JSON read into plain values and Mentions; anything unexpected is a ParseError with its body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import lxml.html
from lxml import etree
from parsel import Selector

from core.clock import BANGKOK
from core.domain import Mention, Platform
from core.errors import ParseError

PUBLIC_URL = "https://pantip.com"
UTIME_FORMATS = ("%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class TopicRef:
    """A topic as a listing or the search shows it: enough to decide whether to read it."""

    tid: int
    comments: int
    topic_type: int | None = None


@dataclass(frozen=True)
class Listing:
    topics: list[TopicRef]
    next_id: int | None


@dataclass(frozen=True)
class TopicPage:
    """What the server-rendered topic page tells us."""

    tid: int
    topic_type: int
    title: str
    story: str
    author: str
    author_id: str
    posted_at: datetime
    tags: list[str]
    story_html: str


def topic_url(tid: int | str, comment_no: int | None = None) -> str:
    """The public address of a topic or of one comment in it."""
    base = f"{PUBLIC_URL}/topic/{tid}"
    return base if comment_no is None else f"{base}/comment{comment_no}"


def bangkok_time(value: str) -> datetime:
    """Pantip writes times as Bangkok wall-clock strings ("05/01/2026 14:03:22"); storage wants UTC."""
    for pattern in UTIME_FORMATS:
        try:
            return datetime.strptime(value.strip(), pattern).replace(tzinfo=BANGKOK).astimezone(UTC)
        except ValueError:
            continue
    raise ValueError(f"unknown Pantip time {value!r}")


def html_to_text(fragment: str) -> str:
    """A post or comment's HTML as the text its author typed: line breaks kept, tags and images dropped."""
    if not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for br in root.iter("br"):
        tail = br.tail or ""
        # "<br />\n" in the source is one line break on screen, not two.
        br.tail = "\n" + (tail[1:] if tail.startswith("\n") else tail)
    for dropped in root.xpath(".//script | .//style | .//img"):
        dropped.drop_tree()
    return str(root.text_content()).strip()


def parse_listing(payload: Any, body: str) -> Listing:
    """A tag's or room's latest topics (`/api/forum-service/forum/tag_topic`, `/room_topic`)."""
    try:
        topics = [
            TopicRef(int(item["topic_id"]), int(item.get("comments_count") or 0), _int_or_none(item.get("topic_type")))
            for item in payload["data"]
        ]
        next_id = _int_or_none(payload.get("next_id"))
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"listing without the expected fields ({type(exc).__name__}: {exc})", body) from exc
    return Listing(topics, next_id)


def parse_search(payload: Any, body: str) -> Listing:
    """Keyword search results (`/api/search-service/search/getresult`); the search does not page usefully."""
    try:
        topics = [TopicRef(int(item["id"]), int(item.get("total_comment") or 0)) for item in payload["data"] or []]
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"search result without the expected fields ({type(exc).__name__}: {exc})", body) from exc
    return Listing(topics, None)


def parse_topic(tid: int, page: str) -> TopicPage:
    """The topic page; a page without the expected markup (a redesign, an error page) is a ParseError."""
    selector = Selector(text=page)
    title = _first(selector, "h1.display-post-title", "h2.display-post-title")
    story_html = selector.css(".main-post-inner .display-post-story").get() or selector.css(
        ".display-post-story").get()
    topic_type = selector.css("input#topic-type::attr(value)").get()
    utime = selector.css("abbr.timeago::attr(data-utime)").get()
    if title is None or story_html is None or topic_type is None or utime is None:
        missing = [name for name, value in (("title", title), ("story", story_html), ("topic-type", topic_type),
                                            ("timeago", utime)) if value is None]
        raise ParseError(f"topic {tid}: page without the expected markup ({', '.join(missing)})", page)
    try:
        posted_at, kind = bangkok_time(utime), int(topic_type)
    except ValueError as exc:
        raise ParseError(f"topic {tid}: {exc}", page) from exc
    author_link = selector.css(".display-post-name")
    return TopicPage(
        tid=tid,
        topic_type=kind,
        title=title,
        story=html_to_text(story_html),
        author=(author_link.css("::text").get() or "").strip(),
        author_id=(author_link.attrib.get("href", "").rstrip("/").rsplit("/", 1)[-1]) if author_link else "",
        posted_at=posted_at,
        tags=[t.strip() for t in selector.css(".display-post-tag-wrapper a.tag-item::text").getall()],
        story_html=story_html,
    )


def topic_mention(topic: TopicPage, source: str) -> Mention:
    text = topic.title if not topic.story else f"{topic.title}\n\n{topic.story}"
    return Mention(
        platform=Platform.PANTIP,
        external_id=f"topic:{topic.tid}",
        text=text,
        posted_at=topic.posted_at,
        source=source,
        author_handle=topic.author_id,
        author_name=topic.author,
        url=topic_url(topic.tid),
        thread_id=str(topic.tid),
        raw={"tid": topic.tid, "topic_type": topic.topic_type, "title": topic.title, "tags": topic.tags,
             "story_html": topic.story_html},
    )


@dataclass(frozen=True)
class CommentsPage:
    mentions: list[Mention]
    max_comments: int
    last_comment_no: int


def parse_comments(tid: int, payload: Any, body: str, source: str) -> CommentsPage:
    """One render_comments page: its comments and their replies, each a Mention."""
    try:
        mentions: list[Mention] = []
        last = 0
        for comment in payload["comments"]:
            number = int(comment["comment_no"])
            last = max(last, number)
            mentions.append(_comment_mention(tid, comment, source))
            mentions.extend(_reply_mention(tid, number, reply, source) for reply in comment.get("replies") or [])
        paging = payload.get("paging") or {}
        total = int(paging.get("max_comments", payload.get("count", last)))
    except (KeyError, TypeError, ValueError, etree.LxmlError) as exc:
        raise ParseError(f"topic {tid}: comments without the expected fields ({type(exc).__name__}: {exc})",
                         body) from exc
    return CommentsPage(mentions, total, last)


def _comment_mention(tid: int, comment: dict[str, Any], source: str) -> Mention:
    number = int(comment["comment_no"])
    user = comment.get("user") or {}
    return Mention(
        platform=Platform.PANTIP,
        external_id=f"comment:{tid}:{number}",
        text=html_to_text(str(comment["message"])),
        posted_at=bangkok_time(str(comment["data_utime"])),
        source=source,
        author_handle=str(user.get("mid") or ""),
        author_name=str(user.get("name") or ""),
        url=topic_url(tid, number),
        thread_id=str(tid),
        raw={key: value for key, value in comment.items() if key != "replies"},
    )


def _reply_mention(tid: int, comment_no: int, reply: dict[str, Any], source: str) -> Mention:
    number = int(reply["reply_no"])
    user = reply.get("user") or {}
    return Mention(
        platform=Platform.PANTIP,
        external_id=f"reply:{tid}:{comment_no}:{number}",
        text=html_to_text(str(reply["message"])),
        posted_at=bangkok_time(str(reply["data_utime"])),
        source=source,
        author_handle=str(user.get("mid") or ""),
        author_name=str(user.get("name") or ""),
        url=topic_url(tid, comment_no),
        thread_id=str(tid),
        parent_id=f"comment:{tid}:{comment_no}",
        raw=reply,
    )


def _first(selector: Selector, *queries: str) -> str | None:
    for query in queries:
        found = selector.css(query)
        if found:
            return str(found[0].xpath("string()").get()).strip()
    return None


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)
