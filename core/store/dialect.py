"""The two places where SQLite and PostgreSQL need different SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert(conn: sa.Connection, table: sa.Table) -> Any:
    """An INSERT that understands ON CONFLICT on the connection's database."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(conn: sa.Connection, table: sa.Table, values: dict[str, Any], keys: Sequence[str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET every other column."""
    statement = insert(conn, table).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in keys}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
