"""Migrations: an empty database, one holding data from the previous revision, and bad databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.clock import ManualClock
from core.errors import SchemaError
from core.store import Store
from core.store.engine import open_engine
from core.store.migrate import current_revision, head_revision, upgrade
from core.store.schema import metadata
from core.store.search import is_search_object


def test_empty_database_upgrades_to_head_and_matches_the_schema(database_url: str) -> None:
    engine = open_engine(database_url)
    assert current_revision(engine) is None

    reached = upgrade(engine)

    assert reached == head_revision(engine)
    with engine.connect() as conn:
        # The search index (an FTS5 table on SQLite, a pg_trgm index on PostgreSQL) lives outside schema.py.
        context = MigrationContext.configure(
            conn, opts={"include_object": lambda _obj, name, *_rest: not is_search_object(name)}
        )
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_data_from_the_previous_revision_survives_the_upgrade(database_url: str) -> None:
    engine = open_engine(database_url)
    upgrade(engine, "0001")
    posted = datetime(2026, 10, 1, 5, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO mentions (platform, external_id, source, text, posted_at, fetched_at, stage) "
                "VALUES ('pantip', 'topic:1', 'pantip', 'ถนนพังค่ะ', :at, :at, 'new')"
            ),
            {"at": posted.replace(tzinfo=None) if engine.dialect.name == "sqlite" else posted},
        )
    engine.dispose()

    store = Store.open(database_url, ManualClock())  # migrates 0001 -> head on open

    assert current_revision(store.engine) == head_revision(store.engine)
    kept = store.mentions.latest()
    assert [(m.external_id, m.text, m.posted_at) for m in kept] == [("topic:1", "ถนนพังค่ะ", posted)]
    store.health.succeeded("pantip")  # a 0002 table works alongside the old data
    assert store.health.get("pantip").healthy
    store.close()


def test_a_newer_schema_is_refused_with_a_clear_message(sqlite_url: str) -> None:
    engine = open_engine(sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))

    with pytest.raises(SchemaError, match="newer than this gcc1111 knows"):
        upgrade(engine)
    with engine.connect() as conn:  # nothing was touched
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0099_from_the_future"
    engine.dispose()


def test_a_corrupt_database_file_is_refused_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)

    with pytest.raises(SchemaError, match="corrupt, or not a gcc1111 database"):
        Store.open(f"sqlite:///{path}", ManualClock())
    assert path.read_bytes() == garbage


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    engine = open_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
