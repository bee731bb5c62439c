"""The shapes Instagram's web and iPhone APIs answer with, as instaloader 4.16 reads them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

CDN = "https://scontent.cdninstagram.com/v/t51.2885-15"
PAGE_ID_PREFIX = "profilePage_"


@dataclass
class Account:
    """Someone on Instagram: the agency, or a member of the public."""

    pk: int
    username: str
    full_name: str
    is_private: bool = False
    is_verified: bool = False

    def iphone(self) -> dict[str, Any]:
        return {
            "pk": self.pk,
            "pk_id": str(self.pk),
            "id": str(self.pk),
            "username": self.username,
            "full_name": self.full_name,
            "is_private": self.is_private,
            "is_verified": self.is_verified,
            "profile_pic_id": f"{self.pk}_{self.pk}",
            "profile_pic_url": f"{CDN}/{self.pk}_profile.jpg",
            "fbid_v2": str(17841400000000000 + self.pk % 10**9),
        }


@dataclass
class Comment:
    pk: int
    media_pk: int
    author: Account
    text: str
    created_at: datetime
    parent_pk: int = 0
    likes: int = 0
    children: list[Comment] = field(default_factory=list)

    def iphone(self, preview: int = 2) -> dict[str, Any]:
        stamp = int(self.created_at.timestamp())
        node: dict[str, Any] = {
            "pk": self.pk,
            "pk_id": str(self.pk),
            "user_id": self.author.pk,
            "type": 2 if self.parent_pk else 0,
            "did_report_as_spam": False,
            "created_at": stamp,
            "created_at_utc": stamp,
            "created_at_for_fb_app": stamp,
            "content_type": "comment",
            "status": "Active",
            "bit_flags": 0,
            "share_enabled": True,
            "is_ranked_comment": False,
            "media_id": self.media_pk,
            "text": self.text,
            "is_covered": False,
            "has_liked_comment": False,
            "comment_like_count": self.likes,
            "private_reply_status": 0,
            "user": self.author.iphone(),
        }
        if self.parent_pk:
            node["parent_comment_id"] = self.parent_pk
        else:
            node["child_comment_count"] = len(self.children)
            node["preview_child_comments"] = [child.iphone() for child in self.children[:preview]]
            node["has_more_tail_child_comments"] = len(self.children) > preview
        return node


@dataclass
class Media:
    pk: int
    owner: Account
    caption: str
    taken_at: datetime
    likes: int = 0
    comments: list[Comment] = field(default_factory=list)

    @property
    def code(self) -> str:
        return shortcode(self.pk)

    @property
    def comment_count(self) -> int:
        return sum(1 + len(c.children) for c in self.comments)

    def iphone(self) -> dict[str, Any]:
        stamp = int(self.taken_at.timestamp())
        return {
            "pk": self.pk,
            "id": f"{self.pk}_{self.owner.pk}",
            "code": self.code,
            "media_type": 1,
            "product_type": "feed",
            "taken_at": stamp,
            "device_timestamp": stamp * 1_000_000,
            "caption": {
                "pk": self.pk + 7,
                "user_id": self.owner.pk,
                "type": 1,
                "text": self.caption,
                "created_at": stamp,
                "created_at_utc": stamp,
                "content_type": "comment",
                "status": "Active",
                "media_id": self.pk,
                "user": self.owner.iphone(),
            },
            "caption_is_edited": False,
            "has_liked": False,
            "like_count": self.likes,
            "comment_count": self.comment_count,
            "comments_disabled": False,
            "user": self.owner.iphone(),
            "owner": self.owner.iphone(),
            "image_versions2": {
                "candidates": [
                    {"url": f"{CDN}/{self.pk}_n.jpg?stp=dst-jpg_e35&se=7", "width": 1080, "height": 1080},
                    {"url": f"{CDN}/{self.pk}_s640.jpg", "width": 640, "height": 640},
                ]
            },
            "original_width": 1080,
            "original_height": 1080,
            "accessibility_caption": "Photo shared by " + self.owner.full_name,
        }


def shortcode(pk: int) -> str:
    """The post's shortcode: its media pk in Instagram's URL-safe base64, without leading "A" digits."""
    code = base64.b64encode(pk.to_bytes(9, "big"), b"-_").decode()
    return code.lstrip("A") or "A"


def sections(medias: list[Media], more: bool, next_max_id: str | None, per_row: int = 3) -> dict[str, Any]:
    """A hashtag's "top" or "recent" block: media grid sections of three, as the iPhone app gets them."""
    rows = [medias[i : i + per_row] for i in range(0, len(medias), per_row)]
    return {
        "sections": [
            {
                "layout_type": "media_grid",
                "layout_content": {"medias": [{"media": m.iphone()} for m in row]},
                "feed_type": "media",
                "explore_item_info": {"num_columns": per_row, "total_num_columns": per_row,
                                      "aspect_ratio": 1, "autoplay": False},
            }
            for row in rows
        ],
        "more_available": more,
        "next_max_id": next_max_id,
        "next_page": 1 if more else None,
        "next_media_ids": [],
    }


def profile_page(owner: Account, media_count: int) -> str:
    """The public profile page: HTML with the profile query's result embedded as server-side JSON."""
    user = {
        **owner.iphone(),
        "id": PAGE_ID_PREFIX + str(owner.pk),  # the page's own id is not the user id, which is "pk"
        "biography": "ศูนย์บริการข้อมูลภาครัฐเพื่อประชาชน โทร 1111 ตลอด 24 ชั่วโมง",
        "all_media_count": media_count,
        "follower_count": 128_400,
        "following_count": 12,
        "is_business": True,
        "category": "Government organization",
    }
    bbox = {"__bbox": {"complete": True, "result": {"data": {"xig_user_by_username": user}}}}
    payload = {"require": [["ScheduledServerJS", "handle", None, [{"__bbox": {"require": [
        ["RelayPrefetchedStreamCache", "next", [], ["adp_PolarisProfilePageContentQueryRelayPreloader", bbox]]
    ]}}]]]}
    embedded = json.dumps(payload, ensure_ascii=False).replace("</", "<\\/")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(owner.full_name)} (@{escape(owner.username)}) • Instagram photos and videos</title>"
        f'</head><body><div id="mount_0_0"></div><script type="application/json" data-sjs>{embedded}</script>'
        "</body></html>"
    )


def start_page(tokens: dict[str, str] | None) -> str:
    """www.instagram.com/: for a logged-in visitor it carries the tokens the web app's GraphQL calls send."""
    config = ""
    if tokens is not None:
        config = (
            f'["DTSGInitialData",[],{{"token":"{tokens["fb_dtsg"]}"}},258],'
            f'["LSD",[],{{"token":"{tokens["lsd"]}"}},323],'
            f'["PolarisViewer",[],{{"data":{{"IG_USER_EIMU":"{tokens["av"]}"}}}},9]'
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Instagram</title></head><body>'
        f'<script type="application/json" data-sjs>{{"define":[{config}]}}</script></body></html>'
    )


def login_page() -> str:
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Login • Instagram</title>'
            '</head><body><form id="loginForm"></form></body></html>')
