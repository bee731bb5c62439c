"""Thai full-text search over mentions: substring matching that needs no word segmentation.

Thai is written without spaces between words, so a word index built from a tokeniser misses any
word the tokeniser cut differently. Both databases index character trigrams instead, which find
"น้ำท่วม" inside "น้ำท่วมหนักมากกก" whatever the segmentation:

- SQLite: an FTS5 table `mention_search` with the `trigram` tokenizer over `mentions.text`
  (external content, kept in step by triggers). Terms shorter than three characters cannot use a
  trigram index and fall back to LIKE.
- PostgreSQL: a `pg_trgm` GIN index on `mentions.text`, used by ILIKE. If the extension cannot be
  created (no privilege), the migration leaves the index out and ILIKE still works, only slower.

These objects are not in `schema.py` (SQLAlchemy cannot describe an FTS5 table); `is_search_object`
lets the schema comparison leave them out.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

FTS_TABLE = "mention_search"
TRIGRAM_INDEX = "ix_mentions_text_trgm"
MIN_TRIGRAM = 3  # characters: a trigram index cannot find anything shorter
MAX_TERMS = 5
MAX_TERM_LENGTH = 100

fts_table = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer), sa.column(FTS_TABLE))


def is_search_object(name: str | None) -> bool:
    """True for the search index's own tables and indexes, which live outside schema.py."""
    return bool(name) and (name == TRIGRAM_INDEX or str(name).startswith(FTS_TABLE))


def search_terms(query: str) -> list[str]:
    """The words of a search box, each searched as a substring; a few, of bounded length."""
    terms: list[str] = []
    for word in query.split():
        word = word[:MAX_TERM_LENGTH]
        if word and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def like_pattern(term: str) -> str:
    """A LIKE pattern matching `term` anywhere, with LIKE's own wildcards taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression requiring every term (each quoted, so no FTS syntax gets through)."""
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def text_conditions(dialect_name: str, text_column: sa.ColumnElement[str], terms: Sequence[str],
                    ) -> list[sa.ColumnElement[bool]]:
    """Conditions on the mention text for the terms that no trigram index can serve (or all, on PostgreSQL)."""
    if dialect_name == "postgresql":
        return [text_column.ilike(like_pattern(term), escape="\\") for term in terms]
    return [text_column.like(like_pattern(term), escape="\\") for term in terms if len(term) < MIN_TRIGRAM]


def fts_terms(dialect_name: str, terms: Sequence[str]) -> list[str]:
    """The terms SQLite's FTS5 trigram index answers."""
    if dialect_name != "sqlite":
        return []
    return [term for term in terms if len(term) >= MIN_TRIGRAM]
