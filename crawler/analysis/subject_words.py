"""Words around a subject and its verb: clause openers, words between a subject and its speech
verb, indefinite sources, nationality adjectives, nouns of speech.

Pure data and small predicates for ``crawler.analysis.speakers`` and the statement finders.
"""

from __future__ import annotations

import re

#: Nouns of speech whose speaker stands after them in the genitive ("заявление Путина о том,
#: что …"); opening a window, read as a source frame (``SOURCE_FRAME_WORDS``).
SPEECH_NOUNS = {
    "заявление",
    "заявления",
    "заявлению",
    "заява",
    "заяву",
    "заяви",
    "слова",
    "словах",
    "призыв",
    "заклик",
    "предложение",
    "пропозицію",
    "пропозиція",
}

#: Words that may stand between a subject and its speech verb ("Moscow has repeatedly said",
#: "Москва уже заявила"): auxiliaries and adverbs of time and repetition.
VERB_GAP = {
    "has",
    "have",
    "had",
    "also",
    "again",
    "repeatedly",
    "already",
    "previously",
    "earlier",
    "now",
    "still",
    "уже",
    "также",
    "тоже",
    "вновь",
    "снова",
    "неоднократно",
    "ранее",
    "вже",
    "також",
    "теж",
    "знову",
    "неодноразово",
    "раніше",
}

#: Words after which a subject opens its clause ("…, while Kyiv insists", "а Москва заявила").
CLAUSE_OPENERS = {
    "and",
    "but",
    "while",
    "whereas",
    "as",
    "the",
    "however",
    "after",
    "before",
    "when",
    "since",
    "because",
    "although",
    "though",
    "once",
    "that",
    "когда",
    "хотя",
    "поскольку",
    "пока",
    "что",
    "коли",
    "хоча",
    "оскільки",
    "поки",
    "що",
    "и",
    "а",
    "но",
    "однако",
    "і",
    "й",
    "та",
    "але",
    "проте",
    "однак",
}

#: "A White House official said", "an EU diplomat told", "two US officials": an indefinite
#: official or source is unnamed, whatever body he speaks for (DESIGN §2).
INDEFINITE_SOURCE = re.compile(
    r"^\W*(?:an?|one|two|three|four|several|other|some)\s+(?:[\w.'’-]+\s+){0,4}?"
    r"(?:senior\s+|top\s+|former\s+)?(?:official|source|diplomat|aide|spokes\w+|"
    r"representative|insider|negotiator|adviser|advisor)s?\b",
    re.IGNORECASE,
)

#: Nationality adjectives (stems) and their country (ISO 3166 alpha-2, as in the gazetteer):
#: "німецький політик", "the Russian leader" is someone from that country.
_NATIONALITIES = {
    "DE": ("немецк", "німецьк", "german"),
    "US": ("американск", "американськ", "american"),
    "RU": ("российск", "російськ", "russian"),
    "UA": ("украинск", "українськ", "ukrainian"),
    "FR": ("французск", "французьк", "french"),
    "GB": ("британск", "британськ", "british"),
    "TR": ("турецк", "турецьк", "turkish"),
    "PL": ("польск", "польськ", "polish"),
    "HU": ("венгерск", "угорськ", "hungarian"),
    "CN": ("китайск", "китайськ", "chinese"),
    "IT": ("итальянск", "італійськ", "italian"),
    "FI": ("финск", "фінськ", "finnish"),
    "SK": ("словацк", "словацьк", "slovak"),
    "IN": ("индийск", "індійськ", "indian"),
    "BY": ("белорусск", "білоруськ", "belarusian"),
    "RS": ("сербск", "сербськ", "serbian"),
    "CZ": ("чешск", "чеськ", "czech"),
    "CA": ("канадск", "канадськ", "canadian"),
    "BR": ("бразильск", "бразильськ", "brazilian"),
    "IL": ("израильск", "ізраїльськ", "israeli"),
    "EE": ("эстонск", "естонськ", "estonian"),
    "NO": ("норвежск", "норвезьк", "norwegian"),
    "SE": ("шведск", "шведськ", "swedish"),
    "DK": ("датск", "данськ", "danish"),
    "NL": ("нидерландск", "нідерландськ", "dutch"),
    "ES": ("испанск", "іспанськ", "spanish"),
}


def nationality(word: str) -> str:
    """The country a nationality adjective names ("німецький", "Russian"), else ""."""
    word = word.lower()
    for country, stems in _NATIONALITIES.items():
        if word.startswith(stems) and (not word.isascii() or word in stems):
            return country
    return ""
