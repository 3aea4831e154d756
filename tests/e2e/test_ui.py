"""The web view as a reader uses it: `peacewatch ui` on the demo's database, in a real browser."""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.alerts.email import build_message
from storage.db import open_db
from storage.outbox import alert_payload
from tests.browser import dom, screenshot
from tests.smtpserver import outbox_alert, settings_for

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"peacewatch ui exited: {proc.stderr.read() if proc.stderr else ''}"
            )
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("peacewatch ui never listened")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("ui")
    db = home / "data" / "demo" / "peacewatch.db"
    result = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "demo", "--port", "0", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=home,
    )
    assert result.returncode == 0, result.stderr
    return db


@pytest.fixture(scope="module")
def ui(demo_db: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "ui", "--db", str(demo_db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=demo_db.parent,
    )
    try:
        _wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _rutte_11_feb(db_path: Path) -> dict:
    db = open_db(db_path)
    try:
        row = db.execute(
            "SELECT id, outlets, languages FROM statements WHERE speaker = 'Mark Rutte' "
            "AND said_at LIKE '2026-02-11%' AND about_peace_talks = 1 "
            "ORDER BY report_count DESC LIMIT 1"
        ).fetchone()
    finally:
        db.close()
    return {"id": row[0], "outlets": json.loads(row[1]), "languages": json.loads(row[2])}


def test_the_front_page_shows_statements_by_occasion_and_the_chart(ui: str) -> None:
    page = dom(ui + "/")
    assert "New statements on peace talks, by occasion" in page
    assert page.count('class="pw-bar"') >= 5  # the chart drew bars
    assert "Mark Rutte" in page and 'class="pw-statement' in page


def test_the_seeds_rutte_statement_shows_every_outlet_with_its_language(
    ui: str, demo_db: Path
) -> None:
    rutte = _rutte_11_feb(demo_db)
    assert len(rutte["outlets"]) >= 6
    page = dom(f"{ui}/statement/{rutte['id']}")
    assert "Mark Rutte on 2026-02-11" in page
    for outlet in rutte["outlets"]:
        assert f">{outlet} <span" in page  # "Carried by" names every outlet, with a link
    for language in ("ru", "uk", "en"):
        assert f'class="pw-lang">{language}</span>' in page


def test_search_in_the_browser_finds_any_case_form(ui: str) -> None:
    for query in ("Лаврова", "Lavrov"):
        page = dom(f"{ui}/?q={urllib.parse.quote(query)}")
        assert "Sergey Lavrov" in page, query


def test_a_speaker_and_a_day_have_their_pages(ui: str) -> None:
    speaker = dom(ui + "/speaker/" + urllib.parse.quote("Песков"))
    assert "<h1>Dmitry Peskov</h1>" in speaker and 'class="pw-bar"' in speaker
    day = dom(ui + "/day/2026-02-11")
    assert "Said on 2026-02-11" in day and "Mark Rutte" in day


def test_sources_and_the_outbox_are_in_sight(ui: str) -> None:
    page = dom(ui + "/sources")
    assert 'id="outbox"' in page and ">log<" in page
    assert 'id="sources"' in page and "meduza-ru" in page


def test_each_page_answers_as_json_too(ui: str) -> None:
    with urllib.request.urlopen(ui + "/index.json", timeout=30) as answer:
        front = json.load(answer)
    assert front["statements"] and {"speaker", "said_at", "claims", "outlets"} <= set(
        front["statements"][0]
    )


def test_the_view_only_reads_the_store(ui: str, demo_db: Path) -> None:
    before = demo_db.stat().st_mtime_ns
    for path in ("/", "/sources", "/peacewatch", "/day/2026-02-11"):
        dom(ui + path)
    assert demo_db.stat().st_mtime_ns == before


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize(("width", "height"), [(1280, 1400), (420, 1400)], ids=["wide", "phone"])
def test_screenshots_at_two_widths(ui: str, tmp_path: Path, width: int, height: int) -> None:
    shot = screenshot(ui + "/", tmp_path / f"front-{width}.png", width, height)
    assert _png_size(shot) == (width, height)
    assert shot.stat().st_size > 20_000  # drawn, not blank
    keep = os.environ.get("PEACEWATCH_SCREENSHOTS")
    if keep:  # `make screenshots` refreshes the README's pictures
        shutil.copy(shot, Path(keep) / shot.name)


def test_the_html_digest_of_the_demos_alerts_renders_in_the_browser(
    demo_db: Path, tmp_path: Path
) -> None:
    db = open_db(demo_db)
    try:
        rows = db.execute(
            "SELECT id, key, channel, type, statement_id, created_at FROM alerts "
            "WHERE type IN ('statement', 'update') ORDER BY id LIMIT 8"
        ).fetchall()
        alerts = [
            alert_payload(
                db,
                outbox_alert(i, channel=c, kind=t, statement_id=sid, key=k, created_at=at),
            )
            for i, k, c, t, sid, at in rows
        ]
    finally:
        db.close()
    message = build_message(alerts, settings_for(25, mode="digest"))
    page = tmp_path / "digest.html"
    page.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
    shown = dom(page.as_uri())
    assert "new statements on peace talks" in shown
    assert shown.count('class="pw-statement') == len(alerts)
    speakers = {a["statement"]["speaker"] for a in alerts}
    assert all(name in shown for name in speakers)
    shot = screenshot(page.as_uri(), tmp_path / "digest.png", 800, 1200)
    assert shot.stat().st_size > 20_000
