"""The demo command as a user runs it: a real subprocess, both days, every outlet stored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.archive.outlets import OUTLETS
from storage.db import open_db

pytestmark = pytest.mark.e2e


def test_demo_crawls_both_days_and_stores_articles_from_every_outlet(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "peacewatch.db"
    result = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "demo", "--port", "0", "--db", str(db_path)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "day 1: run 1 ok" in result.stdout
    assert "day 2: run 2 ok" in result.stdout
    db = open_db(db_path)
    stored = {row[0] for row in db.execute("SELECT DISTINCT source_id FROM articles")}
    runs = [row[0] for row in db.execute("SELECT status FROM runs ORDER BY id")]
    db.close()
    assert stored == set(OUTLETS)
    assert runs == ["ok", "ok"]
