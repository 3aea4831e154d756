"""Shared fixtures: temporary databases, the archive on loopback, configs pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.config import ARCHIVE_DIR, Config
from scheduler.demo.articles import ArchiveArticle, load_archive
from scheduler.demo.server import ArchiveServer, ArchiveSite
from scheduler.demo.steps import demo_config
from storage.db import open_db

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def user_directories(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> dict[str, Path]:
    """No test reads or writes the real user's config and data directories (XDG on Linux)."""
    home = tmp_path_factory.mktemp("user")
    found = {"config": home / "config", "data": home / "share"}
    monkeypatch.setenv("XDG_CONFIG_HOME", str(found["config"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(found["data"]))
    monkeypatch.delenv("PEACEWATCH_CONFIG", raising=False)
    return found


@pytest.fixture
def db(tmp_path: Path):
    database = open_db(tmp_path / "test.db")
    yield database
    database.close()


@pytest.fixture(scope="session")
def archive_articles() -> list[ArchiveArticle]:
    return load_archive(ARCHIVE_DIR)


@pytest.fixture
def archive_server(archive_articles: list[ArchiveArticle]) -> Iterator[ArchiveServer]:
    server = ArchiveServer(ArchiveSite(archive_articles, day=1)).start()
    yield server
    server.stop()


@pytest.fixture
def archive_config(archive_server: ArchiveServer, tmp_path: Path) -> Config:
    """A config whose sources are the archive's outlets, storing into a temporary database."""
    return demo_config(archive_server.site, tmp_path / "demo", tmp_path / "archive.db")
