"""Search in any word form (issue 14): a case form, a language or a spelling finds the rest."""

from __future__ import annotations

import sqlite3

from scheduler.config import load_config, read_analysis_data
from storage.db import open_db
from storage.diff import decide_pending
from storage.lemmas import lemma_query, names_match, word_lemmas
from storage.migrations import migrations
from storage.queries import upsert_speakers
from storage.statements import StatementFilter, list_statements
from tests.test_diff import PARAMS

LAVROV_EN = (
    "Russian Foreign Minister Sergey Lavrov said on Monday that Moscow was ready for a new "
    "round of peace talks with Ukraine in Geneva."
)
PESKOV_RU = (
    "Пресс-секретарь президента России Дмитрий Песков заявил, что Москва готова к новому "
    "раунду мирных переговоров с Украиной в Женеве."
)


def _gazetteer(db) -> None:
    speakers, _ = read_analysis_data(load_config().analysis)
    upsert_speakers(db, speakers["speakers"])


def _found(db, **filters) -> list[str]:
    return [row["speaker"] for row in list_statements(db, StatementFilter(limit=500, **filters))]


def test_a_case_form_finds_another() -> None:
    assert set(word_lemmas("Женеве")) & set(word_lemmas("Женева"))
    assert set(word_lemmas("Лаврову")) & set(word_lemmas("Лавров"))
    assert set(word_lemmas("Женеві")) & set(word_lemmas("Женева"))


def test_a_name_matches_in_any_case_and_alphabet_it_is_written_in() -> None:
    assert names_match("Пескова", "Дмитрий Песков")
    assert names_match("peskov", "Dmitry Peskov")
    assert names_match("Erdogan", "Recep Tayyip Erdoğan")
    assert not names_match("Лавров", "Дмитрий Песков")


def test_fts_syntax_in_the_users_words_is_taken_as_words(db, store) -> None:
    store("outlet-ru", "2026-02-16T10:00:00+00:00", PESKOV_RU)
    decide_pending(db, PARAMS)
    assert _found(db, search='Женеве" OR NEAR(x* -') == []  # no FTS syntax error, no match
    assert _found(db, search='"Женеве"*') == ["Dmitry Peskov"]
    assert lemma_query("") == ""


def test_search_in_another_case_finds_the_statement(db, store) -> None:
    store("outlet-ru", "2026-02-16T10:00:00+00:00", PESKOV_RU)
    decide_pending(db, PARAMS)
    assert _found(db, search="Женева") == ["Dmitry Peskov"]  # the text says "в Женеве"
    assert _found(db, search="переговоры Женевой") == ["Dmitry Peskov"]
    assert _found(db, search="Вашингтоне") == []


def test_search_by_a_name_finds_its_speaker_in_any_language(db, store) -> None:
    _gazetteer(db)
    store("outlet-en", "2026-02-16T10:00:00+00:00", LAVROV_EN)
    decide_pending(db, PARAMS)
    assert _found(db, search="Лавров") == ["Sergey Lavrov"]
    assert _found(db, search="Лаврова") == _found(db, search="Lavrov") == ["Sergey Lavrov"]


def test_a_speaker_in_any_language_or_case_is_the_same_filter(db, store) -> None:
    _gazetteer(db)
    store("outlet-ru", "2026-02-16T10:00:00+00:00", PESKOV_RU)
    store("outlet-en", "2026-02-16T11:00:00+00:00", LAVROV_EN)
    decide_pending(db, PARAMS)
    peskov = _found(db, speaker="Peskov")
    assert peskov == ["Dmitry Peskov"]
    for written in ("Песков", "Пєсков", "Пескова", "dmitry peskov"):
        assert _found(db, speaker=written) == peskov


def test_a_speaker_the_gazetteer_does_not_know_is_matched_as_written(db, store) -> None:
    store("outlet-ru", "2026-02-16T10:00:00+00:00", PESKOV_RU)
    decide_pending(db, PARAMS)
    assert _found(db, speaker="Песк") == ["Dmitry Peskov"]  # no gazetteer: part of the name


def test_the_migration_indexes_the_words_of_statements_already_stored(tmp_path, store, db) -> None:
    store("outlet-ru", "2026-02-16T10:00:00+00:00", PESKOV_RU)
    decide_pending(db, PARAMS)
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    db.close()
    raw = sqlite3.connect(path)
    # as the store was before migration 0012: no lemmas, the old full-text index
    raw.execute("DELETE FROM _sqlite_migrations WHERE name = '0012_statement_lemmas'")
    raw.commit()
    raw.close()
    old = open_db(path, migrate=False)
    old["statements"].disable_fts()
    old["statements"].transform(drop={"lemmas"})
    old["statements"].enable_fts(["speaker", "text", "renderings"], create_triggers=True)
    migrations.apply(old)
    assert old.execute("SELECT lemmas FROM statements").fetchone()[0]
    assert _found(old, search="Женева") == ["Dmitry Peskov"]
    old.close()
