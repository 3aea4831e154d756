"""When the words were said, as the text tells it (DESIGN §2, said_at).

News copy dates a statement in its attribution: "said on Monday", "In a May 14 address, he
said", "заявил 19 декабря", "заявив учора", "на прошлой неделе". The expression is found by a
pattern of the language's date words and read by dateparser relative to the article's
publication date, preferring the past (words reported were said before they were published).
Dates inside the statement's own words ("talks resume on 21 December") say when something else
happens and are never read here.

Pure: text and dates in, a date and its evidence out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import dateparser

_MONTHS = {
    "en": r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?",
    "ru": r"января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря",
    "uk": r"січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|"
    r"грудня",
}
_WEEKDAYS = {
    "en": r"monday|tuesday|wednesday|thursday|friday|saturday|sunday",
    "ru": r"понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье",
    "uk": r"понеділок|вівторок|середу|четвер|п['’ʼ]ятницю|суботу|неділю",
}
#: words for the day before publication, the week before, the day itself
_RELATIVE = {
    "en": r"yesterday|last week|today|earlier today|this morning",
    "ru": r"позавчера|вчера|накануне|на прошлой неделе|сегодня",
    "uk": r"позавчора|учора|вчора|напередодні|минулого тижня|на минулому тижні|сьогодні",
}
#: words dateparser does not read, said the way it does
_SAME_AS = {"накануне": "вчера", "напередодні": "вчора", "на минулому тижні": "минулого тижня"}


@dataclass(frozen=True)
class SaidWhen:
    on: date
    evidence: str  # the words that date it, as written


@lru_cache(maxsize=3)
def _pattern(lang: str) -> re.Pattern[str]:
    months, weekdays, relative = _MONTHS[lang], _WEEKDAYS[lang], _RELATIVE[lang]
    if lang == "en":
        dated = (
            rf"(?:{months})\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
            rf"|\d{{1,2}} (?:{months})(?:,? \d{{4}})?"
        )
    else:
        dated = rf"\d{{1,2}} (?:{months})(?: \d{{4}})?"
    return re.compile(
        rf"(?<![\w-])(?P<expr>{dated}|(?P<weekday>{weekdays})|{relative})(?![\w-])",
        re.IGNORECASE,
    )


#: "накануне встречи", "напередодні саміту": on the eve of an event, not "yesterday" —
#: unless the word after it is a part of the day ("накануне вечером")
_EVE = re.compile(
    r"\s+(?!(?:вечером|утром|днем|днём|ночью|увечері|вранці|вдень|вночі)\b)[а-яіїєґё]{3,}"
)


def _on_the_eve(match: re.Match[str], window: str) -> bool:
    return match.group("expr").lower() in ("накануне", "напередодні") and bool(
        _EVE.match(window, match.end())
    )


def said_when(
    window: str, lang: str, published: date | None, *, last: bool = False
) -> SaidWhen | None:
    """The date the attribution ``window`` gives for the words (its first, or with ``last``
    its last date expression), or None when it gives none or the article's date is unknown
    (a weekday or "yesterday" means nothing without it)."""
    if published is None or lang not in _MONTHS:
        return None
    matches = [m for m in _pattern(lang).finditer(window) if not _on_the_eve(m, window)]
    if not matches:
        return None
    match = matches[-1] if last else matches[0]
    expression = match.group("expr")
    base = datetime(published.year, published.month, published.day, 12)
    parsed = dateparser.parse(
        _SAME_AS.get(expression.lower(), expression),
        languages=[lang],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"},
    )
    if parsed is None:
        return None
    found = parsed.date()
    if match.group("weekday") and found == published - timedelta(days=7):
        found = published  # "said on Tuesday" in Tuesday's paper: that day
    if found > published:
        return None
    return SaidWhen(found, expression)
