"""The words around a speaker's mention in ru/uk/en news, and what morphology says of names.

Pronouns and the gender they ask for, role heads ("генсек", "помощник"), unnamed sources,
media cited as channels, sentence and title words that are never names, prepositions that make
a name an object; whether a capitalised word is a name, its gender, whether it is a genitive.
Pure data and small functions, used by ``crawler.analysis.speakers``.
"""

from __future__ import annotations

import re

from crawler.analysis.morphology import tokens

LANGS = ("en", "ru", "uk")
PRONOUNS = {"он", "она", "він", "вона", "he", "she"}
#: The grammatical gender a pronoun asks of the person it stands for.
PRONOUN_GENDER = {
    "он": "masc",
    "він": "masc",
    "he": "masc",
    "она": "femn",
    "вона": "femn",
    "she": "femn",
}
#: Possessive pronouns of a source frame ("по его словам", "за її словами"), and the gender
#: they ask of the person they stand for; only inside such a frame are they its speaker.
FRAME_POSSESSIVES = {"его": "masc", "ее": "femn", "её": "femn", "його": "masc", "її": "femn"}
#: Words that make a mention an unnamed source, which is not a speaker (DESIGN §2).
UNNAMED = re.compile(
    r"^(источник|собеседник|инсайдер|джерел|джерело|співрозмовник|інсайдер|source|official|"
    r"insider|people|person|diplomat|дипломат|чиновник|посадов|представник|представитель|"
    r"officials|sources)",
)
CITING_SOURCES = re.compile(
    r"(ссылк\w* на (?:свои |собственные |неназванн\w+ |анонимн\w+ )?источник|"
    r"посиланн\w* на (?:власні |свої |неназван\w+ |анонімн\w+ )?джерел|"
    r"citing (?:unnamed |anonymous |two |three |several )?(?:sources|officials|people|diplomats)|"
    r"sources? (?:familiar|close|briefed)|people familiar|person familiar)",
    re.IGNORECASE,
)
#: Heads of role phrases; alone ("генсек", "глава МИД") they refer to someone already named.
ROLE_HEADS = re.compile(
    r"^(генсек|генеральн|секретар|министр|міністр|глав(?!ком)|голов|очільник|президент|премьер|прем'єр|"
    r"канцлер|пресс-секретар|речник|спикер|спікер|представител|представник|помощник|помічник|"
    r"советник|"
    r"радник|спецпосланник|посланник|спецпредставител|спецпредставник|спецпосланц|спецпосланец|"
    r"спецпосланець|посланець|"
    r"посланц|переговорщик|дипломат|chief|minister|president|"
    r"spokes|envoy|secretary|chancellor|premier|negotiator|diplomat|aide|adviser|advisor|head|"
    r"leader|лидер|лідер|официальн|офіційн|заместител|заступник|замглав|замминистр|замміністр|deputy|"
    r"политик|політик|politician)",
)
#: Heads that make the role or name after them someone else's ("радник голови ОП", "заступник
#: глави ОПУ", "помощник Путина"): the one who speaks is the aide, not the principal.
AIDE_HEADS = re.compile(
    r"^(помощник|помічник|советник|радник|заместител|заступник|замглав|замминистр|замміністр|"
    r"представител|представник|спецпредставител|спецпредставник|спецпосланник|спецпосланец|"
    r"спецпосланець|спецпосланц|посланник|посланец|посланець|посланц|deputy|aide|adviser|advisor|"
    r"envoy)"
)
#: News organisations cited as the channel of a statement, not its speaker.
MEDIA = {
    "reuters",
    "bloomberg",
    "axios",
    "cnn",
    "bbc",
    "politico",
    "interfax",
    "интерфакс",
    "тасс",
    "риа",
    "уніан",
    "униан",
    "укрінформ",
    "укрінформу",
    "укринформ",
    "ukrinform",
    "afp",
    "ap",
    "nbc",
    "cbs",
    "abc",
    "fox",
    "sky",
    "guardian",
    "times",
    "post",
    "journal",
    "коммерсант",
    "коммерсанту",
    "ведомости",
    "медуза",
    "meduza",
    "rbc",
    "рбк",
}
CAPITALISED = re.compile(r"^[A-ZА-ЯЁІЇЄҐ][\w'’ʼ\-]*$")
SENTENCE_WORDS = {
    # first and second persons, capitalised at a sentence's start inside a quotation
    "я",
    "мне",
    "мені",
    "меня",
    "мене",
    "мы",
    "ми",
    "нам",
    "нас",
    "вы",
    "ви",
    "вам",
    "как",
    "по",
    "об",
    "это",
    "также",
    "ранее",
    "при",
    "в",
    "во",
    "на",
    "за",
    "як",
    "про",
    "це",
    "також",
    "раніше",
    "у",
    "the",
    "as",
    "according",
    "earlier",
    "also",
    "in",
    "on",
    "but",
    "and",
    "и",
    "і",
    "та",
    "а",
    "но",
    "але",
    "однако",
    "проте",
    "этом",
    "цьому",
    "he",
    "she",
    "он",
    "она",
    "він",
    "вона",
    "it",
    "this",
    "that",
    "there",
    "we",
}


#: A reporter named before his name ("журналист Axios Барак Равид"): he relays, and is not a
#: speaker of the talks (DESIGN §2). Nominative forms only: "сказал журналистам" stays a
#: statement.
REPORTERS = {
    "журналист",
    "журналистка",
    "журналіст",
    "журналістка",
    "корреспондент",
    "кореспондент",
    "кореспондентка",
    "обозреватель",
    "оглядач",
    "reporter",
    "journalist",
    "correspondent",
    "columnist",
}
#: Prepositions after which capitalised words are a place or an object, never a subject.
PLACE_PREPOSITIONS = {
    "в",
    "во",
    "на",
    "из",
    "у",
    "к",
    "до",
    "по",
    "под",
    "над",
    "при",
    "о",
    "об",
    "для",
    "за",
    "із",
    "зі",
    "з",
    "від",
    "про",
    "під",
    "in",
    "at",
    "from",
    "to",
    "for",
    "on",
    "of",
    "by",
    "with",
    "about",
    "into",
}
OBLIQUE_PREPOSITIONS = {
    "с",
    "со",
    "з",
    "із",
    "зі",
    "with",
    "от",
    "від",
    "для",
    "про",
    "о",
    "об",
    "about",
    "to",
    "против",
    "проти",
    "between",
    "между",
    "між",
    "and",
    "и",
    "і",
    "та",
    "by",
    "к",
    "до",
}
TITLE_WORDS = {
    "deputy",
    "ambassador",
    "trade",
    "commissioner",
    "president",
    "prime",
    "minister",
    "foreign",
    "defence",
    "defense",
    "secretary",
    "chancellor",
    "senator",
    "general",
    "pope",
    "king",
}


def looks_like_name(token: str, lang: str) -> bool:
    """A single capitalised word counts as an unknown person only if morphology says so."""
    from crawler.analysis.morphology import analyzer

    if lang not in ("ru", "uk") or not re.search("[А-Яа-яЁёІіЇїЄєҐґ]", token):
        return False
    return any({"Surn", "Name"} & set(p.tag.grammemes) for p in analyzer(lang).parse(token)[:2])


def attribute_of_next(
    found: list[tuple[str, int, int]], word: tuple[str, int, int], lang: str
) -> bool:
    """Whether a capitalised Cyrillic word is an adjective of the common noun right after it
    ("Українська делегація", "Российская сторона"), which morphology may still take for a
    surname."""
    from crawler.analysis.morphology import analyzer

    if lang not in ("ru", "uk") or not re.search("[А-Яа-яЁёІіЇїЄєҐґ]", word[0]):
        return False
    after = [t for t in found if t[1] >= word[2]]
    if not after or not after[0][0].islower() or after[0][1] - word[2] > 1:
        return False
    noun = analyzer(lang).parse(after[0][0])[0].tag
    if noun.POS != "NOUN":
        return False
    return any(
        p.tag.POS == "ADJF" and p.tag.case == noun.case and p.tag.number == noun.number
        for p in analyzer(lang).parse(word[0].lower())
    )


def person_shaped(
    run: list[str], before: list[str], lang: str, apposition: list[str] | None = None
) -> bool:
    """Whether capitalised words the gazetteer does not know have the shape of a person: in
    Cyrillic, morphology knows one of them as a first name, surname or patronymic and none as a
    place ("Абу-Даби", "Велика Британія", "Брюссель"); in Latin script, two words or more after
    a title or role ("Deputy Foreign Minister Hamid Ghanbari") or with one in apposition ("Anna
    Kelly, the deputy White House press secretary": ``apposition``, the words after the comma)
    — never "New York", "By Thursday", an outlet or a country."""
    from crawler.analysis.morphology import analyzer

    if re.search("[А-Яа-яЁёІіЇїЄєҐґ]", " ".join(run)):
        if lang not in ("ru", "uk"):
            return False
        tags = [
            {g for p in analyzer(lang).parse(word)[:2] for g in p.tag.grammemes} for word in run
        ]
        named = any({"Name", "Surn", "Patr"} & t for t in tags)
        return named and not any("Geox" in t for t in tags)
    titled = before[-3:] + (apposition or [])[:6]
    return len(run) >= 2 and any(w in TITLE_WORDS or ROLE_HEADS.match(w) for w in titled)


def name_gender(name: str, lang: str) -> str:
    """ "masc" / "femn" of a person's name by its Russian or Ukrainian morphology — a first name
    decides ("Урсула", "Марк"), else a surname ("Каллас" has no gender; "Захарова" has) — or
    "" when the name is not Cyrillic or morphology is not sure."""
    from crawler.analysis.morphology import analyzer

    if lang not in ("ru", "uk") or not re.search("[А-Яа-яЁёІіЇїЄєҐґ]", name):
        return ""
    words = [t for t, _, _ in tokens(name)]
    for grammeme in ("Name", "Surn"):
        for word in words:
            genders = {
                str(p.tag.gender)
                for p in analyzer(lang).parse(word)[:3]
                if grammeme in p.tag.grammemes and p.tag.gender in ("masc", "femn")
            }
            if len(genders) == 1:
                return genders.pop()
    return ""


def genitive(word: str, lang: str) -> bool:
    """Only a genitive reading, no nominative one ("Путина", "президента"; not "Зеленский")."""
    from crawler.analysis.morphology import analyzer

    if lang not in ("ru", "uk"):
        return False
    cases = {str(p.tag.case) for p in analyzer(lang).parse(word)[:4]}
    return "gent" in cases and "nomn" not in cases


#: Source frames whose name stands in the genitive and is the speaker ("по словам Пескова").
SOURCE_FRAME_WORDS = {
    "словам",
    "словами",
    "мнению",
    "думку",
    "данным",
    "даними",
    # "…», — говорится в его заявлении", "…", - сказано в його заяві / дописі"
    "заявлении",
    "заяві",
    "сообщении",
    "повідомленні",
    "обращении",
    "зверненні",
    "посте",
    "дописі",
}
_OBLIQUE_CASES = {"gent", "gen2", "datv", "accs", "ablt", "loct", "loc2"}


def oblique(word: str, lang: str) -> bool:
    """A Cyrillic word with no nominative reading ("Зеленским", "президента", "Сікорським"):
    in Russian and Ukrainian the one who speaks is the verb's subject, in the nominative."""
    from crawler.analysis.morphology import analyzer

    if lang not in ("ru", "uk") or not re.search(r"[а-яіїєґё]", word):
        return False
    cases = {str(p.tag.case) for p in analyzer(lang).parse(word)[:4]}
    return "nomn" not in cases and bool(cases & _OBLIQUE_CASES)


def place_of_role(word: str, lang: str) -> bool:
    """A place in the genitive, as after a role ("президент Сербии", "прем'єр Норвегії")."""
    from crawler.analysis.morphology import analyzer

    if lang not in ("ru", "uk") or not re.search("[А-Яа-яЁёІіЇїЄєҐґ]", word):
        return False
    return any(
        "Geox" in p.tag.grammemes and p.tag.case == "gent" for p in analyzer(lang).parse(word)[:3]
    )


#: Role words of an official whose name a report withholds ("офіційний представник США")
_OFFICIAL = re.compile(r"^(официальн|офіційн|представител|представник|official|spokes)")


def group_or_unnamed(words: list[str], index: int, lang: str) -> bool:
    """Whether a bare role names a group ("European leaders", "лидеры ЕС") or an official of a
    country left unnamed ("офіційний представник США", "a US official") rather than someone
    named before."""
    from crawler.analysis.morphology import analyzer

    word = words[index]
    if lang == "en":
        plural = word.endswith("s") and not word.endswith(("ss", "us"))
    else:
        plural = any("plur" in p.tag.grammemes for p in analyzer(lang).parse(word)[:1])
    if plural:
        return True
    if not _OFFICIAL.match(word):
        return False
    after = words[index + 1 : index + 4]
    return any(w in _COUNTRIES for w in after)


_COUNTRIES = {
    "сша",
    "россии",
    "рф",
    "украины",
    "ес",
    "великобритании",
    "франции",
    "германии",
    "китая",
    "росії",
    "україни",
    "єс",
    "британії",
    "франції",
    "німеччини",
    "китаю",
    "us",
    "u.s",
    "american",
    "russian",
    "ukrainian",
}
