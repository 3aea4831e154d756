"""When the words were said, read from the attribution relative to the publication date."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.analysis.saidwhen import said_when

PUBLISHED = date(2025, 5, 20)  # a Tuesday


@pytest.mark.parametrize(
    ("window", "lang", "said_on"),
    [
        ("In a May 14 address, he", "en", date(2025, 5, 14)),
        ("Rubio said on Sunday", "en", date(2025, 5, 18)),
        ("Песков заявил вчера", "ru", date(2025, 5, 19)),
        ("Лавров накануне", "ru", date(2025, 5, 19)),
        ("Умєров у неділю заявив", "uk", date(2025, 5, 18)),
        ("Сибіга 19 грудня", "uk", date(2024, 12, 19)),
        ("заявил 29 марта 2022 года", "ru", date(2022, 3, 29)),
        ("Zelensky said on Tuesday", "en", PUBLISHED),
    ],
)
def test_the_attribution_dates_the_words(window: str, lang: str, said_on: date) -> None:
    found = said_when(window, lang, PUBLISHED)
    assert found is not None and found.on == said_on


def test_no_date_in_the_attribution_gives_none() -> None:
    assert said_when("Песков заявил журналистам", "ru", PUBLISHED) is None


def test_without_a_publication_date_nothing_is_read() -> None:
    assert said_when("Rubio said on Sunday", "en", None) is None


def test_on_the_eve_of_an_event_is_not_yesterday() -> None:
    assert said_when("Рютте накануне встречи министров заявил", "ru", PUBLISHED) is None
    found = said_when("Рютте накануне вечером заявил", "ru", PUBLISHED)
    assert found is not None and found.on == date(2025, 5, 19)
