"""Issue 11, class 6 (links, schema, text): links shown to people lead to the page as it was
fetched; a database from a newer version is refused before anything is written; the read-only
commands read a read-only database; no control or bidi-control character reaches any output.

Real parts only: the offline archive served over plain http on loopback and crawled by
``peacewatch run`` in a subprocess, a real SMTP server (aiosmtpd), real SQLite files, the real
command line. The read-only database is a real ``chmod``'ed file in a read-only directory. As
tests run as root here and root ignores file permissions, the commands reading it run without
root's override (CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped from the child's capability
bounding set before it execs), so the permissions bind them as they bind any user; a probe
checks that the child really cannot write the file.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from scheduler.alerts.atom import ATOM
from scheduler.config import AlertSettings, Config, DiffSettings, LogChannelSettings
from scheduler.cycle import run_cycle
from scheduler.demo.articles import ArchiveArticle
from scheduler.demo.server import ArchiveServer, ArchiveSite
from storage.db import StoreError, backup_database, open_db
from tests.e2e.test_daemon import write_config
from tests.faults.harness import (
    ROOT,
    email_table,
    peace_report,
    rows,
    store_articles,
    unian_article,
)
from tests.smtpserver import RECIPIENT, SENDER, Recorder, settings_for, smtp_server

pytestmark = pytest.mark.faults

#: What no output may carry: C0 but tab and newline, DEL, C1, and the bidi embeddings,
#: overrides and isolates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LINK = re.compile(r"https?://[^\s\"'<>]+")


def cli(
    config: Path, *args: str, preexec_fn: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "--config", str(config), *args],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=preexec_fn,
    )


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


# --- one crawl of an http-only outlet, every channel on ---------------------------------------


@dataclass
class Crawled:
    config: Path
    db_path: Path
    alerts: list[dict[str, Any]]
    mails: list[EmailMessage]
    atom: ET.Element
    #: the URL each article was fetched from, by its canonical URL (the deduplication key)
    fetched: dict[str, str]

    def as_fetched(self, url: str) -> bool:
        return url.startswith("http://127.") and url in self.fetched.values()

    def config_for(self, db_path: Path, directory: Path) -> Path:
        """This crawl's config, using another database."""
        registry = self.config.parent / "sources.toml"
        text = self.config.read_text(encoding="utf-8")
        text = text.replace(str(self.db_path), str(db_path))
        text = text.replace('registry = "sources.toml"', f'registry = "{registry}"')
        path = directory / "peacewatch.toml"
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def crawled(
    tmp_path_factory: pytest.TempPathFactory, archive_articles: list[ArchiveArticle]
) -> Iterator[Crawled]:
    home = tmp_path_factory.mktemp("links")
    server = ArchiveServer(ArchiveSite(archive_articles, day=1)).start()
    recorder = Recorder()
    try:
        with smtp_server(recorder) as port:
            config = write_config(server, home, outlets=("unian-ru",))
            text = config.read_text(encoding="utf-8").replace(
                "[alerts]\n", '[alerts]\nchannels = ["log", "email"]\n', 1
            )
            text += "\n" + email_table(
                port,
                security="none",
                sender=SENDER,
                recipients=[RECIPIENT],
                mode="digest",
                timeout_seconds=5,
            )
            config.write_text(text, encoding="utf-8")
            result = cli(config, "run", "--all")
            assert result.returncode == 0, result.stderr
        data = home / "data"
        db_path = data / "peacewatch.db"
        lines = (data / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
        yield Crawled(
            config=config,
            db_path=db_path,
            alerts=[json.loads(line) for line in lines],
            mails=[received.message for received in recorder.received],
            atom=ET.parse(data / "alerts.atom").getroot(),
            fetched=dict(rows(db_path, "SELECT url, fetched_url FROM articles")),
        )
    finally:
        server.stop()


def test_articles_fetched_over_http_are_deduplicated_under_https_canonical_urls(
    crawled: Crawled,
) -> None:
    """The setting of the link tests; canonical URLs stay the deduplication key."""
    assert crawled.fetched
    for canonical, fetched in crawled.fetched.items():
        assert canonical.startswith("https://"), canonical
        assert fetched.startswith("http://"), fetched


def test_alert_log_links_are_the_urls_as_fetched(crawled: Crawled) -> None:
    statements = [a["statement"] for a in crawled.alerts if a["type"] == "statement"]
    assert statements
    for statement in statements:
        assert crawled.as_fetched(statement["first_url"]), statement["first_url"]
        for outlet in statement["outlet_links"]:
            assert crawled.as_fetched(outlet["url"]), outlet["url"]


def test_a_link_shown_opens_the_article_where_its_canonical_url_leads_nowhere(
    crawled: Crawled,
) -> None:
    link = next(a["statement"]["first_url"] for a in crawled.alerts if a["type"] == "statement")
    with urllib.request.urlopen(link, timeout=10) as answer:
        assert answer.status == 200
    canonical = next(c for c, f in crawled.fetched.items() if f == link)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(canonical, timeout=10)


def test_email_links_are_the_urls_as_fetched(crawled: Crawled) -> None:
    assert crawled.mails
    links = LINK.findall(
        "\n".join(str(mail.get_body(("plain",)).get_content()) for mail in crawled.mails)
    )
    assert links
    assert all(crawled.as_fetched(link) for link in links), links


def test_atom_links_are_the_urls_as_fetched(crawled: Crawled) -> None:
    entries = crawled.atom.findall(f"{{{ATOM}}}entry")
    assert entries
    for entry in entries:
        hrefs = [link.get("href") or "" for link in entry.findall(f"{{{ATOM}}}link")]
        assert hrefs
        assert all(crawled.as_fetched(href) for href in hrefs), hrefs
        in_summary = LINK.findall(entry.findtext(f"{{{ATOM}}}summary") or "")
        assert in_summary
        assert all(crawled.as_fetched(link) for link in in_summary), in_summary


def test_statements_and_show_print_the_urls_as_fetched(crawled: Crawled) -> None:
    listed = cli(crawled.config, "statements", "--json", "--limit", "1000")
    assert listed.returncode == 0, listed.stderr
    statements = [json.loads(line) for line in listed.stdout.splitlines()]
    assert statements
    assert all(crawled.as_fetched(s["first_url"]) for s in statements)
    statement_id = str(statements[0]["id"])
    shown = cli(crawled.config, "show", statement_id, "--json")
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert crawled.as_fetched(detail["first_url"])
    assert all(crawled.as_fetched(report["url"]) for report in detail["reports"])
    text = cli(crawled.config, "show", statement_id)
    assert text.returncode == 0, text.stderr
    links = LINK.findall(text.stdout)
    assert links
    assert all(crawled.as_fetched(link) for link in links), links


# --- a database written by a newer version ---------------------------------------------------


def test_a_database_from_a_newer_version_is_refused_before_anything_is_written(
    crawled: Crawled, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    db_path = tmp_path / "data" / "peacewatch.db"
    backup_database(crawled.db_path, db_path)
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('peacewatch', '0999_from_a_newer_version', '2030-01-01 00:00:00')"
    )
    conn.commit()
    conn.execute("PRAGMA journal_mode=DELETE")  # no -wal: any write would show in the file
    conn.close()
    config = crawled.config_for(db_path, tmp_path)
    before = db_path.read_bytes(), db_path.stat().st_mtime_ns
    for command in (["run", "--all"], ["status"], ["statements"], ["show", "1"]):
        result = cli(config, *command)
        assert result.returncode == 5, (command, result.stdout, result.stderr)
        assert "0999_from_a_newer_version" in result.stderr
        assert "newer version" in result.stderr
        assert "Traceback" not in result.stderr
    assert (db_path.read_bytes(), db_path.stat().st_mtime_ns) == before
    assert [p.name for p in db_path.parent.glob("peacewatch.db*")] == ["peacewatch.db"]
    with pytest.raises(StoreError, match="0999_from_a_newer_version"):
        open_db(db_path)
    assert (db_path.read_bytes(), db_path.stat().st_mtime_ns) == before


# --- read-only commands on a read-only database ----------------------------------------------

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2


def without_root_override() -> None:
    """In the child before it execs: root's file-permission override out of its bounding set,
    so after exec it has neither capability and file permissions bind it."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}


@pytest.fixture
def read_only_db(crawled: Crawled, tmp_path: Path) -> Iterator[Path]:
    """A copy of the crawl's database (WAL mode, no -wal or -shm beside it), chmod 444 in a
    directory chmod 555. Yields its config."""
    data = tmp_path / "readonly"
    data.mkdir()
    db_path = data / "peacewatch.db"
    backup_database(crawled.db_path, db_path)
    config = crawled.config_for(db_path, tmp_path)
    db_path.chmod(0o444)
    data.chmod(0o555)
    try:
        yield config
    finally:
        data.chmod(0o755)
        db_path.chmod(0o644)


def test_read_only_commands_read_a_read_only_database_and_write_nothing(
    crawled: Crawled, read_only_db: Path
) -> None:
    data = read_only_db.parent / "readonly"
    db_path = data / "peacewatch.db"
    assert rows(db_path, "PRAGMA journal_mode") == [("wal",)]
    preexec = without_root_override if os.geteuid() == 0 else None
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; open(sys.argv[1], 'ab')", str(db_path)],
        capture_output=True,
        text=True,
        preexec_fn=preexec,
    )
    assert "PermissionError" in probe.stderr, "the commands below could write the database"
    before = snapshot(data)
    (statement_id,) = rows(db_path, "SELECT id FROM statements ORDER BY id LIMIT 1")[0]
    for command in (
        ["status"],
        ["status", "--json"],
        ["statements"],
        ["statements", "--json"],
        ["show", str(statement_id)],
        ["show", str(statement_id), "--json"],
    ):
        result = cli(read_only_db, *command, preexec_fn=preexec)
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.strip(), command
    assert snapshot(data) == before


# --- no control or bidi-control character in any output --------------------------------------

#: ESC + a colour, BEL, CSI (U+009B) + "clear screen", NEL, DEL, SOH, NUL, a right-to-left
#: override and a left-to-right isolate: what a hostile page can put into a title or a quote.
HOSTILE = "\x1b[31m\x07\x9b2J\x85\x7f\x01\x00\u202e\u2066"


@dataclass
class Hostile:
    config: Path
    statement_id: int
    log: Path
    atom: Path
    mails: list[EmailMessage]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """A store whose article, quote, speaker and outlet carry control characters (as an
    earlier version stored them), decided and alerted by a real cycle: log, email, Atom."""
    home = tmp_path_factory.mktemp("text")
    data = home / "data"
    db_path = data / "peacewatch.db"
    text = f"Переговоры{HOSTILE} в Женеве должны продолжиться"
    article = unian_article(1, text, fetched_url="http://unian.example/1")
    store_articles(db_path, [(article, [peace_report(text, stems=["перег", "женев", "продо"])])])
    # whatever the storing code now does with such text: the store carries it
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE sources SET name = ?", [f"УНИАН{HOSTILE}"])
    conn.execute("UPDATE articles SET title = ?, text = ?", [f"Рютте{HOSTILE} о переговорах", text])
    conn.execute("UPDATE reports SET text = ?, speaker_as_written = ?", [text, f"Рютте{HOSTILE}"])
    conn.commit()
    conn.close()
    recorder = Recorder()
    with smtp_server(recorder) as port:
        config = Config(
            storage_path=db_path,
            registry_path=home / "sources.toml",
            sources=(),
            diff=DiffSettings(encoder=False),
            alerts=AlertSettings(
                channels=("log", "email"),
                atom_path=data / "alerts.atom",
                log=LogChannelSettings(path=data / "alerts.jsonl"),
                email=settings_for(port),
            ),
        )
        run_cycle(config, sources=[], trigger="run")
    (statement_id,) = rows(db_path, "SELECT id FROM statements")[0]
    cli_config = home / "peacewatch.toml"
    cli_config.write_text(f'[storage]\npath = "{db_path}"\n', encoding="utf-8")
    yield Hostile(
        config=cli_config,
        statement_id=statement_id,
        log=data / "alerts.jsonl",
        atom=data / "alerts.atom",
        mails=[received.message for received in recorder.received],
    )


def test_the_store_carries_control_characters_for_the_output_tests(hostile: Hostile) -> None:
    conn = sqlite3.connect(hostile.config.parent / "data" / "peacewatch.db")
    try:
        (text,) = conn.execute("SELECT text FROM statements").fetchone()
    finally:
        conn.close()
    assert HOSTILE in text


def test_the_alert_log_carries_no_control_characters_and_stays_json(hostile: Hostile) -> None:
    raw = hostile.log.read_text(encoding="utf-8")
    assert not UNSAFE.search(raw)
    alerts = [json.loads(line) for line in raw.splitlines()]
    assert alerts
    assert not any(UNSAFE.search(s) for a in alerts for s in strings(a))
    assert "Переговоры в Женеве" in alerts[0]["statement"]["text"].replace("[31m2J", "")


def test_email_subject_and_body_carry_no_control_characters(hostile: Hostile) -> None:
    assert len(hostile.mails) == 1
    mail = hostile.mails[0]
    subject = str(mail["Subject"])
    body = str(mail.get_body(("plain",)).get_content()).replace(
        "\r\n", "\n"
    )  # the wire's line ends
    assert "Переговоры" in subject and "Переговоры" in body
    assert not UNSAFE.search(subject), ascii(subject)
    assert not UNSAFE.search(body), ascii(body)


def test_the_atom_feed_carries_no_control_characters(hostile: Hostile) -> None:
    raw = hostile.atom.read_text(encoding="utf-8")
    assert not UNSAFE.search(raw), ascii(raw)
    entry = ET.fromstring(raw).find(f"{{{ATOM}}}entry")
    assert entry is not None
    assert "Переговоры" in (entry.findtext(f"{{{ATOM}}}title") or "")


@pytest.mark.parametrize(
    "command",
    [["statements"], ["statements", "--json"], ["show", "{id}"], ["show", "{id}", "--json"]],
    ids=["statements", "statements-json", "show", "show-json"],
)
def test_the_command_line_prints_no_control_characters(
    hostile: Hostile, command: list[str]
) -> None:
    result = cli(hostile.config, *(c.format(id=hostile.statement_id) for c in command))
    assert result.returncode == 0, result.stderr
    assert "Переговоры" in result.stdout
    assert not UNSAFE.search(result.stdout), ascii(result.stdout)
    if "--json" in command:
        for line in result.stdout.splitlines():
            assert not any(UNSAFE.search(s) for s in strings(json.loads(line)))
