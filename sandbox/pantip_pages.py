"""Pantip's topics as its server renders them: the topic page HTML and the JSON of comments and listings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

from core.clock import BANGKOK

PUBLIC = "https://pantip.com"
AVATAR = "https://ptcdn.info/images/avatar_member_default.png"


@dataclass
class Member:
    mid: int
    name: str

    def json(self) -> dict[str, Any]:
        return {"mid": self.mid, "name": self.name, "link": f"{PUBLIC}/profile/{self.mid}",
                "avatar": {"original": AVATAR, "large": AVATAR, "medium": AVATAR}}


@dataclass
class Reply:
    no: int
    author: Member
    text: str
    at: datetime


@dataclass
class Comment:
    no: int
    author: Member
    text: str
    at: datetime
    replies: list[Reply] = field(default_factory=list)


@dataclass
class Topic:
    tid: int
    topic_type: int
    title: str
    story: str
    author: Member
    at: datetime
    room: str
    tags: list[str]
    comments: list[Comment] = field(default_factory=list)


def utime(moment: datetime) -> str:
    """Pantip's data_utime: Bangkok wall-clock time as MM/DD/YYYY HH:MM:SS."""
    return moment.astimezone(BANGKOK).strftime("%m/%d/%Y %H:%M:%S")


def message_html(text: str) -> str:
    """Text as Pantip stores a message: HTML-escaped, line breaks as <br />."""
    return escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br />")


def topic_page(topic: Topic) -> str:
    """The server-rendered topic page, with the markup scrapers read (comments come later by AJAX)."""
    tags = "".join(f'<a class="tag-item" href="/tag/{escape(t)}">{escape(t)}</a>' for t in topic.tags)
    title = escape(topic.title)
    return f"""<!DOCTYPE html>
<html lang="th"><head><meta charset="utf-8">
<title>{title} - Pantip</title>
<meta property="og:title" content="{title}">
<meta property="og:description" content="{escape(topic.story[:120])}">
<link rel="canonical" href="{PUBLIC}/topic/{topic.tid}">
</head><body>
<div id="ads-top"><a href="/ads.php?zone=top">โฆษณา</a></div>
<div class="display-post-wrapper main-post type-{topic.topic_type}">
<div class="display-post-wrapper-inner"><div class="main-post-inner">
<h1 class="display-post-title">{title}</h1>
<div class="display-post-story">{message_html(topic.story)}</div>
<div class="display-post-tag-wrapper">{tags}</div>
<div class="display-post-status-leftside">
<div class="display-post-avatar"><a href="/profile/{topic.author.mid}"><img src="{AVATAR}" alt=""></a></div>
<a class="display-post-name owner" href="/profile/{topic.author.mid}">{escape(topic.author.name)}</a>
<span class="display-post-timestamp"><abbr class="timeago" data-utime="{utime(topic.at)}"
 title="{utime(topic.at)}"></abbr></span>
</div>
<span class="like-score">{len(topic.comments) % 7}</span>
</div></div></div>
<div id="comments-jsrender"></div>
<input type="hidden" id="topicid_lead" value="{topic.tid}">
<input type="hidden" id="topic-type" value="{topic.topic_type}">
<input type="hidden" id="room-topic" value="{escape(topic.room)}">
</body></html>"""


def redesigned_page(topic: Topic) -> str:
    """The same topic after a front-end redesign: none of the old class names or hidden inputs."""
    return f"""<!DOCTYPE html><html lang="th"><head><meta charset="utf-8"><title>{escape(topic.title)}</title></head>
<body><div id="__next"><main><article data-testid="topic"><header><p class="sc-ttl-7f2a">{escape(topic.title)}</p>
</header><section class="sc-body-91c">{message_html(topic.story)}</section></article></main></div>
<script id="__NEXT_DATA__" type="application/json">{{"props":{{"pageProps":{{}}}}}}</script></body></html>"""


def forum_page(title: str) -> str:
    """What Pantip answers a render_comments call without the XHR header: a whole page, status 200."""
    return f"""<!DOCTYPE html><html lang="th"><head><meta charset="utf-8"><title>{escape(title)} - Pantip</title>
</head><body><div id="pantip-header"></div><div class="container">Pantip.com : Welcome to Pantip</div></body></html>"""


def comment_json(topic: Topic, comment: Comment) -> dict[str, Any]:
    return {
        "_id": _oid(topic.tid, comment.no, 0),
        "comment_no": comment.no,
        "type": "comment",
        "status": 1,
        "message": message_html(comment.text),
        "data_utime": utime(comment.at),
        "data_addrtitle": f"ความคิดเห็นที่ {comment.no}",
        "user": comment.author.json(),
        "reply_count": len(comment.replies),
        "replies": [
            {
                "reply_id": _oid(topic.tid, comment.no, reply.no),
                "reply_no": reply.no,
                "comment_no": comment.no,
                "message": message_html(reply.text),
                "data_utime": utime(reply.at),
                "data_addrtitle": f"ความคิดเห็นที่ {comment.no}-{reply.no}",
                "user": reply.author.json(),
                "emotion": _emotion(reply.no),
            }
            for reply in comment.replies
        ],
        "emotion": _emotion(comment.no),
        "point": 0,
    }


def listing_item(topic: Topic) -> dict[str, Any]:
    return {
        "topic_id": topic.tid,
        "topic_type": topic.topic_type,
        "title": escape(topic.title),  # the listing API sends titles HTML-escaped
        "author": {"id": topic.author.mid, "name": topic.author.name},
        "created_time": topic.at.isoformat(),
        "comments_count": len(topic.comments),
        "votes_count": len(topic.comments) % 5,
        "tags": [{"name": t, "slug": t} for t in topic.tags],
        "rooms": [{"name": topic.room, "slug": topic.room}],
    }


def search_item(topic: Topic, keyword: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": str(topic.tid),
        "created_time": str(int(topic.at.timestamp())),
        "rooms": [topic.room],
        "url": f"{PUBLIC}/topic/{topic.tid}",
        "title": _highlight(topic.title, keyword),
        "comment": "",
        "comment_url": "",
        "author_name": topic.author.name,
        "author_url": f"{PUBLIC}/profile/{topic.author.mid}",
        "total_comment": len(topic.comments),
        "tags": topic.tags,
        "cover_img": "None",
    }
    if keyword.lower() in topic.story.lower():
        item["detail"] = _highlight(topic.story[:200], keyword)  # absent when the keyword is not in the body
    return item


def _highlight(text: str, keyword: str) -> str:
    start = text.lower().find(keyword.lower())
    if start < 0 or not keyword:
        return text
    end = start + len(keyword)
    return f"{text[:start]}{{{{em}}}}{text[start:end]}{{{{eem}}}}{text[end:]}"


def _emotion(seed: int) -> dict[str, Any]:
    like, love = seed % 4, seed % 3
    return {"sum": like + love, "like": {"count": like}, "laugh": {"count": 0}, "love": {"count": love},
            "impress": {"count": 0}, "scary": {"count": 0}, "surprised": {"count": 0}}


def _oid(tid: int, comment_no: int, reply_no: int) -> str:
    return hashlib.md5(f"{tid}:{comment_no}:{reply_no}".encode(), usedforsecurity=False).hexdigest()[:24]
