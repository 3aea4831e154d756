"""Speaker resolution: names in any case form, roles at a date, pronouns, unnamed sources."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.analysis.speakers import Gazetteer, SpeakerTracker

DATA = {
    "speakers": [
        {
            "name": "Mark Rutte",
            "kind": "person",
            "aliases": {
                "en": ["Mark Rutte", "Rutte"],
                "ru": ["Марк Рютте", "Рютте"],
                "uk": ["Марк Рютте", "Рютте"],
            },
            "pinned": ["Рютте"],
            "roles": [
                {
                    "en": ["NATO Secretary General", "NATO chief"],
                    "ru": ["генеральный секретарь НАТО", "генсек НАТО"],
                    "uk": ["генеральний секретар НАТО", "генсек НАТО"],
                    "from": "2024-10-01",
                    "to": "",
                }
            ],
        },
        {
            "name": "Jens Stoltenberg",
            "kind": "person",
            "aliases": {
                "en": ["Jens Stoltenberg", "Stoltenberg"],
                "ru": ["Йенс Столтенберг", "Столтенберг"],
                "uk": ["Єнс Столтенберг", "Столтенберг"],
            },
            "roles": [
                {
                    "en": ["NATO Secretary General"],
                    "ru": ["генеральный секретарь НАТО", "генсек НАТО"],
                    "uk": ["генсек НАТО"],
                    "from": "2014-10-01",
                    "to": "2024-10-01",
                }
            ],
        },
        {
            "name": "Dmitry Peskov",
            "kind": "person",
            "aliases": {
                "en": ["Dmitry Peskov", "Peskov"],
                "ru": ["Дмитрий Песков", "Песков"],
                "uk": ["Дмитро Пєсков", "Пєсков"],
            },
            "roles": [
                {
                    "ru": ["пресс-секретарь Кремля"],
                    "uk": ["речник Кремля"],
                    "en": ["Kremlin spokesman"],
                    "from": "2012-05-22",
                    "to": "",
                }
            ],
        },
        {
            "name": "Volodymyr Zelensky",
            "kind": "person",
            "aliases": {
                "en": ["Volodymyr Zelensky", "Zelensky", "Zelenskyy"],
                "ru": ["Владимир Зеленский", "Зеленский"],
                "uk": ["Володимир Зеленський", "Зеленський"],
            },
        },
        {
            "name": "Andrii Sybiha",
            "kind": "person",
            "aliases": {
                "en": ["Andrii Sybiha", "Sybiha"],
                "ru": ["Андрей Сибига", "Сибига"],
                "uk": ["Андрій Сибіга", "Сибіга"],
            },
        },
        {
            "name": "Russian Foreign Ministry",
            "kind": "body",
            "aliases": {
                "en": ["Russian Foreign Ministry"],
                "ru": ["МИД России", "МИД РФ"],
                "uk": ["МЗС Росії"],
            },
        },
    ]
}
GAZETTEER = Gazetteer.from_data(DATA)
FEB_2026 = date(2026, 2, 11)


def resolve(window: str, lang: str = "ru", when: date | None = FEB_2026, tracker=None):
    tracker = tracker or SpeakerTracker(GAZETTEER, lang, when)
    mention = tracker.resolve(window)
    return mention.name if mention else None


@pytest.mark.parametrize(
    ("window", "lang"),
    [
        ("заявил Песков", "ru"),
        ("по словам Пескова", "ru"),
        ("сказал Дмитрий Песков", "ru"),
        ("Пєскова", "uk"),
        ("заявив Дмитро Пєсков", "uk"),
        ("Peskov said", "en"),
        ("Peskov's", "en"),
    ],
)
def test_inflected_and_possessive_names_resolve(window: str, lang: str) -> None:
    assert resolve(window, lang) == "Dmitry Peskov"


@pytest.mark.parametrize(
    ("window", "lang"),
    [
        ("Зеленским", "ru"),
        ("Зеленського", "uk"),
        ("Зеленському", "uk"),
        ("Zelenskyy", "en"),
        ("Сибиги", "ru"),
        ("Сибігою", "uk"),
    ],
)
def test_ukrainian_and_russian_case_forms(window: str, lang: str) -> None:
    assert resolve(window, lang) in ("Volodymyr Zelensky", "Andrii Sybiha")


def test_indeclinable_pinned_name() -> None:
    assert resolve("сказал Рютте") == "Mark Rutte"


def test_role_resolves_to_the_holder_at_the_article_date() -> None:
    assert resolve("генсек НАТО", when=date(2026, 2, 11)) == "Mark Rutte"
    assert resolve("генерального секретаря НАТО", when=date(2023, 5, 1)) == "Jens Stoltenberg"
    assert resolve("the NATO chief", "en", when=date(2025, 6, 1)) == "Mark Rutte"


def test_pronoun_and_bare_role_refer_to_the_last_person_named() -> None:
    tracker = SpeakerTracker(GAZETTEER, "ru", FEB_2026)
    assert resolve("заявил Рютте", tracker=tracker) == "Mark Rutte"
    assert resolve("Он", tracker=tracker) == "Mark Rutte"
    assert resolve("генсек", tracker=tracker) == "Mark Rutte"


def test_pronoun_without_anyone_named_is_nobody() -> None:
    assert resolve("он") is None


@pytest.mark.parametrize(
    "window",
    [
        "источники",
        "собеседник агентства",
        "Reuters со ссылкой на источники",
        "a US official",
        "sources familiar with the talks",
        "джерела",
    ],
)
def test_unnamed_sources_are_not_speakers(window: str) -> None:
    assert resolve(window, "en" if window.isascii() else "ru") in (None, "")


def test_bodies_are_speakers() -> None:
    assert resolve("в МИД России заявили") == "Russian Foreign Ministry"


def test_unknown_person_keeps_the_name_in_the_nominative() -> None:
    assert resolve("заявил Иван Петров") == "Иван Петров"
    assert resolve("по словам Ивана Петрова") == "Иван Петров"
    assert resolve("заявила Аделия Петросян") == "Аделия Петросян"  # not "Аделий"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("New York said the meeting would take place next week", "en"),
        ("By Thursday said the sides would meet again", "en"),
        ("Велика Британія заявила, що підтримує переговори", "uk"),
        ("Впервые Брюссель заявил, что готов к переговорам", "ru"),
    ],
)
def test_places_dates_and_countries_are_not_unknown_speakers(text: str, language: str) -> None:
    tracker = SpeakerTracker(Gazetteer.from_data(DATA), language, date(2026, 2, 11))
    mention = tracker.resolve(text.split(" said")[0].split(" заяв")[0])
    assert mention is None or mention.kind != "unknown"


def test_an_unknown_person_after_a_title_is_a_speaker() -> None:
    tracker = SpeakerTracker(Gazetteer.from_data(DATA), "en", date(2026, 2, 11))
    mention = tracker.resolve("Deputy Foreign Minister Hamid Ghanbari")
    assert mention is not None and mention.name == "Hamid Ghanbari"


def test_an_unknown_person_morphology_knows_is_a_speaker() -> None:
    tracker = SpeakerTracker(Gazetteer.from_data(DATA), "ru", date(2026, 2, 11))
    mention = tracker.resolve("Аделия Петросян")
    assert mention is not None and mention.kind == "unknown"


@pytest.mark.parametrize(
    ("window", "lang"),
    [
        ("сказал он в ходе совместной с Рютте пресс-конференции", "ru"),
        ("комментируя заявление генсека НАТО, он сказал", "ru"),
        ("він зазначив після розмови з генсеком НАТО", "uk"),
    ],
)
def test_a_name_in_an_oblique_case_yields_to_the_subject_pronoun(window: str, lang: str) -> None:
    tracker = SpeakerTracker(GAZETTEER, lang, FEB_2026)
    first = "заявил Песков" if lang == "ru" else "заявив Пєсков"
    assert resolve(first, lang, tracker=tracker) == "Dmitry Peskov"
    assert resolve(window, lang, tracker=tracker) == "Dmitry Peskov"


def test_the_genitive_after_a_source_frame_is_the_speaker() -> None:
    assert resolve("по словам генсека НАТО", when=FEB_2026) == "Mark Rutte"


ORBANS = Gazetteer.from_data(
    {
        "speakers": [
            {
                "name": "Viktor Orbán",
                "aliases": {"en": ["Viktor Orbán", "Orbán"], "ru": ["Виктор Орбан", "Орбан"]},
            },
            {"name": "Balázs Orbán", "aliases": {"en": ["Balázs Orbán"], "ru": ["Балаж Орбан"]}},
            {"name": "Jonas Gahr Støre", "aliases": {"en": ["Jonas Gahr Støre"]}},
        ]
    }
)


@pytest.mark.parametrize("window", ["said Balazs Orban", "Jonas Gahr Store said"])
def test_latin_diacritics_are_folded_in_names(window: str) -> None:
    tracker = SpeakerTracker(ORBANS, "en", FEB_2026)
    assert tracker.resolve(window) is not None
    assert tracker.resolve(window).name in ("Balázs Orbán", "Jonas Gahr Støre")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("full", "bare", "lang", "expected"),
    [
        ("said Balazs Orban", "Mr. Orban said", "en", "Balázs Orbán"),
        ("said Viktor Orban", "Mr. Orban said", "en", "Viktor Orbán"),
        ("заявил Балаж Орбан", "Орбан добавил", "ru", "Balázs Orbán"),
        ("Jonas Gahr Støre said", "Store added", "en", "Jonas Gahr Støre"),
    ],
)
def test_a_bare_surname_is_the_person_the_article_named_in_full(
    full: str, bare: str, lang: str, expected: str
) -> None:
    tracker = SpeakerTracker(ORBANS, lang, FEB_2026)
    named = tracker.resolve(full)
    assert named is not None
    tracker.candidates = [named]
    assert resolve(bare, lang, tracker=tracker) == expected


@pytest.mark.parametrize(
    ("window", "lang"),
    [("сказал заместитель генсека НАТО", "ru"), ("зауважив радник генсека НАТО", "uk")],
)
def test_an_aide_is_not_the_principal_named_after_him(window: str, lang: str) -> None:
    tracker = SpeakerTracker(GAZETTEER, lang, FEB_2026)
    first = "заявил Песков" if lang == "ru" else "заявив Пєсков"
    assert resolve(first, lang, tracker=tracker) == "Dmitry Peskov"
    assert resolve(window, lang, tracker=tracker) == "Dmitry Peskov"


@pytest.mark.parametrize(
    ("window", "lang"),
    [("Українська делегація повідомила", "uk"), ("Российская сторона заявила", "ru")],
)
def test_a_capitalised_adjective_of_a_noun_is_no_person(window: str, lang: str) -> None:
    assert resolve(window, lang) is None


def test_a_surname_the_gazetteer_knows_in_an_oblique_case_still_yields_to_the_pronoun() -> None:
    tracker = SpeakerTracker(GAZETTEER, "ru", FEB_2026)
    peskov = tracker.resolve("заявил Песков")
    zelensky = tracker.resolve("Владимир Зеленский")
    assert peskov is not None and zelensky is not None
    tracker.candidates = [peskov, zelensky]
    window = "сказал он в ходе совместной с Зеленским пресс-конференции"
    assert resolve(window, tracker=tracker) == "Dmitry Peskov"


def test_an_envoy_of_a_named_principal_is_not_the_principal_nor_a_stranger() -> None:
    tracker = SpeakerTracker(GAZETTEER, "uk", FEB_2026)
    assert resolve("заявив Пєсков", "uk", tracker=tracker) == "Dmitry Peskov"
    window = "спецпосланець українського президента Володимира Зеленського заявив"
    assert resolve(window, "uk", tracker=tracker) == "Dmitry Peskov"


def test_capitalised_words_after_a_preposition_are_no_unknown_speaker() -> None:
    assert resolve("В Абу-Даби говорили военные") is None


@pytest.mark.parametrize(
    ("window", "lang"),
    [("Ранее журналист Axios Барак Равид отметил", "ru"), ("reporter Barak Ravid wrote", "en")],
)
def test_a_reporter_named_before_his_name_is_no_speaker(window: str, lang: str) -> None:
    assert resolve(window, lang) in (None, "")


def test_after_a_source_frame_the_aide_in_the_genitive_is_the_speaker() -> None:
    assert resolve("По словам пресс-секретаря Кремля Дмитрия Пескова") == "Dmitry Peskov"


@pytest.mark.parametrize(
    ("window", "lang"),
    [
        ("European leaders said", "en"),
        ("лидеры стран ЕС заявили", "ru"),
        ("офіційний представник США припустив", "uk"),
    ],
)
def test_a_group_or_an_unnamed_official_is_nobody(window: str, lang: str) -> None:
    tracker = SpeakerTracker(GAZETTEER, lang, FEB_2026)
    assert resolve("заявил Песков" if lang != "en" else "Peskov said", lang, tracker=tracker)
    assert resolve(window, lang, tracker=tracker) in (None, "")


def test_a_name_in_the_english_possessive_yields_to_the_pronoun() -> None:
    tracker = SpeakerTracker(GAZETTEER, "en", FEB_2026)
    assert resolve("Peskov said", "en", tracker=tracker) == "Dmitry Peskov"
    assert resolve("ahead of Rutte's visit, he said", "en", tracker=tracker) == "Dmitry Peskov"


@pytest.mark.parametrize("window", ["Мені здається", "Мы считаем"])
def test_first_persons_are_no_unknown_speaker(window: str) -> None:
    assert resolve(window, "uk" if "Мені" in window else "ru") is None


def test_a_pronoun_opening_the_window_is_its_subject() -> None:
    tracker = SpeakerTracker(GAZETTEER, "en", FEB_2026)
    assert resolve("Peskov said", "en", tracker=tracker) == "Dmitry Peskov"
    window = "He accused Zelensky of stalling the talks while insisting"
    assert resolve(window, "en", tracker=tracker) == "Dmitry Peskov"


def test_an_english_possessive_before_a_role_names_whose_aide_speaks() -> None:
    assert resolve("Zelensky's chief negotiator said", "en") != "Volodymyr Zelensky"
