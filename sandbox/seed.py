"""The sandbox's public: realistic Thai posts written for the stand-ins (sandbox/data/public_posts.jsonl)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SEED_FILE = Path(__file__).resolve().parent / "data" / "public_posts.jsonl"


@dataclass(frozen=True)
class SeedPost:
    platform: str  # facebook | twitter | instagram | pantip | telegram
    kind: str  # post, comment, message, mention, search, hashtag, topic
    author: str
    handle: str
    text: str
    title: str = ""
    replies: tuple[str, ...] = field(default_factory=tuple)
    lang: str = "th"
    hostile: bool = False


def load_seed(path: Path = SEED_FILE) -> list[SeedPost]:
    """Every seed post, in file order (which is the order the simulator replays them)."""
    posts = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            item = json.loads(line)
            posts.append(
                SeedPost(
                    platform=item["platform"],
                    kind=item.get("kind", ""),
                    author=item.get("author", ""),
                    handle=item.get("handle", ""),
                    text=item.get("text", ""),
                    title=item.get("title", ""),
                    replies=tuple(item.get("replies") or ()),
                    lang=item.get("lang", "th"),
                    hostile=bool(item.get("hostile", False)),
                )
            )
    return posts


def for_platform(posts: list[SeedPost], platform: str) -> list[SeedPost]:
    return [p for p in posts if p.platform == platform]
