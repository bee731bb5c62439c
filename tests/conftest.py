"""Shared fixtures: a store on SQLite and PostgreSQL, a manual clock, the sandbox stand-ins."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.clock import ManualClock
from core.store import Store

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

DEFAULT_POSTGRES = "postgresql+psycopg://root@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("GCC1111_TEST_POSTGRES_URL", DEFAULT_POSTGRES)


def _postgres_reachable(url: str) -> str | None:
    """None when reachable, else the reason it is not."""
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure to connect is a reason to skip (outside CI)
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_base() -> str:
    url = postgres_url()
    reason = _postgres_reachable(url)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the store on PostgreSQL, but {url} is unreachable: {reason}")
        pytest.skip(f"PostgreSQL not reachable at {url} ({reason}); set GCC1111_TEST_POSTGRES_URL")
    return url


@pytest.fixture
def postgres_schema_url(postgres_base: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres_base else "?"
    yield f"{postgres_base}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'desk.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.sqlite'}"
    return str(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def store(database_url: str, clock: ManualClock) -> Iterator[Store]:
    opened = Store.open(database_url, clock)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(sqlite_url: str, clock: ManualClock) -> Iterator[Store]:
    """For tests about one adapter's behaviour, where the database kind does not matter."""
    opened = Store.open(sqlite_url, clock)
    yield opened
    opened.close()
