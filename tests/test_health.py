"""Source health: judged against the source's own normal; one alert on failing, one on recovery."""

from __future__ import annotations

import json
from typing import Any

from scheduler.config import HealthSettings
from scheduler.health import assess
from storage.health import update_health
from storage.models import Source, SourceRunStats
from storage.queries import finish_run, start_run, upsert_sources

SETTINGS = HealthSettings()


def run(
    status: str = "ok",
    items: int = 20,
    new: int = 5,
    failed_pages: int = 0,
    not_modified: int = 0,
    error: str | None = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "items_seen": items,
        "articles_new": new,
        "pages_failed": failed_pages,
        "not_modified": not_modified,
        "error_text": error,
    }


def test_a_source_with_no_history_is_ok() -> None:
    assert assess([], SETTINGS).state == "ok"


def test_three_failed_runs_in_a_row_make_a_source_failing_with_the_error() -> None:
    history = [run("failed", 0, 0, error="HTTP 503")] * 3 + [run()] * 5
    verdict = assess(history, SETTINGS)
    assert verdict.state == "failing"
    assert "failed 3 runs in a row" in verdict.reason and "HTTP 503" in verdict.reason


def test_two_failed_runs_are_not_yet_failing() -> None:
    assert assess([run("failed", 0, 0)] * 2 + [run()] * 5, SETTINGS).state == "ok"


def test_no_items_when_the_source_usually_lists_many_is_failing() -> None:
    verdict = assess([run(items=0, new=0)] + [run(items=30)] * 5, SETTINGS)
    assert verdict.state == "failing"
    assert "usually 30" in verdict.reason


def test_no_items_because_the_feed_answered_304_is_healthy() -> None:
    assert assess([run(items=0, new=0, not_modified=1)] + [run()] * 5, SETTINGS).state == "ok"


def test_a_quiet_source_that_rarely_lists_anything_is_not_failing_when_empty() -> None:
    assert assess([run(items=0, new=0)] + [run(items=1, new=0)] * 5, SETTINGS).state == "ok"


def test_extraction_failing_on_most_pages_is_failing() -> None:
    verdict = assess([run(new=2, failed_pages=8, error="no text")] + [run()] * 5, SETTINGS)
    assert verdict.state == "failing"
    assert "8 of 10 article pages failed" in verdict.reason


def test_a_deferred_source_is_waiting_not_failing() -> None:
    assert assess([run("deferred", 0, 0)] + [run()] * 5, SETTINGS).state == "ok"


def _record(db, source_id: str, stats: SourceRunStats) -> None:
    run_id = start_run(db, "test")
    finish_run(db, run_id, [stats], duration_s=1)


def _health_alerts(db) -> list[dict[str, Any]]:
    return [json.loads(row[0]) for row in db.execute("SELECT payload FROM alerts ORDER BY id")]


def test_health_alerts_once_on_failing_and_once_on_recovery(db) -> None:
    upsert_sources(db, [Source("unian-ru", "УНИАН", "ru", ())])

    def judge(history: list[dict[str, Any]]) -> Any:
        return assess(history, SETTINGS)

    for _ in range(3):
        _record(db, "unian-ru", SourceRunStats("unian-ru", items_seen=25, articles_new=4))
        update_health(db, ["unian-ru"], judge, 11, ("log",))
    assert _health_alerts(db) == []
    for _ in range(5):  # failing from the third, and staying so: one alert
        _record(
            db,
            "unian-ru",
            SourceRunStats("unian-ru", status="failed", errors=1, error_text="HTTP 503"),
        )
        update_health(db, ["unian-ru"], judge, 11, ("log",))
    (failing,) = _health_alerts(db)
    assert failing["state"] == "failing" and "HTTP 503" in failing["reason"]
    for _ in range(3):  # recovered at once, and staying so: one alert
        _record(db, "unian-ru", SourceRunStats("unian-ru", items_seen=25, articles_new=4))
        update_health(db, ["unian-ru"], judge, 11, ("log",))
    failing, recovered = _health_alerts(db)
    assert recovered["state"] == "recovered"
    assert db.execute("SELECT state FROM source_health").fetchone()[0] == "ok"
