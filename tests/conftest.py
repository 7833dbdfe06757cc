"""Shared fixtures: a real PostgreSQL server for the session (see pg_server.py), fresh databases on it,
SQLite files, and copies of the example project."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import PostgresServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if os.environ.get("DBBASIC_SKIP_POSTGRES") == "1":
        pytest.skip("DBBASIC_SKIP_POSTGRES=1")
    server = PostgresServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database."""
    return postgres.create_database()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind: the same test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.db"
    return str(request.getfixturevalue("pg_url"))


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A project directory with the given spec files (paths relative to the project)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example project (specs/ and generated/) to change freely."""
    root = tmp_path / "example"
    shutil.copytree(REPO / "specs", root / "specs")
    shutil.copytree(REPO / "generated", root / "generated")
    return root
