"""Word forms for Russian and Ukrainian, so names, roles and verbs match in any case.

Matching works on surface forms generated once at load time: every inflected form of a
gazetteer alias, a role phrase or a speech verb maps back to its base. pymorphy3 supplies the
paradigms of known words; surnames it does not know are declined by the ending rules below,
and indeclinable names (Рютте) are pinned in the gazetteer so nothing is generated for them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import pymorphy3

TOKEN = re.compile(r"[\w][\w'’ʼ\-]*", re.UNICODE)
_LANGS = ("ru", "uk")


@lru_cache(maxsize=2)
def analyzer(lang: str) -> Any:
    return pymorphy3.MorphAnalyzer(lang=lang)


#: Latin letters that carry no combining mark to strip
_LATIN_FOLD = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ı": "i", "æ": "ae", "ß": "ss"})


def _fold_latin(token: str) -> str:
    """Erdoğan → erdogan, Støre → store, Balázs → balazs; Cyrillic (й, ё, ї) is left alone."""
    if token.isascii() or not re.search(r"[^\W\d_а-яёіїєґ']", token):
        return token
    folded = []
    for char in token.translate(_LATIN_FOLD):
        if "LATIN" in unicodedata.name(char, ""):
            char = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
        folded.append(char)
    return "".join(folded)


#: Latin letters that look like Cyrillic ones, typed into Cyrillic words ("Oб этом")
_HOMOGLYPHS = str.maketrans("aceiopxyACEIOPXY", "асеіорхуАСЕІОРХУ")
_CYRILLIC = re.compile(r"[а-яёіїєґА-ЯЁІЇЄҐ]")
_LATIN = re.compile(r"[a-zA-Z]")
_WORD = re.compile(r"\w+")


def fix_homoglyphs(text: str) -> str:
    """Latin look-alikes inside Cyrillic words put right, letter for letter ("Oб этом" ->
    "Об этом"), so offsets into the text stay as they were."""

    def fixed(match: re.Match[str]) -> str:
        word = match.group(0)
        if _CYRILLIC.search(word) and _LATIN.search(word):
            return word.translate(_HOMOGLYPHS)
        return word

    return _WORD.sub(fixed, text)


def normalise_token(token: str) -> str:
    """Lower case, one apostrophe, no possessive 's (Rutte's → rutte), Latin diacritics folded
    (Erdoğan → erdogan): news copy spells foreign names with and without them."""
    token = _fold_latin(token.lower().replace("’", "'").replace("ʼ", "'"))
    if token.endswith("'s"):
        token = token[:-2]
    return token


def spelling_key(word: str) -> str:
    """A Latin name folded over the spellings of its transliteration: y and i, doubled i
    (Kyslytsya = Kyslytsia, Serhiy = Serhii, Zelenskyy = Zelensky). Other words unchanged."""
    if not word.isascii():
        return word
    return re.sub("i+", "i", word.replace("y", "i"))


def tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in TOKEN.finditer(text)]


# Surname endings and the endings of their other cases (ru and uk together; extra forms
# that never occur in text do no harm).
_SURNAME_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ський", ("ського", "ському", "ським", "ськім", "ська", "ської", "ській", "ською")),
    ("цький", ("цького", "цькому", "цьким", "цькім")),
    ("ский", ("ского", "скому", "ским", "ском", "ская", "ской", "скую")),
    ("цкий", ("цкого", "цкому", "цким", "цком")),
    ("ий", ("ого", "ому", "им", "ім", "ем")),
    ("ый", ("ого", "ому", "ым", "ом")),
    ("ов", ("ова", "ову", "овым", "овом", "ове", "овим", "ові", "овою")),
    ("ев", ("ева", "еву", "евым", "евом", "еве", "евим", "еві")),
    ("єв", ("єва", "єву", "євим", "єві")),
    ("ин", ("ина", "ину", "иным", "ине", "іним", "іні", "ином")),
    ("ін", ("іна", "іну", "іним", "іні", "іном")),
    ("ова", ("овой", "ову", "овою", "овій", "ової")),
    ("ева", ("евой", "еву", "евою")),
    ("ина", ("иной", "ину", "иною")),
    ("ія", ("ії", "ію", "ією", "ії")),
    ("ия", ("ии", "ию", "ией")),
    ("а", ("ы", "и", "е", "у", "ой", "ою", "ою", "і", "ї")),
    ("я", ("и", "е", "ю", "ей", "ею", "і")),
    ("ь", ("я", "ю", "ем", "е", "ем", "і")),
    ("й", ("я", "ю", "ем", "е", "єм")),
)
_CONSONANT_ENDINGS = ("а", "у", "ом", "ем", "е", "ові", "еві", "ом", "і", "ым", "ом")
_INDECLINABLE_ENDINGS = ("е", "є", "о", "и", "і", "у", "ю", "э")


def _rule_forms(word: str) -> set[str]:
    lowered = word.lower()
    forms = {lowered}
    if not re.search("[а-яёіїєґ]", lowered) or lowered.endswith(_INDECLINABLE_ENDINGS):
        return forms
    for ending, others in _SURNAME_RULES:
        if lowered.endswith(ending):
            stem = lowered[: -len(ending)]
            forms.update(stem + other for other in others)
            return forms
    forms.update(lowered + ending for ending in _CONSONANT_ENDINGS)
    return forms


@lru_cache(maxsize=50000)
def word_forms(word: str, lang: str, *, name: bool = False) -> frozenset[str]:
    """Every lower-case surface form of ``word`` (a nominative) in ``lang``."""
    lowered = normalise_token(word)
    if lang not in _LANGS or not re.search("[а-яёіїєґ]", lowered):
        return frozenset({lowered})
    forms: set[str] = {lowered}
    morph = analyzer(lang)
    parses = morph.parse(lowered)
    chosen = None
    for parse in parses:
        same = parse.normal_form in (lowered, lowered.replace("е", "ё"))
        if same and (not name or {"Surn", "Name", "Geox", "Orgn"} & set(parse.tag.grammemes)):
            chosen = parse
            break
    if chosen is None and not name and parses:
        chosen = parses[0] if parses[0].normal_form == lowered else None
    if chosen is not None and chosen.is_known:
        forms.update(f.word.replace("ё", "е") for f in chosen.lexeme)
        forms.update(f.word for f in chosen.lexeme)
    if name:
        forms.update(_rule_forms(lowered))
    return frozenset(forms)


@lru_cache(maxsize=100000)
def _name_parses(word: str, lang: str) -> list[Any]:
    return [p for p in analyzer(lang).parse(word) if {"Surn", "Name", "Patr"} & p.tag.grammemes]


def nominative_names(words: list[str], lang: str) -> str:
    """A person's name as written, put back into the nominative where morphology knows how —
    unless every word can be read as a nominative already ("Аделия Петросян" stays; "Ивана
    Петрова" becomes "Иван Петров")."""
    if lang in _LANGS and all(
        any("nomn" in p.tag.grammemes for p in _name_parses(w, lang)) or not _name_parses(w, lang)
        for w in words
    ):
        return " ".join(words)
    return " ".join(nominative_name(w, lang) for w in words)


def nominative_name(word: str, lang: str) -> str:
    """One word of a name put into the nominative, by the first reading as a name."""
    if lang not in _LANGS or not re.search("[А-Яа-яЁёІіЇїЄєҐґ]", word):
        return word
    for parse in _name_parses(word, lang):
        base = parse.inflect({"nomn"}) if "nomn" not in parse.tag.grammemes else parse
        if base is not None:
            return base.word[:1].upper() + base.word[1:]
    return word
