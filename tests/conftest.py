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
from tests.diffstore import analyzer, encoder, store  # noqa: F401 (fixtures for the diff)
from tests.processes import (
    Proc,
    become_subreaper,
    describe,
    kill,
    living_descendants,
    reap_zombies,
    wait_gone,
)
from tests.webhook import endpoint  # noqa: F401 (fixture for the chat channel)

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: How long a process a test started may take to end after the test (it may be exiting).
EXIT_GRACE_SECONDS = 10.0


@pytest.fixture(autouse=True)
def user_directories(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> dict[str, Path]:
    """No test reads or writes the real user's config and data directories (XDG on Linux)."""
    home = tmp_path_factory.mktemp("user")
    found = {"config": home / "config", "data": home / "share"}
    monkeypatch.setenv("XDG_CONFIG_HOME", str(found["config"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(found["data"]))
    monkeypatch.delenv("PEACEWATCH_CONFIG", raising=False)
    return found


def _left_behind(before: set[Proc], what: str) -> None:
    """Fail when processes started since ``before`` outlive the grace; kill them first, so the
    next test starts clean and is not blamed."""
    left = wait_gone(living_descendants() - before, EXIT_GRACE_SECONDS)
    named = describe(left)
    kill(left)
    wait_gone(left, 5)
    reap_zombies(keep=before)
    if left:
        pytest.fail(f"{what} left {len(left)} process(es) alive: {named}", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def no_process_left_by_the_session() -> Iterator[set[Proc]]:
    """The suite leaves no process behind. Pytest becomes a child subreaper (Linux), so an
    orphan — a crawl's analysis worker whose crawl died — is re-parented to it, not to init,
    and still counts as a descendant of the pytest process."""
    become_subreaper()
    before = living_descendants()
    yield before
    _left_behind(before, "the test session")


@pytest.fixture(autouse=True)
def no_process_left_by_the_test(no_process_left_by_the_session: set[Proc]) -> Iterator[None]:
    """A test whose processes (or their children) outlive it fails, naming them. Processes of
    wider fixtures (a module's mock server) are already running here and are not counted."""
    before = living_descendants()
    yield
    _left_behind(before, "the test")


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
