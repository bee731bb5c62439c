"""Alembic migrations, applied on start and by `gcc1111 db upgrade`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from core.errors import SchemaError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, or None for an empty one."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except sa.exc.DatabaseError as exc:
        raise SchemaError(
            f"the database at {engine.url.render_as_string(hide_password=True)} cannot be read "
            f"(corrupt, or not a gcc1111 database): {exc.orig}"
        ) from None


def head_revision(engine: Engine) -> str:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    return head


def check_known(engine: Engine) -> str | None:
    """Refuse a database written by a newer gcc1111 rather than guess at its schema."""
    revision = current_revision(engine)
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    if revision is not None:
        try:
            scripts.get_revision(revision)
        except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
            raise SchemaError(
                f"the database schema is at revision {revision!r}, newer than this gcc1111 knows "
                f"(head {scripts.get_current_head()!r}): upgrade gcc1111 instead of using an older copy"
            ) from None
    return revision


def upgrade(engine: Engine, target: str = "head") -> str:
    """Bring the schema to `target`; returns the revision reached."""
    check_known(engine)
    command.upgrade(alembic_config(engine), target)
    reached = current_revision(engine)
    assert reached is not None
    return reached
