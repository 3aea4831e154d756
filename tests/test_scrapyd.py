"""The scrapyd backend's parts without a server: exports, ingest, snapshots, egg, config,
client errors (DESIGN §11, issue 15). The servers themselves: tests/e2e/test_scrapyd.py."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import asdict
from datetime import UTC, datetime
from io import BytesIO

import pytest
from click.testing import CliRunner

from crawler.build import code_digest
from crawler.ingest import ingest_export, read_export
from crawler.job import CrawlJob
from scheduler.cli import cli
from scheduler.config import ConfigError
from scheduler.scrapyd import backend
from scheduler.scrapyd.client import ScrapydError, Server
from scheduler.scrapyd.egg import build_egg
from scheduler.settings import CrawlSettings
from storage.crawl_jobs import server_seen
from storage.db import open_db
from storage.models import Article, Feed, Report, Source
from storage.queries import get_feed_state, upsert_sources
from storage.snapshot import Snapshot, build_snapshot
from tests.smtpserver import silent_server
from tests.test_alerts import _report
from tests.test_storage import ARTICLE, SOURCE

JOB = "pw-1-abc"


def export(*records: dict, job: str = JOB) -> bytes:
    lines = [
        json.dumps({"job": job, "seq": seq, **record}) for seq, record in enumerate(records, 1)
    ]
    return ("\n".join(lines) + "\n").encode()


def header(code: str | None = None) -> dict:
    return {"record": "header", "code": code or code_digest(), "sources": ["unian-ru"]}


def result(finished: bool = True) -> dict:
    stats = {"source_id": "unian-ru", "feeds_ok": 1, "items_seen": 2, "requests": 3}
    return {"record": "result", "finished": finished, "reason": "finished", "sources": [stats]}


FEED = {
    "record": "feed_state",
    "source_id": "unian-ru",
    "url": "https://x.org/rss",
    "status": 200,
    "etag": '"v1"',
    "at": "2026-02-11T17:00:00+00:00",
}
FAILURE = {
    "record": "page_failure",
    "source_id": "unian-ru",
    "url": "https://x.org/a/2",
    "error": "HTTP 500 from https://x.org/a/2",
}
ARTICLE_RECORD = {"record": "article", **asdict(ARTICLE)}


def one_report(article: Article) -> list[Report]:
    return [_report("Мы поддержим любую инициативу.")]


def ingest(db, body: bytes, code: str | None = None):
    upsert_sources(db, [SOURCE])
    return ingest_export(
        db,
        JOB,
        read_export(body, JOB),
        ["unian-ru"],
        node_code=code or code_digest(),
        analyse=one_report,
    )


def counts(db) -> tuple:
    return tuple(
        db.execute(sql).fetchone()[0]
        for sql in (
            "SELECT COUNT(*) FROM articles",
            "SELECT COUNT(*) FROM reports",
            "SELECT COALESCE(SUM(attempts), 0) FROM page_failures",
        )
    )


def test_an_export_is_ingested_with_the_nodes_analysis(db) -> None:
    outcome = ingest(db, export(header(), FEED, FAILURE, ARTICLE_RECORD, result()))
    assert outcome.finished and outcome.error is None
    (stats,) = outcome.stats
    assert (stats.articles_new, stats.reports, stats.feeds_ok, stats.requests) == (1, 1, 1, 3)
    assert counts(db) == (1, 1, 1)
    assert get_feed_state(db, "unian-ru", "https://x.org/rss").etag == '"v1"'


def test_reading_the_same_export_again_changes_nothing(db) -> None:
    body = export(header(), FEED, FAILURE, ARTICLE_RECORD, result())
    ingest(db, body)
    before = (counts(db), list(db.execute("SELECT * FROM feed_state")))
    again = ingest(db, body)
    assert (counts(db), list(db.execute("SELECT * FROM feed_state"))) == before
    assert again.stats[0].articles_new == 0 and again.stats[0].skipped_known == 1


def test_a_line_delivered_twice_is_read_once(db) -> None:
    body = export(header(), FAILURE, ARTICLE_RECORD, result())
    lines = body.splitlines(keepends=True)
    reading = read_export(b"".join([*lines[:3], lines[1], lines[2], *lines[3:]]), JOB)
    assert reading.repeated == 2 and len(reading.records) == 4
    upsert_sources(db, [SOURCE])
    ingest_export(db, JOB, reading, ["unian-ru"], node_code=code_digest(), analyse=one_report)
    assert counts(db) == (1, 1, 1)


def test_another_jobs_failure_of_the_same_page_is_counted(db) -> None:
    ingest(db, export(header(), FAILURE, result()))
    upsert_sources(db, [SOURCE])
    ingest_export(
        db,
        "pw-2-def",
        read_export(export(header(), FAILURE, result(), job="pw-2-def"), "pw-2-def"),
        ["unian-ru"],
        node_code=code_digest(),
        analyse=one_report,
    )
    assert counts(db)[2] == 2


def test_an_export_cut_off_mid_line_keeps_its_whole_lines_and_says_so(db) -> None:
    body = export(header(), FEED, ARTICLE_RECORD, result())
    cut = body[: body.index(b'"record": "result"') + 5]  # the last line is half written
    reading = read_export(cut, JOB)
    assert reading.truncated
    outcome = ingest(db, cut)
    (stats,) = outcome.stats
    assert not outcome.finished and "cut off mid-line" in (outcome.error or "")
    assert stats.status == "partial" and stats.articles_new == 1 and stats.feeds_ok == 1
    assert counts(db)[0] == 1


def test_an_export_from_other_crawler_code_is_refused_naming_both_versions(db) -> None:
    outcome = ingest(db, export(header("0ld0ld0ld0ld"), ARTICLE_RECORD, result()))
    assert outcome.stats[0].failed
    assert "0ld0ld0ld0ld" in (outcome.error or "") and code_digest() in (outcome.error or "")
    assert "peacewatch deploy" in (outcome.error or "")
    assert counts(db) == (0, 0, 0)


def test_lines_that_are_not_this_jobs_records_are_skipped_and_counted() -> None:
    body = export(header(), result()) + b'{"job": "pw-1-abc", "seq": 9}\n[1, 2]\nnot json\n'
    body += export(header(), job="pw-9-other")
    reading = read_export(body, JOB)
    assert [r["record"] for r in reading.records] == ["header", "result"]
    assert reading.bad_lines == 4


def test_records_of_a_source_not_in_the_job_are_not_taken(db) -> None:
    foreign = {**ARTICLE_RECORD, "source_id": "other", "url": "https://y.org/1"}
    outcome = ingest(db, export(header(), foreign, result()))
    assert counts(db)[0] == 0 and "not records" in " ".join(outcome.notes)


def test_a_snapshot_knows_stored_urls_failures_and_feed_validators(db) -> None:
    ingest(db, export(header(), FEED, FAILURE, ARTICLE_RECORD, result()))
    snapshot = Snapshot.decode(
        build_snapshot(db, ["unian-ru"], now=datetime(2026, 2, 12, tzinfo=UTC)).encode()
    )
    assert snapshot.is_known(ARTICLE.url) and not snapshot.is_known("https://x.org/a/9")
    assert snapshot.fetch_time(ARTICLE.url) == datetime.fromisoformat(ARTICLE.fetched_at)
    assert snapshot.failed_attempts(["https://x.org/a/2"]) == {"https://x.org/a/2": 1}
    assert snapshot.feed_state("unian-ru", "https://x.org/rss").etag == '"v1"'


def test_a_snapshot_too_big_for_a_command_line_keeps_the_newest_urls(db) -> None:
    upsert_sources(db, [SOURCE])
    for n in range(400):
        day = f"2026-02-{1 + n // 40:02d}T{n % 24:02d}:00:00+00:00"
        db.execute(
            "INSERT INTO articles (url, fetched_url, source_id, title, published_at, "
            "published_from, language, text, content_hash, fetched_at) VALUES "
            "(?, ?, 'unian-ru', 't', ?, 'feed', 'ru', 'x', ?, ?)",
            [f"https://x.org/{n}", f"https://x.org/{n}", day, str(n), day],
        )
    db.conn.commit()
    snapshot = build_snapshot(
        db, ["unian-ru"], max_chars=3000, now=datetime(2026, 2, 12, tzinfo=UTC)
    )
    assert len(snapshot.encode()) <= 3000 and snapshot.dropped > 0
    assert snapshot.is_known("https://x.org/399") and not snapshot.is_known("https://x.org/0")


def test_a_job_travels_as_one_argument_and_comes_back_whole() -> None:
    job = CrawlJob(db_path="", sources=[SOURCE], result_path="", snapshot=Snapshot().encode())
    assert CrawlJob.decode(job.encode()) == job and job.remote
    with pytest.raises(ValueError, match="does not decode"):
        CrawlJob.decode("not a job")


def test_the_egg_holds_the_crawler_and_names_its_settings_and_code() -> None:
    version, egg = build_egg()
    assert version.endswith(code_digest()) and build_egg()[1] == egg  # deterministic
    with zipfile.ZipFile(BytesIO(egg)) as archive:
        names = archive.namelist()
        assert "crawler/spiders/news.py" in names and "storage/queries.py" in names
        assert not any(name.startswith(("scheduler/", "seeds/")) for name in names)
        assert "crawler.settings" in archive.read("EGG-INFO/entry_points.txt").decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"backend": "cloud"}, 'must be "local" or "scrapyd"'),
        ({"backend": "scrapyd"}, "needs scrapyd_urls"),
        ({"scrapyd_urls": ("ftp://x",)}, "not an http(s) URL"),
        ({"scrapyd_urls": ("http://a:6800", "http://a:6800/")}, "listed twice"),
    ],
)
def test_the_crawl_backend_settings_are_checked(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        CrawlSettings(**changes)


def test_credentials_in_a_server_url_are_refused_without_repeating_them() -> None:
    with pytest.raises(ConfigError) as caught:
        CrawlSettings(scrapyd_urls=("http://bot:s3cret@10.0.0.5:6800",))
    assert "PEACEWATCH_SCRAPYD_PASSWORD" in str(caught.value) and "s3cret" not in str(caught.value)


def test_a_server_that_never_answers_is_down_after_the_request_timeout() -> None:
    with silent_server() as port:
        server = Server(f"http://127.0.0.1:{port}", timeout=0.5)
        with pytest.raises(ScrapydError, match=r"no answer within 0\.5 s"):
            server.versions("peacewatch")


def test_status_has_a_line_per_server_saying_what_is_wrong(tmp_path, monkeypatch) -> None:
    config = tmp_path / "peacewatch.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "test.db"}"\n', encoding="utf-8")
    db = open_db(tmp_path / "test.db")
    server_seen(
        db, "http://10.0.0.5:6800", ok=True, egg_version="0_1_0-abc", jobs=1, articles_new=40
    )
    server_seen(
        db,
        "http://10.0.0.6:6800",
        ok=False,
        error="http://10.0.0.6:6800: cannot connect (connection refused)",
    )
    db.close()
    result = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert result.exit_code == 0, result.output
    up = next(line for line in result.output.splitlines() if "10.0.0.5" in line)
    down = next(line for line in result.output.splitlines() if "10.0.0.6:6800 " in line)
    assert up.split()[1:5] == ["ok", "0_1_0-abc", "1", "40"]
    assert "DOWN" in down and "connection refused" in down
    records = CliRunner().invoke(cli, ["--config", str(config), "status", "--json"]).output
    servers = [json.loads(line) for line in records.splitlines() if '"server"' in line]
    assert [s["url"] for s in servers] == ["http://10.0.0.5:6800", "http://10.0.0.6:6800"]
    assert [s["ok"] for s in servers] == [True, False]


def test_an_empty_export_says_the_crawl_did_not_start_on_the_worker(db) -> None:
    outcome = ingest(db, b"")
    assert outcome.stats[0].failed and "did not start on the worker" in (outcome.error or "")


def test_a_job_whose_argument_would_not_fit_a_command_line_is_split(db, monkeypatch) -> None:
    sources = [
        Source(id=f"s{n}", name=f"S{n}", language="ru", feeds=(Feed(f"https://s{n}.org/rss"),))
        for n in range(40)
    ]
    upsert_sources(db, sources)
    job = CrawlJob(db_path="x.db", sources=sources, result_path="r.json")
    crawl = backend.RemoteCrawl([], "peacewatch", 60, 1, 5, 30, None)
    (whole,) = backend._job_for(db, job, sources, crawl)
    limit = len(whole.encode()) * 2 // 3  # above one source's job: compression and overhead
    monkeypatch.setattr(backend, "MAX_JOB_ARGUMENT", limit)
    jobs = backend._job_for(db, job, sources, crawl)
    assert len(jobs) > 1 and all(len(j.encode()) <= limit for j in jobs)
    assert [s.id for j in jobs for s in j.sources] == [s.id for s in sources]  # each once
    assert all(j.remote and not j.speakers_path for j in jobs)  # the worker gets no store
