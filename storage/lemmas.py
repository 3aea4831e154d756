"""Words in their dictionary form, so a search finds every case of a word (issue 14).

Russian and Ukrainian decline names and nouns: "Лавров", "Лаврова", "Лаврову" are one word to
a reader, three to a full-text index. Beside each statement the store keeps the dictionary
forms (lemmas) of its words, from pymorphy3's Russian and Ukrainian dictionaries; a query's
words are turned the same way, so any case form finds any other. Latin words are folded
(Erdoğan = erdogan) and lower-cased: English barely declines, and a prefix query covers its
plurals.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import pymorphy3

_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_UKRAINIAN_ONLY = re.compile(r"[іїєґ]", re.IGNORECASE)


@lru_cache(maxsize=2)
def _analyzer(lang: str) -> Any:
    return pymorphy3.MorphAnalyzer(lang=lang)


def _fold(word: str) -> str:
    """Lower case, Latin diacritics dropped, ё as е (Cyrillic letters are kept)."""
    word = word.lower().replace("ё", "е")
    if _CYRILLIC.search(word):
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def word_lemmas(word: str) -> tuple[str, ...]:
    """The dictionary forms a word may have: the best Russian and Ukrainian readings (a word
    with і/ї/є/ґ is read as Ukrainian only), or the folded word itself when not Cyrillic."""
    folded = _fold(word)
    if not _CYRILLIC.search(folded):
        return (folded,)
    langs = ("uk",) if _UKRAINIAN_ONLY.search(folded) else ("ru", "uk")
    found: list[str] = []
    for lang in langs:
        for parse in _analyzer(lang).parse(folded)[:2]:
            lemma = parse.normal_form.replace("ё", "е")
            if lemma not in found:
                found.append(lemma)
    return tuple(found) or (folded,)


def lemma_text(*texts: str) -> str:
    """Every dictionary form of every word of ``texts``, once each, for the index."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall(text or ""):
            for lemma in word_lemmas(word):
                seen.setdefault(lemma, None)
    return " ".join(seen)


def merge_lemmas(current: str, *texts: str) -> str:
    """``current`` with the dictionary forms of ``texts`` added (none twice)."""
    return lemma_text(current, *texts)


def lemma_query(text: str, column: str = "lemmas") -> str:
    """A user's words as an FTS5 query on the lemma column: every word must occur in some
    form; each word is the OR of its possible dictionary forms, each as a prefix (a word typed
    in part still finds). Quoting keeps FTS syntax characters in user input harmless."""
    parts = []
    for word in _WORD.findall(text or ""):
        options = " OR ".join(f'"{lemma}"*' for lemma in word_lemmas(word))
        parts.append(f"{column} : ({options})")
    return " AND ".join(parts)


def names_match(query: str, name: str) -> bool:
    """True when every word of ``query`` is a word of ``name`` in some form ("Пескова" and
    "Дмитрий Песков"; "peskov" and "Dmitry Peskov")."""
    words = {lemma for word in _WORD.findall(name) for lemma in (_fold(word), *word_lemmas(word))}
    asked = _WORD.findall(query)
    return bool(asked) and all(
        any(lemma in words for lemma in (_fold(word), *word_lemmas(word))) for word in asked
    )
