"""Where news copy names who speaks: the words and clauses around an attribution.

Pure helpers for ``crawler.analysis.statements`` and ``crawler.analysis.indirect``: the
attribution after or before a quotation, a speech verb with its complementizer ("заявил, что",
"said (that)"), source frames ("по словам X", "according to X"), pointers ("Об этом заявил X",
"X announced this"), an outlet's credit ("…, сообщает ТАСС") and verbal adverbs ("пригрозив",
"saying") that open a clause rather than close an attribution.
"""

from __future__ import annotations

import re

from crawler.analysis.morphology import analyzer, normalise_token, tokens
from crawler.analysis.speaker_words import MEDIA
from crawler.analysis.speech import is_speech_word
from crawler.analysis.subject_words import SPEECH_NOUNS

COMPLEMENTIZERS = {"что", "чтобы", "що", "щоб", "that"}
#: English verbs whose clause may follow without "that" ("predicted Trump would have …")
BARE_CLAUSE_VERBS = {
    "said",
    "says",
    "told",
    "added",
    "warned",
    "argued",
    "believes",
    "predicted",
    "insisted",
    "stressed",
    "noted",
    "claimed",
    "contended",
    "stated",
    "reiterated",
}
FRAME = re.compile(
    r"(?:^|[,;]\s+|\s)(?P<frame>по словам|по мнению|по его словам|по ее словам|по её словам|"
    r"за словами|на думку|за його словами|за її словами|according to|in the words of|"
    r"как (?:отметил|отметила|заявил|заявила|сказал|сказала|подчеркнул|подчеркнула|пояснил|"
    r"пояснила|добавил|добавила|сообщил|сообщила|указал|указала|считает|уточнил|уточнила)|"
    r"як (?:зазначив|зазначила|заявив|заявила|сказав|сказала|наголосив|наголосила|підкреслив|"
    r"підкреслила|пояснив|пояснила|додав|додала|повідомив|повідомила|вказав|вказала|вважає|"
    r"уточнив|уточнила)|as (?:\w+ )?(?:put it|said|noted|told))(?=[\s,])\s*",
    re.IGNORECASE,
)
POINTER = re.compile(
    r"\b(об этом|о чем|о чём|про це|про що|"
    # "This was stated by X", "The visit was confirmed by X": the passive names who said it
    r"(?:this|it|the \w+) (?:was|were|has been|had been) (?:\w+ )?(?:said|stated|announced|"
    r"confirmed|reported|disclosed|revealed) by|"
    # "Такое мнение выразила X", "Таку думку висловив X"
    r"так(?:ое|ую|ой|ий|у|е) (?:мнение|оценку|позицию|прогноз|думку|оцінку|позицію)|"
    r"(?:said|announced|stated|declared|wrote) this|this is what|"
    # "Kremlin spokesman Dmitry Peskov made the statement Tuesday"
    r"made the (?:statement|remarks|comments?))\b",
    re.IGNORECASE,
)
#: the longest attribution after a comma: "заявил замглавы МИД России Сергей Рябков в интервью
#: ABC News" is eleven words
TRAILING_WORDS = 14
SHORT_TRAILING_WORDS = 9


def attribution_after(text: str, pos: int, limit: int) -> tuple[int, int] | None:
    """The speaker clause right after a quotation (", — сказал он", ", said Rutte")."""
    tail = text[pos:limit]
    match = re.match(r"^[\s,.!?…]*[—–-]?\s*", tail)
    if match is None:
        return None
    clause_start = pos + match.end()
    clause_end_match = re.search(r"[.!?;:«„“\"\n]|\s[—–]\s", text[clause_start:limit])
    clause_end = clause_start + clause_end_match.start() if clause_end_match else limit
    clause = text[clause_start:clause_end]
    words = [t for t, _, _ in tokens(clause)]
    if not words:
        return None
    if len(words) > 14:
        # '"…," Rutte said on Wednesday at a joint press conference in Brussels with …': a
        # long clause is an attribution only when it opens with its speaker and verb
        return (clause_start, clause_end) if any(is_speech_word(w) for w in words[:4]) else None
    if any(is_speech_word(w) for w in words[:9]):
        return clause_start, clause_end
    return None


def attribution_before(text: str, sentence_start: int, quote_open: int) -> tuple[int, int] | None:
    """A speaker clause before a quotation: 'Лавров заявил:' / 'Рютте:' / 'По словам X,'."""
    head = text[sentence_start:quote_open].rstrip(' «„“"‘')
    if not head.strip():
        return None
    stripped = head.rstrip()
    words = [t for t, _, _ in tokens(head)]
    if stripped.endswith(":") and (len(words) <= 3 or any(is_speech_word(w) for w in words)):
        return sentence_start, sentence_start + len(stripped) - 1
    if FRAME.search(head) and stripped.endswith(","):
        frame = FRAME.search(head)
        assert frame is not None
        return sentence_start + frame.end(), sentence_start + len(stripped) - 1
    if stripped.endswith(",") and any(is_speech_word(w) for w in words[-6:]):
        return sentence_start, sentence_start + len(stripped) - 1
    return None


_NON_CLAUSE_STARTS = {
    "on",
    "in",
    "at",
    "after",
    "before",
    "during",
    "while",
    "when",
    "last",
    "yesterday",
    "today",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "earlier",
    "later",
    "by",
    "to",
    "of",
    "with",
    "for",
}
ADJUNCTS = {
    "на",
    "в",
    "во",
    "у",
    "после",
    "після",
    "під",
    "под",
    "in",
    "at",
    "on",
    "during",
    "after",
    "journalists",
    "журналистам",
    "журналістам",
    "reporters",
}
_TOLD_OBJECTS = {
    "reporters",
    "journalists",
    "parliament",
    "lawmakers",
    "the",
    "a",
    "an",
    "cnn",
    "reuters",
    "fox",
    "bbc",
    "ap",
    "afp",
    "nbc",
    "cbs",
    "abc",
    "politico",
    "axios",
}


def clause_after_complementizer(text: str, start: int, end: int) -> tuple[int, int, int] | None:
    """(verb position, clause start, clause end) for 'X заявил, что …' / 'X said (that) …'."""
    found = tokens(text[start:end])
    words = [normalise_token(w) for w, _, _ in found]
    # 1. a complementizer with a speech verb (or "уверен") at most 5 words before it
    for index, word in enumerate(words):
        if word not in COMPLEMENTIZERS:
            continue
        for back in range(index - 1, max(-1, index - 6), -1):
            if is_speech_word(words[back]):
                return start + found[back][1], start + found[index][2], end
    # 2. English "X said …" without "that"; "X told reporters …"
    for index, word in enumerate(words):
        if word not in BARE_CLAUSE_VERBS:
            continue
        rest = index + 1
        if word == "told":
            if rest + 1 < len(words) and words[rest] in ("the", "a", "an"):
                if words[rest + 1] in _TOLD_OBJECTS:
                    rest += 2
            elif rest < len(words) and words[rest] in _TOLD_OBJECTS:
                rest += 1
        while rest < len(words) and rest < index + 6 and words[rest] in _NON_CLAUSE_STARTS:
            # "said on Tuesday", "said in a statement": skip a short adjunct
            rest += 2 if rest + 1 < len(words) else 1
        if rest < len(words) and words[rest] == "that":
            rest += 1
        between = (
            text[start + found[index][2] : start + found[rest][1]] if rest < len(words) else ""
        )
        if "," in between and gerund(found[rest][0]):
            continue  # "…, Rutte said, warning …": the verb closes an attribution
        if rest < len(words) - 3:
            return start + found[index][1], start + found[rest][1], end
    # 3. "заявил о готовности…" / "заявив про…": the object is the statement
    for index, word in enumerate(words[:-1]):
        if word.startswith(("заяв", "высказ", "вислов")) and words[index + 1] in ("о", "об", "про"):
            return start + found[index][1], start + found[index + 1][1], end
    # 4. "заявление президента Трампа о том, что …", "заява Путіна про те, що …": a speech
    #    noun, whose speaker follows it in the genitive
    for index, word in enumerate(words):
        if word not in ("что", "що"):
            continue
        for back in range(index - 1, max(-1, index - 9), -1):
            if words[back] in SPEECH_NOUNS:
                return start + found[back][1], start + found[index][2], end
    return None


_OUTLET_WORDS = re.compile(
    r"\b(?:news agency|agency|newspaper|broadcaster|media|outlet|агентств\w*|агенці\w*|"
    r"газет\w*|телеканал\w*|СМИ|ЗМІ|издани\w*|видання)\b",
    re.IGNORECASE,
)


def names_an_outlet(window: str) -> bool:
    """Whether a source frame's source is a news outlet ("according to TASS", "по данным
    агентства"), which reports speech rather than speaks."""
    return bool(_OUTLET_WORDS.search(window)) or any(
        normalise_token(w) in MEDIA for w, _, _ in tokens(window)
    )


def present(word: str) -> bool:
    """A Russian or Ukrainian verb in the present tense ("предлагает", "вважає")."""
    return any(
        p.tag.POS == "VERB" and p.tag.tense == "pres"
        for lang in ("ru", "uk")
        for p in analyzer(lang).parse(normalise_token(word))[:2]
    )


def gerund(word: str) -> bool:
    """ "saying", "пригрозив", "додавши": a verbal adverb opens what follows, never closes an
    attribution."""
    lowered = normalise_token(word)
    if lowered.isascii():
        return lowered.endswith("ing")
    return any(
        p.tag.POS == "GRND" for lang in ("ru", "uk") for p in analyzer(lang).parse(lowered)[:2]
    )


def subject_before(sentence: str, comma: int) -> int | None:
    """Where an English subject in apposition starts when a trailing verb has none: up to two
    comma segments back, the first that opens with a capitalised word."""
    position = comma
    for _ in range(2):
        previous = sentence.rfind(",", 0, position)
        if previous < 25:
            return None
        segment = sentence[previous + 1 : position].strip()
        if len(segment) > 80:
            return None
        if segment[:1].isupper():
            return previous
        position = previous
    return None


def ends_in_speech(clause: str) -> bool:
    """ "Secretary General Mark Rutte said", "заявил Песков": a short clause with its verb."""
    words = [w for w, _, _ in tokens(clause)]
    return 1 < len(words) <= SHORT_TRAILING_WORDS and (
        is_speech_word(words[0]) or any(is_speech_word(w) for w in words[-4:])
    )


def outlet_credit(window: str) -> bool:
    """ "сообщает «РИА Новости»", "передает ТАСС", "пише Sky News", "Reuters reported": a short
    clause in which an outlet reports ("told Suspilne" names whom a speaker told)."""
    words = [normalise_token(w) for w, _, _ in tokens(window)]
    if 1 < len(words) <= 5 and is_speech_word(words[0]) and words[1] in SITES:
        return True  # "сообщает сайт президента РФ": a website reports what the sentence says
    return 0 < len(words) <= 5 and words[0] not in ("told", "tells") and names_an_outlet(window)


#: Websites and channels that publish what a sentence reports ("сообщает сайт президента РФ").
SITES = {"сайт", "сайті", "портал", "website", "site"}
