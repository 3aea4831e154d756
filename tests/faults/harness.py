"""What the fault tests share: configs for crawls of a test's own sources and for email
delivery, the crawl cycle whose report and store the content tests read, pages and feeds for
the mock server to serve, and articles and reports stored as a crawl stores them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from scheduler.config import AlertSettings, Config, DiffSettings, LogChannelSettings, load_config
from scheduler.cycle import CycleReport, run_cycle
from scheduler.demo.server import ArchiveServer
from storage.db import open_db
from storage.models import Article, Report, Source
from storage.queries import save_article, upsert_sources
from tests.e2e.test_daemon import hanging_source, write_config
from tests.faults.mockserver import MockServer
from tests.smtpserver import free_port, settings_for

ROOT = Path(__file__).resolve().parents[2]


def toml_lines(values: dict[str, Any]) -> str:
    """``key = value`` lines of TOML: a path as its text; strings, numbers, booleans and lists
    as JSON writes them, which TOML reads the same."""
    return "".join(
        f"{key} = {json.dumps(str(value) if isinstance(value, Path) else value)}\n"
        for key, value in values.items()
    )


def rows(database: Path | Config, sql: str) -> list[tuple[Any, ...]]:
    """The rows ``sql`` selects from a database file, or from a config's store."""
    conn = sqlite3.connect(database.storage_path if isinstance(database, Config) else database)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


# -- crawls of the test's own sources --------------------------------------------------------

#: a registry's one source, whose feed nobody serves (the discard port); never crawled, as the
#: tests set the sources of their crawls
UNUSED_SOURCE = (
    '[[sources]]\nid = "unused"\nname = "Unused"\nlanguage = "en"\n'
    'feeds = ["http://127.0.0.1:9/rss.xml"]\n'
)


#: a test crawl's bounds: 60 s for the crawl, 2 s to stop, 3 s a download, no retries, no delays
CRAWL_BOUNDS: dict[str, Any] = {
    "timeout_seconds": 60,
    "stop_grace_seconds": 2,
    "download_timeout_seconds": 3,
    "retry_times": 0,
    "download_delay_seconds": 0,
    "autothrottle": False,
}


def bounded_config(home: Path, *, atom_feed: bool = True, **crawl: Any) -> Config:
    """A config of its own in ``home`` (no archive server to start and stop), storing into
    home/store.db, its [crawl] within ``CRAWL_BOUNDS`` but for ``crawl``. Tests set the
    sources. ``atom_feed=False``: no Atom feed of the alerts."""
    (home / "sources.toml").write_text(UNUSED_SOURCE, encoding="utf-8")
    path = home / "peacewatch.toml"
    path.write_text(
        f'[storage]\npath = "{home / "store.db"}"\n[sources]\nregistry = "sources.toml"\n'
        f"[crawl]\n{toml_lines(CRAWL_BOUNDS | crawl)}"
        + ("" if atom_feed else '[alerts]\natom_path = ""\n'),
        encoding="utf-8",
    )
    return load_config(path)


@dataclass
class Cycle:
    report: CycleReport
    db_path: Path
    base: str
    seconds: float

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        db = open_db(self.db_path)
        try:
            return list(db.execute(sql, params).fetchall())
        finally:
            db.close()

    def articles(self) -> dict[str, dict[str, Any]]:
        db = open_db(self.db_path)
        try:
            return {row["url"].rsplit("/", 1)[-1]: row for row in db["articles"].rows}
        finally:
            db.close()

    def stats(self, source_id: str):
        return next(s for s in self.report.stats if s.source_id == source_id)


def crawl(config: Config, db_path: Path, base: str, *sources: Source, **settings: Any) -> Cycle:
    """One timed cycle of ``sources`` (served below ``base``) into ``db_path``, the alert log
    beside it, and the Atom feed too where ``config`` keeps one; ``settings`` change [crawl]."""
    alerts = config.alerts
    config = replace(
        config,
        storage_path=db_path,
        sources=tuple(sources),
        crawl=replace(config.crawl, **settings),
        alerts=replace(
            alerts,
            atom_path=db_path.with_suffix(".atom") if alerts.atom_path else None,
            log=replace(alerts.log, path=db_path.with_suffix(".jsonl")),
        ),
    )
    started = time.monotonic()
    report = run_cycle(config)
    return Cycle(report, db_path, base, time.monotonic() - started)


def query(config: Config, sql: str, *params: object) -> list[tuple[Any, ...]]:
    db = open_db(config.storage_path)
    try:
        return [tuple(row) for row in db.execute(sql, list(params)).fetchall()]
    finally:
        db.close()


@contextmanager
def hanging_feed_config(
    archive_server: ArchiveServer, home: Path, **settings: Any
) -> Iterator[Path]:
    """The e2e test config (``write_config``) of some archive outlets plus a source whose feed,
    on a mock server in home/static that runs as long as the block, hangs after its headers;
    60 s download timeout, so the crawl stays on it. ``settings``: more of ``write_config``'s."""
    static = home / "static"
    static.mkdir()
    with MockServer(static) as server:
        hanging = hanging_source(server.url("")).replace("/hang", "/hang-after-headers")
        yield write_config(
            archive_server, home, extra_sources=hanging, download_timeout=60, **settings
        )


# -- pages and feeds for the mock server -------------------------------------------------------

#: an English article page, published 2026-11-20 10:00 UTC
ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="2026-11-20T10:00:00+00:00"></head>
<body><article><h1>{title}</h1>
<p>The foreign minister said on Friday that talks on a ceasefire would resume next week in
Geneva, and that both delegations had agreed on an agenda for the first two days.</p>
<p>Officials from both sides told reporters that prisoner exchanges and the safety of the
nuclear power plant would be discussed first, before any question of territory.</p>
<p>Observers cautioned that earlier rounds had broken down within hours, and that the
fighting along the front line had not eased during the preparations for the meeting.</p>
</article></body></html>
"""

#: Russian news paragraphs: an article's text
NEWS = [
    "Делегации двух стран встретились в Стамбуле во вторник и обсудили обмен пленными, "
    "гуманитарные коридоры и дальнейший график консультаций на уровне экспертов.",
    "По словам участников встречи, следующий раунд может пройти в начале будущего месяца, "
    "если стороны согласуют повестку и состав рабочих групп.",
    "Наблюдатели отмечают, что тон заявлений заметно смягчился по сравнению с прошлой неделей.",
]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def put(static: Path, path: str, body: bytes | str, content_type: str | None = None) -> None:
    """Serve ``body`` at ``/static/PATH``; ``content_type`` overrides the default utf-8 html."""
    target = static / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
    if content_type is not None:
        target.with_name(target.name + ".headers").write_text(
            f"Content-Type: {content_type}\n", encoding="utf-8"
        )


def rss(items: list[tuple[str, str, str | None]], prolog: str = "") -> str:
    """An RSS 2.0 feed of (link, title, pubDate or None) items."""
    parts = []
    for link, title, date in items:
        pub = f"<pubDate>{date}</pubDate>" if date else ""
        parts.append(f"<item><title>{title}</title><link>{link}</link>{pub}</item>")
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}\n<rss version="2.0"><channel>'
        f"<title>Тестовая лента</title><link>http://example.org/</link>"
        f"{''.join(parts)}</channel></rss>\n"
    )


def link_feed(links: list[str], *, title: str, home: str) -> str:
    """An RSS 2.0 feed titled ``title`` of the site at ``home``, whose item N links to
    ``links[N]`` and is dated 2026-11-20 10:0N GMT (N mod 10)."""
    items = "".join(
        f"<item><title>Item {n}</title><link>{escape(link)}</link>"
        f"<pubDate>Fri, 20 Nov 2026 10:0{n % 10}:00 GMT</pubDate></item>"
        for n, link in enumerate(links)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>{home}</link><description>d</description>"
        f"{items}</channel></rss>"
    )


# -- the store, the alerts and their delivery by email ---------------------------------------

UNIAN = Source("unian-ru", "УНИАН", "ru", ())


def peace_report(text: str, **fields: Any) -> Report:
    """Mark Rutte ("Рютте"), quoted directly on the peace talks, the whole of ``text``; the
    stems of its longer words; ``fields`` replace any of these."""
    values: dict[str, Any] = {
        "speaker": "Mark Rutte",
        "speaker_as_written": "Рютте",
        "kind": "direct",
        "text": text,
        "recap": False,
        "about_peace_talks": True,
        "topic_score": 2.0,
        "topic_concepts": ["negotiations"],
        "topic_terms": ["переговор*"],
        "start": 0,
        "end": len(text),
        "stems": [w[:5] for w in text.lower().split() if len(w) > 3],
    }
    return Report(**(values | fields))


def unian_article(number: int, text: str, *, day: int | None = None, **fields: Any) -> Article:
    """Article ``number`` of unian-ru, https://unian.example/NUMBER (fetched from there too),
    "Рютте о переговорах", published 2026-02-DAY 12:00 UTC (DAY: 10 + ``number`` unless given)
    by its JSON-LD and fetched five minutes later; ``fields`` replace any of these."""
    url = f"https://unian.example/{number}"
    date = f"2026-02-{10 + number if day is None else day:02d}"
    values: dict[str, Any] = {
        "url": url,
        "fetched_url": url,
        "source_id": UNIAN.id,
        "title": "Рютте о переговорах",
        "published_at": f"{date}T12:00:00+00:00",
        "published_from": "json-ld",
        "language": "ru",
        "text": text,
        "content_hash": str(number),
        "fetched_at": f"{date}T12:05:00+00:00",
    }
    return Article(**(values | fields))


def store_articles(path: Path, articles: list[tuple[Article, list[Report]]]) -> None:
    """Articles of unian-ru and their reports, stored as a crawl stores them (undecided: the
    next cycle decides them and queues their alerts)."""
    db = open_db(path)
    try:
        upsert_sources(db, [UNIAN])
        for article, reports in articles:
            save_article(db, article, reports)
    finally:
        db.close()


def email_config(
    tmp_path: Path, port: int, *, alerts: dict[str, Any] | None = None, **email: Any
) -> Config:
    """No sources (the cycle decides and delivers what is stored), the email channel only, to
    the SMTP server on ``port``; ``alerts`` and ``email`` change [alerts] and [alerts.email]."""
    return Config(
        storage_path=tmp_path / "data" / "peacewatch.db",
        registry_path=tmp_path / "sources.toml",
        sources=(),
        diff=DiffSettings(encoder=False),
        alerts=AlertSettings(
            channels=("email",),
            max_attempts=3,
            retry_backoff_seconds=0,
            atom_path=None,
            log=LogChannelSettings(path=None),
            email=settings_for(port, **({"timeout_seconds": 2} | email)),
            **(alerts or {}),
        ),
    )


def cycle(config: Config) -> CycleReport:
    return run_cycle(config, sources=[], trigger="run")


def email_table(port: int, **email: Any) -> str:
    """[alerts.email] of a config: the SMTP server on ``port`` of this machine, and ``email``."""
    return f'[alerts.email]\nhost = "127.0.0.1"\nport = {port}\n{toml_lines(email)}'


def unserved_registry(home: Path) -> None:
    """home/sources.toml: unian-ru, its one feed on a port nobody listens on (fails at once)."""
    closed = free_port()
    (home / "sources.toml").write_text(
        '[[sources]]\nid = "unian-ru"\nname = "УНИАН"\nlanguage = "ru"\n\n[[sources.feeds]]\n'
        f'url = "http://127.0.0.1:{closed}/feed.xml"\nkind = "rss"\n',
        encoding="utf-8",
    )


def email_run_config(home: Path, port: int, *, alerts: str = "", **email: Any) -> Path:
    """home/peacewatch.toml for a real ``peacewatch run`` of home/sources.toml (one crawl of
    60 s at most, no retries, no robots.txt) that alerts by email only, to the SMTP server on
    ``port``; ``alerts``: more [alerts] lines, ``email``: [alerts.email] values."""
    path = home / "peacewatch.toml"
    path.write_text(
        '[sources]\nregistry = "sources.toml"\n\n'
        "[crawl]\ntimeout_seconds = 60\nretry_times = 0\nobey_robots_txt = false\n\n"
        f'[diff]\nencoder = false\n\n[alerts]\nchannels = ["email"]\n{alerts}\n'
        + email_table(port, **email),
        encoding="utf-8",
    )
    return path
