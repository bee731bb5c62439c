"""Thai full-text search over mentions, and the indexes the web desk's filters need.

SQLite: an FTS5 `trigram` table over mentions.text (external content) kept in step by triggers.
PostgreSQL: a pg_trgm GIN index on mentions.text for ILIKE; left out with a warning when the
extension cannot be created, in which case search still works by scanning.

A later SQLite migration that rebuilds the mentions table in batch mode drops its triggers with
it: such a migration must re-create them (see `_sqlite_triggers`).

Revision ID: 0003
Revises: 0002
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

log = logging.getLogger("gcc1111.migrations")

FTS_TABLE = "mention_search"
TRIGRAM_INDEX = "ix_mentions_text_trgm"

FILTER_INDEXES = (
    ("ix_mentions_platform_id", "mentions", ["platform", "id"]),
    ("ix_classifications_label_mention", "classifications", ["label", "mention_id"]),
    ("ix_classifications_agency_mention", "classifications", ["agency", "mention_id"]),
    ("ix_classifications_urgent_mention", "classifications", ["urgent", "mention_id"]),
    ("ix_replies_sent_at", "replies", ["sent_at"]),
)


def upgrade() -> None:
    for name, table, columns in FILTER_INDEXES:
        op.create_index(name, table, columns, unique=False)
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_search()
    elif op.get_bind().dialect.name == "postgresql":
        _postgres_search()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("mentions_search_insert", "mentions_search_delete", "mentions_search_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    for name, table, _columns in reversed(FILTER_INDEXES):
        op.drop_index(name, table_name=table)


def _sqlite_search() -> None:
    op.execute(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
        "text, content='mentions', content_rowid='id', tokenize='trigram')"
    )
    _sqlite_triggers()
    # Index whatever the database already holds.
    op.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def _sqlite_triggers() -> None:
    op.execute(
        f"CREATE TRIGGER mentions_search_insert AFTER INSERT ON mentions BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        f"CREATE TRIGGER mentions_search_delete AFTER DELETE ON mentions BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END"
    )
    op.execute(
        f"CREATE TRIGGER mentions_search_update AFTER UPDATE OF text ON mentions BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); "
        f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END"
    )


def _postgres_search() -> None:
    bind = op.get_bind()
    schema = _trigram_schema(bind)
    if schema is None:
        log.warning(
            "pg_trgm could not be created (ask a superuser for CREATE EXTENSION pg_trgm): "
            "mention search works without it, but scans the table"
        )
        return
    # The operator class is named with its schema: tests and some deployments keep the extension
    # in a schema that is not on the search path.
    quoted = bind.dialect.identifier_preparer.quote_identifier(schema)
    op.execute(f"CREATE INDEX {TRIGRAM_INDEX} ON mentions USING gin (text {quoted}.gin_trgm_ops)")


def _trigram_schema(bind: sa.Connection) -> str | None:
    """The schema pg_trgm lives in, creating the extension first when it is missing and allowed."""
    found = _extension_schema(bind)
    if found is not None:
        return found
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        log.warning("CREATE EXTENSION pg_trgm failed: %s", str(exc.orig).splitlines()[0])
        return None
    savepoint.commit()
    return _extension_schema(bind)


def _extension_schema(bind: sa.Connection) -> str | None:
    return bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
    ).scalar()
