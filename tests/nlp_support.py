"""A tiny labelled corpus, written for the classifier's tests (not taken from any corpus split)."""

from __future__ import annotations

import json
from pathlib import Path

# Two "authors" (a-, b- files), so training's grouped cross-validation runs too.
POSTS = [
    ("ทำบัตรประชาชนใหม่ต้องใช้เอกสารอะไรบ้างคะ", "inquiry", "MOI", False),
    ("ย้ายทะเบียนบ้านทำที่อำเภอไหนได้บ้างครับ", "inquiry", "MOI", False),
    ("ต่อพาสปอร์ตต้องจองคิวไหมคะ", "inquiry", "MFA", False),
    ("ขอวีซ่าท่องเที่ยวใช้เวลากี่วันครับ", "inquiry", "MFA", False),
    ("น้ำเข้าบ้านแล้ว จะอพยพไปที่ไหนได้บ้างคะ", "inquiry", "MOI", True),
    ("ยื่นภาษีออนไลน์ได้ถึงวันไหนครับ", "inquiry", "MOF", False),
    ("ไฟถนนซอยห้าดับมาสองอาทิตย์แล้ว", "complaint", "MOI", False),
    ("ถนนหน้าบ้านพังมาสามเดือน ไม่มีใครมาซ่อม", "complaint", "MOI", False),
    ("สถานทูตไม่รับสายเลย รอมาทั้งวัน", "complaint", "MFA", False),
    ("ไฟไหม้บ้านข้างๆ มีคนติดอยู่ ช่วยด้วย", "complaint", "MOI", True),
    ("คืนภาษีมาสามเดือนแล้วยังไม่ได้เงิน", "complaint", "MOF", False),
    ("สายไฟขาดห้อยลงมาบนถนน มีประกายไฟ", "complaint", "MOI", True),
    ("ขอบคุณมากครับ", "other", None, False),
    ("555 ขำมาก", "other", None, False),
    ("🙏🙏", "other", None, False),
    ("สวัสดีตอนเช้าค่ะทุกคน", "other", None, False),
    ("ขายครีมผิวขาว ทักแชทเลย", "other", None, False),
    ("เก่งมากครับทีมงาน", "other", None, False),
]


def write_corpus(folder: Path, posts: list[tuple[str, str, str | None, bool]]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for author, part in (("a", posts[0::2]), ("b", posts[1::2])):
        path = folder / f"{author}-01.jsonl"
        path.write_text("".join(
            json.dumps({"text": t, "label": label, "agency": agency, "urgent": urgent, "platform": "facebook"},
                       ensure_ascii=False) + "\n"
            for t, label, agency, urgent in part
        ), encoding="utf-8")
        files.append(path)
    return files
