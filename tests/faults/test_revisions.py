"""Scenario 13: an article edited after publication, and one flapping A → B → A.

Real crawls of a page served by the mock server in its own process; the feed's Atom
``<updated>`` says when the page changed.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.config import load_config
from scheduler.cycle import run_cycle
from storage.db import open_db
from storage.models import Feed, Source
from tests.faults.mockserver import MockServer

pytestmark = pytest.mark.faults

PESKOV = (
    "«Мы готовы к переговорам о прекращении огня в Женеве, если Киев подтвердит свою "
    "делегацию», — заявил пресс-секретарь Кремля Дмитрий Песков журналистам."
)
LAVROV = (
    "«Следующий раунд переговоров о мирном урегулировании пройдет в Стамбуле в марте», — "
    "сказал министр иностранных дел России Сергей Лавров."
)
FILLER = (
    "Переговорные группы продолжают консультации, детали повестки пока не раскрываются. "
    "Эксперты ожидают, что обсуждение займет несколько недель."
)


def page(*paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<html lang="ru"><head><meta charset="utf-8"><title>Переговоры</title>'
        '<meta property="article:published_time" content="2026-02-11T10:00:00+00:00">'
        f"</head><body><article><h1>Переговоры о мире</h1>{body}</article></body></html>"
    )


def feed(url: str, updated: datetime) -> str:
    stamp = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Тест</title><id>urn:test</id><updated>{stamp}</updated>"
        f'<entry><title>Переговоры</title><link href="{url}"/><id>urn:1</id>'
        f"<published>2026-02-11T10:00:00Z</published><updated>{stamp}</updated></entry></feed>"
    )


@pytest.fixture
def site(tmp_path: Path):
    static = tmp_path / "static"
    static.mkdir()
    with MockServer(static) as server:
        (static / "feed.xml.headers").write_text("Content-Type: application/atom+xml\n")
        config_path = tmp_path / "peacewatch.toml"
        config_path.write_text(
            f'[storage]\npath = "{tmp_path / "pw.db"}"\n'
            "[crawl]\ndownload_timeout_seconds = 3\nretry_times = 1\ndownload_delay_seconds = 0\n"
            "autothrottle = false\ntimeout_seconds = 60\n"
            f'[alerts]\natom_path = ""\n[alerts.log]\npath = "{tmp_path / "alerts.jsonl"}"\n',
            encoding="utf-8",
        )
        source = Source(
            "test-ru",
            "Test",
            "ru",
            (Feed(server.url("/static/feed.xml"), "atom"),),
            homepage=server.url("/"),
        )
        config = replace(load_config(config_path), sources=(source,))

        def publish(*paragraphs: str) -> None:
            (static / "article.html").write_text(page(*paragraphs), encoding="utf-8")
            time.sleep(1.1)  # the feed's update time must be after the last fetch (seconds)
            now = datetime.now(UTC)
            (static / "feed.xml").write_text(
                feed(server.url("/static/article.html"), now), encoding="utf-8"
            )

        yield config, publish, server, tmp_path


def _alerts(tmp_path: Path) -> list[dict]:
    path = tmp_path / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _one(config, sql: str):
    db = open_db(config.storage_path)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def test_an_edit_that_adds_a_statement_alerts_it_once_and_keeps_both_versions(site) -> None:
    config, publish, _, tmp_path = site
    publish(PESKOV, FILLER)
    run_cycle(config)
    first = _alerts(tmp_path)
    assert [a["statement"]["speaker"] for a in first] == ["Dmitry Peskov"]
    publish(PESKOV, FILLER, LAVROV)
    run_cycle(config)
    alerts = _alerts(tmp_path)
    assert [a["statement"]["speaker"] for a in alerts] == ["Dmitry Peskov", "Sergey Lavrov"]
    assert _one(config, "SELECT COUNT(*) FROM articles") == 1
    assert _one(config, "SELECT COUNT(*) FROM article_versions") == 2
    assert "Стамбуле" in _one(config, "SELECT text FROM articles")


def test_a_page_flapping_back_to_an_earlier_version_alerts_nothing_again(site) -> None:
    config, publish, _, tmp_path = site
    publish(PESKOV, FILLER)
    run_cycle(config)
    publish(LAVROV, FILLER)  # B: Peskov's statement removed, Lavrov's added
    run_cycle(config)
    after_b = len(_alerts(tmp_path))
    publish(PESKOV, FILLER)  # back to A
    run_cycle(config)
    assert len(_alerts(tmp_path)) == after_b == 2
    assert _one(config, "SELECT COUNT(*) FROM article_versions") == 3
    assert "Песков" in _one(config, "SELECT text FROM articles")
    assert _one(config, "SELECT COUNT(*) FROM reports") == 2  # no duplicate report of A


def test_an_unchanged_feed_item_is_not_fetched_again(site) -> None:
    config, publish, server, _ = site
    publish(PESKOV, FILLER)
    run_cycle(config)
    run_cycle(config)
    assert server.requests().count("/static/article.html") == 1


def test_a_feed_update_with_the_same_text_stores_no_new_version(site) -> None:
    config, publish, _, tmp_path = site
    publish(PESKOV, FILLER)
    run_cycle(config)
    publish(PESKOV, FILLER)  # the feed says updated, the text is the same
    run_cycle(config)
    assert _one(config, "SELECT COUNT(*) FROM article_versions") == 0
    assert len(_alerts(tmp_path)) == 1
