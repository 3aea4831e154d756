"""Language-independent features of what a report claims, for telling statements apart.

Outlets translate and re-word each other, so two reports of one utterance may share almost no
words. What survives translation: the people and bodies it names (canonical gazetteer names),
its numbers (314 prisoners, 20 points), the lexicon's concepts, and — between Russian and
Ukrainian — many word stems once the alphabets are folded together. The diff
(``storage/match_score.py``) compares these; the sentence encoder adds a vector for ru/en.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from crawler.analysis.gazetteer import Gazetteer
from crawler.analysis.morphology import analyzer, normalise_token, tokens

STEM_LENGTH = 5
MIN_WORD_LENGTH = 4
#: Ukrainian letters folded onto their Russian look-alikes: "переговори"/"переговоры",
#: "Женеві"/"Женеве" and "делегація"/"делегация" then share their stems.
_UK_TO_RU = str.maketrans({"і": "и", "ї": "и", "є": "е", "ґ": "г", "'": "", "’": "", "ʼ": ""})
_RU_FOLD = str.maketrans({"ы": "и", "э": "е", "ё": "е", "ъ": ""})
_EN_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s")
_STOP = frozenset(
    [
        "который",
        "которая",
        "которые",
        "также",
        "этот",
        "этого",
        "этой",
        "этом",
        "было",
        "были",
        "будет",
        "будут",
        "чтобы",
        "может",
        "можно",
        "очень",
        "более",
        "если",
        "когда",
        "потому",
        "только",
        "после",
        "через",
        "ещё",
        "еще",
        "свою",
        "своей",
        "своих",
        "який",
        "яка",
        "які",
        "також",
        "цього",
        "цієї",
        "було",
        "були",
        "буде",
        "будуть",
        "щоби",
        "може",
        "можна",
        "дуже",
        "більш",
        "якщо",
        "коли",
        "тому",
        "тільки",
        "після",
        "через",
        "свою",
        "своєї",
        "своїх",
        "that",
        "this",
        "these",
        "those",
        "with",
        "from",
        "have",
        "been",
        "will",
        "would",
        "could",
        "should",
        "their",
        "there",
        "which",
        "about",
        "into",
        "also",
        "only",
        "more",
        "than",
        "when",
        "what",
        "were",
        "they",
        "them",
        "said",
        "says",
    ]
)
_NUMBER = re.compile(r"\d+(?:[ \u00a0\u202f,.]\d{3})*(?:[.,]\d+)?")


@dataclass(frozen=True)
class ClaimFeatures:
    entities: tuple[str, ...]
    numbers: tuple[str, ...]
    stems: tuple[str, ...]


def numbers(text: str) -> tuple[str, ...]:
    """Numbers as written in any of the three languages: "1 000", "1,000" and "1000" agree."""
    found = set()
    for match in _NUMBER.finditer(text):
        value = re.sub(r"[ \u00a0\u202f](?=\d{3})", "", match.group(0))
        value = re.sub(r"[,.](?=\d{3}(?!\d))", "", value).replace(",", ".")
        found.add(value.rstrip("0").rstrip(".") if "." in value else value)
    return tuple(sorted(found))


def _stem(word: str, language: str) -> str | None:
    return _stem_of_lowered(normalise_token(word), language)


@lru_cache(maxsize=200_000)
def _stem_of_lowered(lowered: str, language: str) -> str | None:
    """Cached: news repeats its words, and a pymorphy3 parse costs ~30 µs."""
    if len(lowered) < MIN_WORD_LENGTH or lowered in _STOP or lowered.isdigit():
        return None
    if language in ("ru", "uk") and re.search("[а-яіїєґё]", lowered):
        lemma = analyzer(language).parse(lowered)[0].normal_form
        if lemma in _STOP:
            return None
        lemma = lemma.translate(_UK_TO_RU).translate(_RU_FOLD)
        return lemma[:STEM_LENGTH]
    for suffix in _EN_SUFFIXES:
        if lowered.endswith(suffix) and len(lowered) - len(suffix) >= MIN_WORD_LENGTH:
            lowered = lowered[: -len(suffix)]
            break
    return lowered[:STEM_LENGTH]


def stems(text: str, language: str) -> tuple[str, ...]:
    found = {_stem(word, language) for word, _, _ in tokens(text)}
    found.discard(None)
    return tuple(sorted(s for s in found if s))


def entities(
    text: str, gazetteer: Gazetteer, when: date | None, speaker: str = ""
) -> tuple[str, ...]:
    """Canonical names of the people and bodies the claim mentions, the speaker excepted."""
    words = [normalise_token(t) for t, _, _ in tokens(text)]
    found = set()
    i = 0
    while i < len(words):
        match = gazetteer.match_at(words, i, when)
        if match is None:
            i += 1
            continue
        if match[0].name != speaker:
            found.add(match[0].name)
        i += match[1]
    return tuple(sorted(found))


def claim_features(
    text: str, language: str, gazetteer: Gazetteer, when: date | None, speaker: str = ""
) -> ClaimFeatures:
    return ClaimFeatures(
        entities=entities(text, gazetteer, when, speaker),
        numbers=numbers(text),
        stems=stems(text, language),
    )
