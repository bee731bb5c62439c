"""Fast seeding of a desk database with many realistic Thai mentions, classifications and replies.

Texts come from the project's own labelled training posts (nlp/data/train), varied with suffixes so
no two are alike; labels and agencies follow those posts. Rows go in with the database's bulk path
(executemany on SQLite, COPY on PostgreSQL), skipping the application's per-row work.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "nlp" / "data" / "train"
PLATFORMS = (("facebook", 0.4), ("twitter", 0.3), ("pantip", 0.1), ("instagram", 0.1), ("telegram", 0.1))
SUFFIXES = ("", "", " ครับ", " ค่ะ", " ด่วน!!", " #แจ้งเหตุ", " #น้ำท่วม", " 😡", " 🙏", " ช่วยด้วย", " มากกกก",
            " ตั้งแต่เมื่อวาน", " แถวบ้านผม", " รบกวนด้วยนะคะ", " #ร้องเรียน")
BATCH = 20_000


@dataclass(frozen=True)
class Post:
    text: str
    label: str
    agency: str | None
    urgent: bool


def load_posts() -> list[Post]:
    posts = []
    for path in sorted(TRAIN.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                posts.append(Post(item["text"], item.get("label", "other"), item.get("agency") or None,
                                  bool(item.get("urgent"))))
    return posts


def seed(engine: Engine, rows: int, *, days: int = 90, now: datetime | None = None, seed_value: int = 1111,
         progress: Any = None) -> dict[str, int]:
    """Insert `rows` mentions posted over the last `days` days, most of them classified, some answered."""
    rng = random.Random(seed_value)
    now = now or datetime.now(UTC)
    posts = load_posts()
    platforms = [p for p, _ in PLATFORMS]
    weights = [w for _, w in PLATFORMS]
    spike_day = days // 3  # one day with four times the usual volume, for the spike marker
    counts = {"mentions": 0, "classifications": 0, "replies": 0}
    start_id = _next_id(engine)
    for chunk_start in range(0, rows, BATCH):
        size = min(BATCH, rows - chunk_start)
        mention_rows, class_rows, reply_rows = [], [], []
        for offset in range(size):
            n = chunk_start + offset
            mention_id = start_id + n
            # Posting times rise with the id (ingest order), a few minutes of jitter either way.
            fraction = n / max(1, rows - 1)
            posted = now - timedelta(days=days) + timedelta(days=days * fraction, minutes=rng.uniform(-5, 5))
            if int(fraction * days) == spike_day and rng.random() < 0.75:
                posted = now - timedelta(days=days - spike_day, hours=rng.uniform(0, 24))
            posted = min(posted, now - timedelta(seconds=1))
            post = posts[rng.randrange(len(posts))]
            platform = rng.choices(platforms, weights)[0]
            text = post.text + rng.choice(SUFFIXES) + (f" ({n % 997})" if rng.random() < 0.5 else "")
            classified = rng.random() < 0.95
            stage = "triaged" if classified and rng.random() < 0.8 else ("classified" if classified else "new")
            mention_rows.append((mention_id, platform, f"bench:{mention_id}", f"{platform}.bench",
                                 f"thread:{mention_id // 5}", "", f"user{rng.randrange(50_000)}",
                                 f"ผู้ใช้ {rng.randrange(50_000)}", text,
                                 f"https://example.invalid/{platform}/{mention_id}", posted, posted, stage))
            if classified:
                class_rows.append((mention_id, post.label, round(rng.uniform(0.4, 0.99), 3), post.agency,
                                   round(rng.uniform(0.3, 0.99), 3), post.urgent or rng.random() < 0.01,
                                   0.9 if post.urgent else 0.05, "bench-1", posted))
                if rng.random() < 0.3:
                    delay = timedelta(minutes=rng.lognormvariate(3.5, 1.2))
                    kind = "acknowledgement" if post.label == "complaint" else "answer"
                    reply_rows.append((f"{kind}:mention:{mention_id}", kind, platform, f"bench:{mention_id}",
                                       "ขอบคุณที่แจ้งเข้ามาค่ะ", "sent", mention_id, 1, posted, posted + delay))
        _insert(engine, mention_rows, class_rows, reply_rows)
        counts["mentions"] += len(mention_rows)
        counts["classifications"] += len(class_rows)
        counts["replies"] += len(reply_rows)
        if progress is not None:
            progress(counts["mentions"])
    _analyze(engine)
    return counts


MENTION_COLUMNS = ("id", "platform", "external_id", "source", "thread_id", "parent_id", "author_handle",
                   "author_name", "text", "url", "posted_at", "fetched_at", "stage")
CLASS_COLUMNS = ("mention_id", "label", "confidence", "agency", "agency_confidence", "urgent", "urgent_score",
                 "model_version", "classified_at")
REPLY_COLUMNS = ("key", "kind", "platform", "target", "text", "status", "mention_id", "attempts", "created_at",
                 "sent_at")


def _insert(engine: Engine, mention_rows: list[tuple[Any, ...]], class_rows: list[tuple[Any, ...]],
            reply_rows: list[tuple[Any, ...]]) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cursor:
                for table, columns, data in (("mentions", MENTION_COLUMNS, mention_rows),
                                             ("classifications", CLASS_COLUMNS, class_rows),
                                             ("replies", REPLY_COLUMNS, reply_rows)):
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in data:
                            copy.write_row(row)
        else:
            for table, columns, data in (("mentions", MENTION_COLUMNS, mention_rows),
                                         ("classifications", CLASS_COLUMNS, class_rows),
                                         ("replies", REPLY_COLUMNS, reply_rows)):
                marks = ", ".join("?" for _ in columns)
                conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                     [tuple(_sqlite_value(v) for v in row) for row in data])


def _sqlite_value(value: Any) -> Any:
    # The format SQLAlchemy's SQLite DateTime writes: naive UTC with microseconds.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _next_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) + 1 FROM mentions")).scalar_one())


def _analyze(engine: Engine) -> None:
    """Fresh planner statistics, as a running deployment has (PRAGMA optimize / autovacuum)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in ("mentions", "classifications", "replies"):
                conn.exec_driver_sql(f"ANALYZE {table}")
            _fix_sequences(conn)
        else:
            conn.exec_driver_sql("ANALYZE")


def _fix_sequences(conn: sa.Connection) -> None:
    for table in ("mentions", "replies"):
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )
