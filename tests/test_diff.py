"""The diff on a real SQLite file: one statement per utterance, one alert per new statement."""

from __future__ import annotations

import json
from datetime import date

from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import SentenceEncoder
from crawler.reports import to_reports
from storage.diff import DiffParams, decide_pending
from storage.match_score import Claim, compare
from storage.models import Article, Source
from storage.queries import save_article, upsert_sources

CHANNELS = ("log", "email")
PARAMS = DiffParams(channels=CHANNELS)


def statements(db) -> list[dict]:
    return [dict(row) for row in db.query("SELECT * FROM statements ORDER BY id")]


def alerts(db) -> list[dict]:
    return [dict(row) for row in db.query("SELECT * FROM alerts ORDER BY id")]


RUTTE_RU = (
    "Генеральный секретарь НАТО Марк Рютте заявил, что поддержал бы любую инициативу, "
    "которая поможет быстрее положить конец войне и начать переговоры о мире."
)
RUTTE_EN = (
    "NATO Secretary General Mark Rutte said he would encourage any initiative that helps "
    "end the war sooner and start peace negotiations."
)
RUTTE_UK = (
    "Генеральний секретар НАТО Марк Рютте заявив, що підтримав би будь-яку ініціативу, "
    "яка допоможе швидше покласти край війні та почати мирні переговори."
)
RUTTE_RECAP_RU = (
    "Напомним, ранее генсек НАТО Марк Рютте заявил, что поддержал бы любую инициативу, "
    "которая поможет быстрее завершить войну и начать мирные переговоры."
)
RUTTE_BUDGET_RU = (
    "Марк Рютте заявил, что страны Альянса должны увеличить расходы на оборону до пяти "
    "процентов ВВП и нарастить производство боеприпасов."
)


def test_one_utterance_in_three_languages_is_one_statement(db, store) -> None:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    store("outlet-en", "2026-02-11T13:00:00+00:00", RUTTE_EN)
    store("outlet-uk", "2026-02-11T14:00:00+00:00", RUTTE_UK)
    outcome = decide_pending(db, PARAMS)
    assert outcome.statements_new == 1
    (statement,) = statements(db)
    assert statement["outlet_count"] == 3
    assert json.loads(statement["outlets"]) == ["outlet-ru", "outlet-en", "outlet-uk"]
    assert statement["first_outlet"] == "outlet-ru"


def test_a_new_peace_statement_queues_one_alert_per_channel(db, store) -> None:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    outcome = decide_pending(db, PARAMS)
    assert outcome.alerts_queued == 2
    assert sorted(a["channel"] for a in alerts(db)) == ["email", "log"]
    assert {a["status"] for a in alerts(db)} == {"pending"}


def test_later_reports_update_the_statement_and_queue_no_second_alert(db, store) -> None:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, PARAMS)
    store("outlet-en", "2026-02-11T13:00:00+00:00", RUTTE_EN)
    outcome = decide_pending(db, PARAMS)
    assert outcome.statements_new == 0
    assert outcome.alerts_queued == 0
    assert len(alerts(db)) == 2
    assert statements(db)[0]["report_count"] == 2


def test_a_recap_of_a_known_statement_joins_it_without_an_alert(db, store) -> None:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, PARAMS)
    store("other-ru", "2026-03-20T09:00:00+00:00", RUTTE_RECAP_RU)
    outcome = decide_pending(db, PARAMS)
    assert outcome.statements_new == 0
    assert outcome.alerts_queued == 0
    recap = db.execute("SELECT recap, statement_id FROM reports ORDER BY id DESC").fetchone()
    assert recap == (1, statements(db)[0]["id"])


def test_a_recap_of_an_unknown_statement_is_a_background_statement_never_alerted(db, store) -> None:
    store("other-ru", "2026-03-20T09:00:00+00:00", RUTTE_RECAP_RU)
    decide_pending(db, PARAMS)
    (statement,) = statements(db)
    assert statement["first_seen_via_recap"] == 1 and statement["background"] == 1
    assert alerts(db) == []


def test_words_said_days_before_their_first_report_are_background(db, store) -> None:
    store(
        "outlet-en",
        "2026-02-20T09:00:00+00:00",
        "In a February 11 address, NATO Secretary General Mark Rutte said he would encourage "
        "any initiative that helps end the war sooner and start peace negotiations.",
    )
    decide_pending(db, PARAMS)
    (statement,) = statements(db)
    assert statement["background"] == 1 and statement["said_at"].startswith("2026-02-11")
    assert alerts(db) == []


def test_one_speakers_sentences_on_one_occasion_in_one_article_are_one_statement(db, store) -> None:
    store(
        "outlet-ru",
        "2026-02-11T12:00:00+00:00",
        RUTTE_RU + "\n\nОн также отметил, что переговоры о прекращении огня должны вести "
        "Украина и Россия, а союзники поддержат любое мирное соглашение.",
    )
    outcome = decide_pending(db, PARAMS)
    assert outcome.statements_new == 1 and outcome.alerts_queued == 2
    assert statements(db)[0]["report_count"] == 2


def test_one_speakers_other_remarks_that_day_reported_elsewhere_join_the_occasion(
    db, store
) -> None:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    store(
        "outlet-en",
        "2026-02-11T15:00:00+00:00",
        "Mark Rutte said the ceasefire talks were a matter for Ukraine and Russia, and that the "
        "allies would back any peace deal they reach.",
    )
    outcome = decide_pending(db, PARAMS)
    assert outcome.statements_new == 1 and len(alerts(db)) == 2


def test_the_same_speaker_on_another_subject_is_another_statement(db, store) -> None:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    store("other-ru", "2026-02-11T15:00:00+00:00", RUTTE_BUDGET_RU)
    decide_pending(db, PARAMS)
    assert len(statements(db)) == 2
    budget = statements(db)[1]
    assert budget["about_peace_talks"] == 0
    assert len(alerts(db)) == 2  # only the peace-talk statement alerts


def test_the_same_words_outside_the_time_window_are_a_new_statement(db, store) -> None:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    store("other-ru", "2026-05-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, PARAMS)
    assert len(statements(db)) == 2


def test_another_speaker_never_joins(db, store) -> None:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    store(
        "other-ru",
        "2026-02-11T13:00:00+00:00",
        RUTTE_RU.replace("Генеральный секретарь НАТО Марк Рютте", "Дмитрий Песков"),
    )
    decide_pending(db, PARAMS)
    assert [s["speaker"] for s in statements(db)] == ["Mark Rutte", "Dmitry Peskov"]


def test_each_decision_is_stored_with_its_score_and_evidence(db, store) -> None:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    store("outlet-en", "2026-02-11T13:00:00+00:00", RUTTE_EN)
    decide_pending(db, PARAMS)
    first, second = [
        json.loads(row[0]) for row in db.execute("SELECT match_reason FROM reports ORDER BY id")
    ]
    assert first["decision"] == "new"
    assert second["decision"] == "joined"
    assert second["score"] >= PARAMS.threshold
    assert "cosine" in second["parts"]


def test_deciding_again_changes_nothing(db, store) -> None:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, PARAMS)
    again = decide_pending(db, PARAMS)
    assert (again.reports_decided, again.statements_new, again.alerts_queued) == (0, 0, 0)


def test_candidate_search_reads_only_the_speaker_time_index(db) -> None:
    # the columns the diff's candidate search reads (storage/diff.py: _candidates)
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT id, said_at, about_peace_talks, background FROM statements "
        "WHERE speaker = ? AND said_at BETWEEN ? AND ? ORDER BY said_at DESC, id DESC",
        ["Mark Rutte", "2026-02-01", "2026-02-20"],
    ).fetchall()
    assert any("COVERING INDEX statements_speaker_said" in str(row) for row in plan), plan


def test_an_articles_later_sentences_with_no_day_keep_the_day_it_gave(db, store) -> None:
    store(
        "outlet-ru",
        "2026-02-12T20:00:00+00:00",
        "Генсек НАТО Марк Рютте вчера заявил, что поддержал бы любую инициативу, которая "
        "поможет быстрее завершить войну и начать переговоры о мире.\n\n"
        "Дмитрий Песков заявил, что Москва ждет ответа Киева на предложения о переговорах.\n\n"
        "Рютте также отметил, что давать советы Франции о контактах с Москвой перед "
        "переговорами — не его дело.",
    )
    decide_pending(db, PARAMS)
    (statement,) = [s for s in statements(db) if s["speaker"] == "Mark Rutte"]
    assert statement["report_count"] == 2
    assert statement["said_at"] == "2026-02-11T12:00:00+00:00"


def test_claims_without_any_shared_evidence_stay_apart() -> None:
    a = Claim(1, "en", frozenset({"negotiations"}), frozenset(), frozenset({"314"}), frozenset())
    b = Claim(
        2, "uk", frozenset({"security-guarantees"}), frozenset(), frozenset({"20"}), frozenset()
    )
    match = compare(a, b)
    assert match.score < 0.1
    assert match.parts["numbers_differ"] < 0


def test_the_same_store_gives_the_same_statement_whatever_order_the_crawl_stored_it(
    tmp_path, analyzer: Analyzer, encoder: SentenceEncoder
) -> None:
    """Seven outlets carry one remark at the same minute; the diff reads at most six reports
    of a statement, and which six must not depend on the order the crawl stored them in."""
    from storage.db import open_db
    from storage.outbox import statement_payload

    outlets = [Source(f"outlet-{n}", f"Outlet {n}", "ru", ()) for n in range(8)]
    findings = analyzer.analyze(RUTTE_RU, language="ru", published=date(2026, 2, 11))

    def decided(order: list[int]) -> tuple[list, list]:
        db = open_db(tmp_path / f"{order[0]}.db")
        upsert_sources(db, outlets)
        for n in order:
            url = f"https://outlet-{n}.example/rutte"
            article = Article(
                url,
                url,
                f"outlet-{n}",
                "Рютте",
                "2026-02-11T10:00:00",
                "test",
                "ru",
                RUTTE_RU,
                f"h{n}",
                "2026-02-11T10:00:00",
            )
            save_article(db, article, to_reports(findings, encoder))
        decide_pending(db, PARAMS)
        rows = [
            (r["url"], r["statement_id"], r["match_score"])
            for r in db.query(
                "SELECT a.url, r.statement_id, r.match_score FROM reports r "
                "JOIN articles a ON a.id = r.article_id ORDER BY a.url"
            )
        ]
        payload = statement_payload(db, 1)
        db.close()
        return rows, list(payload["outlets"])

    forward = decided(list(range(8)))
    backward = decided(list(range(7, -1, -1)))
    assert forward[1] == backward[1] == [f"outlet-{n}" for n in range(8)]
    assert [r[1:] for r in forward[0]] == [r[1:] for r in backward[0]]


def test_an_occasions_claims_are_listed_once_each_in_show_and_in_the_alert(db, store) -> None:
    from storage.outbox import statement_payload
    from storage.statements import get_statement

    store(
        "outlet-ru",
        "2026-02-11T12:00:00+00:00",
        RUTTE_RU + "\n\nОн также подчеркнул, что именно президент США Дональд Трамп вывел "
        "мирные переговоры из тупика.",
    )
    store("outlet-en", "2026-02-11T13:00:00+00:00", RUTTE_EN)
    decide_pending(db, PARAMS)
    (statement,) = statements(db)
    shown = get_statement(db, statement["id"])
    assert shown is not None
    assert [c["language"] for c in shown["claims"]] == ["ru", "ru"]  # the English renders one
    assert len(statement_payload(db, statement["id"])["claims"]) == 2


def test_the_first_outlet_is_the_first_to_publish_whatever_day_a_later_one_gives(db, store) -> None:
    store("outlet-ru", "2026-02-11T15:00:00+00:00", RUTTE_RU)
    store(
        "outlet-uk",
        "2026-02-12T09:00:00+00:00",
        "Генеральний секретар НАТО Марк Рютте учора заявив, що підтримав би будь-яку "
        "ініціативу, яка допоможе швидше покласти край війні та почати мирні переговори.",
    )
    decide_pending(db, PARAMS)
    (statement,) = statements(db)
    assert statement["first_outlet"] == "outlet-ru"
    assert statement["said_at"] == "2026-02-11T12:00:00+00:00"  # "учора", noon


RUTTE_SECOND_POINT_EN = (
    "Mark Rutte said it was not his role to advise allies on their contacts with Moscow before "
    "the peace talks."
)


def delivered(db) -> None:
    """What delivery does once a channel accepted the alerts (tested in tests/test_alerts.py)."""
    db.execute("UPDATE alerts SET status = 'sent', sent_at = created_at")
    db.conn.commit()


def test_a_new_point_before_the_alert_went_needs_no_update(db, store) -> None:
    params = DiffParams(channels=CHANNELS, update_channels=CHANNELS)
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, params)
    store("outlet-en", "2026-02-11T15:00:00+00:00", RUTTE_SECOND_POINT_EN)
    decide_pending(db, params)
    assert {a["type"] for a in alerts(db)} == {"statement"}  # the pending alert carries it


def test_a_new_point_of_an_alerted_occasion_from_another_article_queues_an_update(
    db, store
) -> None:
    params = DiffParams(channels=CHANNELS, update_channels=("log",))
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, params)
    delivered(db)
    store("outlet-en", "2026-02-11T15:00:00+00:00", RUTTE_SECOND_POINT_EN)
    outcome = decide_pending(db, params)
    assert outcome.statements_new == 0
    assert [(a["type"], a["channel"]) for a in alerts(db)] == [
        ("statement", "log"),
        ("statement", "email"),
        ("update", "log"),
    ]


def test_a_rendering_of_a_point_already_alerted_queues_no_update(db, store) -> None:
    params = DiffParams(channels=CHANNELS, update_channels=CHANNELS)
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, params)
    delivered(db)
    store("outlet-en", "2026-02-11T13:00:00+00:00", RUTTE_EN)
    assert decide_pending(db, params).alerts_queued == 0


def test_an_update_carries_the_points_its_article_added(db, store) -> None:
    from storage.outbox import alert_payload, due_alerts

    params = DiffParams(channels=("log",), update_channels=("log",))
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, params)
    delivered(db)
    store("outlet-en", "2026-02-11T15:00:00+00:00", RUTTE_SECOND_POINT_EN)
    decide_pending(db, params)
    (update,) = [a for a in due_alerts(db, "log") if a.type == "update"]
    payload = alert_payload(db, update)
    assert payload["statement"]["speaker"] == "Mark Rutte"
    assert [c["outlet"] for c in payload["update"]["new_claims"]] == ["outlet-en"]
