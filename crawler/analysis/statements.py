"""Attributed statements in an article: direct quotes and indirect speech, ru/uk/en.

Pure: text in, ``Candidate`` spans out. A candidate is what an analyst would underline: the
words of the statement (``start``/``end`` into the article text), where the speaker is named
(``speaker_start``/``speaker_end``), direct or indirect, and whether it is a recap. Who the
speaker is gets decided by ``crawler.analysis.speakers``; what it is about by
``crawler.analysis.topics``.

The rules are general grammar of news copy, not patterns of particular sentences:
- a quotation (« », „ “, “ ”, " ", ‘ ’, or a paragraph opened by a dash) with a speech verb and
  a speaker after it (", — сказал Рютте", ", said Rutte", "," he said") or before it
  ("Лавров заявил: «…»", "Рютте: «…»", "По словам Пескова, «…»");
- a clause introduced by a speech verb and a complementizer ("заявил, что", "наголосив, що",
  "said (that)"), a source frame ("по словам X,", "за словами X,", "according to X,",
  "как отметил X,"), a trailing attribution ("…, заявил Песков.", "…, Peskov said."), or a
  pointer to the previous sentence ("Об этом заявил X", "Про це заявив X");
- recap markers ("Напомним", "Нагадаємо", "Как сообщал", "Ранее", "Earlier"…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.analysis.morphology import analyzer, normalise_token, tokens
from crawler.analysis.speaker_words import MEDIA
from crawler.analysis.speech import OPINION_WORDS, is_speech_word
from crawler.analysis.textspans import paragraphs, quote_spans, sentences

COMPLEMENTIZERS = {"что", "чтобы", "що", "щоб", "that"}
RECAP_STRONG = re.compile(
    r"^\s*(напомним|нагадаємо|нагадуємо|recall that|как сообщал|как писал|как ранее сообщал|"
    r"як повідомляв|як писав|як раніше повідомляв|as .{2,40} (?:reported|wrote)|"
    r"as reported)",
    re.IGNORECASE,
)
RECAP_WEAK = re.compile(
    r"\b(ранее|раньше|раніше|прежде|earlier|previously|last (?:week|month|year)|"
    r"had (?:said|stated|told|warned|argued|called|insisted|suggested))\b",
    re.IGNORECASE,
)
FRAME = re.compile(
    r"(?:^|[,;]\s+|\s)(?P<frame>по словам|по мнению|по его словам|по ее словам|по её словам|"
    r"за словами|на думку|за його словами|за її словами|according to|in the words of|"
    r"как (?:отметил|отметила|заявил|заявила|сказал|сказала|подчеркнул|подчеркнула|пояснил|"
    r"пояснила|добавил|добавила|сообщил|сообщила|указал|указала|считает|уточнил|уточнила)|"
    r"як (?:зазначив|зазначила|заявив|заявила|сказав|сказала|наголосив|наголосила|підкреслив|"
    r"підкреслила|пояснив|пояснила|додав|додала|повідомив|повідомила|вказав|вказала|вважає|"
    r"уточнив|уточнила)|as (?:\w+ )?(?:put it|said|noted|told))\s+",
    re.IGNORECASE,
)
POINTER = re.compile(
    r"\b(об этом|о чем|о чём|про це|про що|this was (?:said|stated|announced) by|"
    r"(?:said|announced|stated|declared|wrote) this|this is what)\b",
    re.IGNORECASE,
)
MIN_QUOTE_WORDS = 4
#: the longest attribution after a comma: "заявил замглавы МИД России Сергей Рябков в интервью
#: ABC News" is eleven words
TRAILING_WORDS = 14
SHORT_TRAILING_WORDS = 9


@dataclass
class Candidate:
    kind: str  # direct | indirect
    start: int
    end: int
    speaker_start: int
    speaker_end: int
    recap: bool
    paragraph: int
    continues: bool = False  # a quote paragraph that continues the previous speaker

    def text(self, article: str) -> str:
        return article[self.start : self.end]


def _attribution_after(text: str, pos: int, limit: int) -> tuple[int, int] | None:
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


def _attribution_before(text: str, sentence_start: int, quote_open: int) -> tuple[int, int] | None:
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
_ADJUNCTS = {
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


def _clause_after_complementizer(text: str, start: int, end: int) -> tuple[int, int, int] | None:
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
        if word not in ("said", "says", "told", "added", "warned", "argued", "believes"):
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
        if "," in between and _gerund(found[rest][0]):
            continue  # "…, Rutte said, warning …": the verb closes an attribution
        if rest < len(words) - 3:
            return start + found[index][1], start + found[rest][1], end
    # 3. "заявил о готовности…" / "заявив про…": the object is the statement
    for index, word in enumerate(words[:-1]):
        if word.startswith(("заяв", "высказ", "вислов")) and words[index + 1] in ("о", "об", "про"):
            return start + found[index][1], start + found[index + 1][1], end
    return None


def find_candidates(text: str, title: str = "") -> list[Candidate]:
    """Every statement candidate in ``text`` (paragraphs separated by blank lines)."""
    quotes = quote_spans(text)
    candidates: list[Candidate] = []
    recap_rest = False
    spans = paragraphs(text)
    for p_index, (p_start, p_end) in enumerate(spans):
        paragraph = text[p_start:p_end]
        if RECAP_STRONG.match(paragraph):
            recap_rest = True
        p_quotes = [q for q in quotes if p_start <= q[0] < p_end]
        dash = _dash_paragraph(text, p_start, p_end, p_index, recap_rest)
        if dash is not None:
            candidates.append(dash)
            continue
        covered: list[tuple[int, int]] = []
        previous_direct: Candidate | None = None
        for s_start, s_end in sentences(text, p_start, p_end, p_quotes):
            sentence = text[s_start:s_end]
            if _in_heading(text, s_start, s_end):
                continue
            recap = recap_rest or bool(RECAP_STRONG.match(sentence) or RECAP_WEAK.search(sentence))
            found = _direct_in_sentence(
                text, s_start, s_end, p_end, p_quotes, p_index, recap, previous_direct
            )
            if found:
                new = [c for c in found if c is not previous_direct]
                candidates.extend(new)
                covered.extend((c.start, c.end) for c in found)
                previous_direct = found[-1]
                continue
            if any(s_start <= q0 < s_end for q0, _ in p_quotes):
                previous_direct = None
            pointer = POINTER.search(sentence)
            leading = pointer is not None and not sentence[: pointer.start()].strip(" ,—–-")
            indirect = _indirect_in_sentence(text, s_start, s_end, p_index, recap, p_quotes)
            if indirect is not None:
                candidates.append(indirect)
                if not leading:
                    continue
                # "Об этом заявил X, уточнив, что …": the sentence also points back to the one
                # before ("…, сообщает корреспондент" is then only the outlet's credit)
            # "X announced this" holds its verb and names X before it
            named_before = pointer is not None and is_speech_word(pointer.group(0).split()[0])
            if pointer and any(is_speech_word(w) for w, _, _ in tokens(sentence)):
                previous = _previous_sentence(text, p_start, s_start, p_quotes)
                if previous is None and p_index > 0 and not text[p_start:s_start].strip():
                    # a pointer opening a paragraph points to the paragraph before: a crawl
                    # gives every line as a paragraph
                    before_start, before_end = spans[p_index - 1]
                    previous = _previous_sentence(text, before_start, before_end, quotes)
                    if previous is not None and (
                        _in_heading(text, *previous)
                        or any(c.start <= previous[0] < c.end for c in candidates)
                    ):
                        previous = None
                if previous is not None and not any(c0 <= previous[0] < c1 for c0, c1 in covered):
                    candidates.append(
                        Candidate(
                            "indirect",
                            previous[0],
                            previous[1],
                            s_start if named_before else s_start + pointer.end(),
                            s_start + pointer.start() if named_before else s_end,
                            recap,
                            p_index,
                        )
                    )
    return candidates


#: the longest line taken for a heading: news headlines and teasers run to about 120 characters
HEADING_CHARS = 160
_LINE_END = re.compile(r"[.!?…:;»\"”)'’]\s*$")


def _in_heading(text: str, start: int, end: int) -> bool:
    """Whether the sentence is a line without a closing stop: a heading, a teaser, a caption
    or a credit line ("Рябков: стороны близки к урегулированию", "Photo: Reuters"), which
    news copy repeats from its body or adds beside it, never a statement of its own."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    if line_end < 0 or not text[line_end:].strip():
        return False  # the last line: a text cut short ends without a stop too
    line = text[line_start:line_end].strip()
    return 0 < len(line) <= HEADING_CHARS and not _LINE_END.search(line)


def _previous_sentence(
    text: str, p_start: int, s_start: int, quotes: list[tuple[int, int]]
) -> tuple[int, int] | None:
    before = sentences(text, p_start, s_start, quotes)
    if not before:
        return None
    start, end = before[-1]
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end - start > 20 else None


def _direct_in_sentence(
    text: str,
    s_start: int,
    s_end: int,
    p_end: int,
    quotes: list[tuple[int, int]],
    p_index: int,
    recap: bool,
    previous: Candidate | None = None,
) -> list[Candidate]:
    found: list[Candidate] = [previous] if previous is not None else []
    for q_start, q_end in quotes:
        if not (s_start <= q_start < s_end):
            continue
        content = text[q_start:q_end]
        if len(tokens(content)) < MIN_QUOTE_WORDS:
            continue
        # a quotation inside an indirect clause ("заявил, что Украина «…»") is part of it
        head = text[s_start : q_start - 1]
        if any(normalise_token(w) in COMPLEMENTIZERS for w, _, _ in tokens(head)) and any(
            is_speech_word(w) for w, _, _ in tokens(head)
        ):
            return []
        inner = _split_inside(text, q_start, q_end)
        if inner is not None:
            found.append(Candidate("direct", q_start, q_end, inner[0], inner[1], recap, p_index))
            continue
        after = _attribution_after(text, q_end + 1, min(p_end, q_end + 200))
        before = _attribution_before(text, s_start, q_start - 1)
        where = after or before
        if where is None and found and q_start - found[-1].end < 80:
            found[-1].end = q_end  # "…," he said. "…": the same statement goes on
            continue
        if where is None:
            continue
        found.append(Candidate("direct", q_start, q_end, where[0], where[1], recap, p_index))
    return found


def _split_inside(text: str, q_start: int, q_end: int) -> tuple[int, int] | None:
    """«Первое, — сказал он. — Второе»: the attribution inside the quotation marks."""
    match = re.search(r"[,.!?…]\s+[—–]\s+([^—–«»]{3,120}?)[.,]\s+[—–]\s+", text[q_start:q_end])
    if match and any(is_speech_word(w) for w, _, _ in tokens(match.group(1))):
        return q_start + match.start(1), q_start + match.end(1)
    return None


_OUTLET_WORDS = re.compile(
    r"\b(?:news agency|agency|newspaper|broadcaster|media|outlet|агентств\w*|агенці\w*|"
    r"газет\w*|телеканал\w*|СМИ|ЗМІ|издани\w*|видання)\b",
    re.IGNORECASE,
)


def _names_an_outlet(window: str) -> bool:
    """Whether a source frame's source is a news outlet ("according to TASS", "по данным
    агентства"), which reports speech rather than speaks."""
    return bool(_OUTLET_WORDS.search(window)) or any(
        normalise_token(w) in MEDIA for w, _, _ in tokens(window)
    )


def _present(word: str) -> bool:
    """A Russian or Ukrainian verb in the present tense ("предлагает", "вважає")."""
    return any(
        p.tag.POS == "VERB" and p.tag.tense == "pres"
        for lang in ("ru", "uk")
        for p in analyzer(lang).parse(normalise_token(word))[:2]
    )


def _gerund(word: str) -> bool:
    """ "saying", "пригрозив", "додавши": a verbal adverb opens what follows, never closes an
    attribution."""
    lowered = normalise_token(word)
    if lowered.isascii():
        return lowered.endswith("ing")
    return any(
        p.tag.POS == "GRND" for lang in ("ru", "uk") for p in analyzer(lang).parse(lowered)[:2]
    )


def _subject_before(sentence: str, comma: int) -> int | None:
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


def _ends_in_speech(clause: str) -> bool:
    """ "Secretary General Mark Rutte said", "заявил Песков": a short clause with its verb."""
    words = [w for w, _, _ in tokens(clause)]
    return 1 < len(words) <= SHORT_TRAILING_WORDS and (
        is_speech_word(words[-1]) or is_speech_word(words[0])
    )


def _outlet_credit(window: str) -> bool:
    """ "сообщает «РИА Новости»", "передает ТАСС", "пише Sky News", "Reuters reported": a short
    clause in which an outlet reports ("told Suspilne" names whom a speaker told)."""
    words = [normalise_token(w) for w, _, _ in tokens(window)]
    return 0 < len(words) <= 5 and words[0] not in ("told", "tells") and _names_an_outlet(window)


def _indirect_in_sentence(
    text: str,
    s_start: int,
    s_end: int,
    p_index: int,
    recap: bool,
    quotes: list[tuple[int, int]],
) -> Candidate | None:
    sentence = text[s_start:s_end]
    end = s_end
    while end > s_start and text[end - 1] in " .\n":
        end -= 1
    # "По словам X, …" / "according to X, …" / "как отметил X, …"
    frame = FRAME.search(sentence)
    if frame is not None:
        after = s_start + frame.end()
        comma = text.find(",", after, end)
        if comma != -1 and comma - after < 90:
            return Candidate("indirect", comma + 1, end, after, comma, recap, p_index)
        if frame.start() > 10:
            head_end = s_start + frame.start()
            if not _names_an_outlet(text[after:end]):
                return Candidate("indirect", s_start, head_end, after, end, recap, p_index)
            # "Medinsky called the talks difficult, according to TASS": the outlet only
            # reports; the sentence before it has its own speaker
            end = head_end
            while end > s_start and text[end - 1] in " ,;.\n":
                end -= 1
            sentence = text[s_start:end]
    # "X заявил, что …" / "X said (that) …"
    clause = _clause_after_complementizer(text, s_start, end)
    if clause is not None:
        verb, c_start, c_end = clause
        while c_start < c_end and text[c_start] in " ,:":
            c_start += 1
        if c_end - c_start < 12:
            return None
        speaker_window = (s_start, verb) if verb - s_start > 1 else (verb, c_start)
        window_text = text[speaker_window[0] : speaker_window[1]]
        if not tokens(window_text):
            # "Заявил, что …" with the speaker after the verb ("заявил глава МИД, что")
            speaker_window = (verb, c_start)
        return Candidate("indirect", c_start, c_end, *speaker_window, recap, p_index)
    # "…, заявил Песков." / "…, Peskov said." (trailing attribution, no quotation marks)
    trailing = re.search(r",\s*[—–-]?\s*([^,]{2,120})$", sentence[: end - s_start])
    if trailing and trailing.start() > 25 and _gerund(trailing.group(1).split()[0]):
        # "…, Mark Rutte said, warning Moscow …": the attribution stands before a gerund's
        # clause, which goes on with the speaker's words
        head = re.search(r",\s*([^,]{2,120})$", sentence[: trailing.start()])
        if head and head.start() > 25 and _ends_in_speech(head.group(1)):
            return Candidate(
                "indirect",
                s_start,
                s_start + head.start(),
                s_start + head.start(1),
                s_start + trailing.start(),
                recap,
                p_index,
            )
    if trailing and trailing.start() > 25 and _outlet_credit(trailing.group(1)):
        # "…, сообщает «РИА Новости»", "…, пише Sky News": the outlet's credit; the sentence
        # before it has its own attribution
        end = s_start + trailing.start()
        sentence = text[s_start:end]
        trailing = re.search(r",\s*[—–-]?\s*([^,]{2,120})$", sentence)
    if trailing and trailing.start() > 25:
        words = [t for t, _, _ in tokens(trailing.group(1))]
        if words and not is_speech_word(words[0]) and len(trailing.group(1)) > 80:
            words = []  # only an attribution that opens with its verb runs that long
        named_after = any(w[:1].isupper() for w in words[1:])
        if (
            words
            and words[0].isascii()
            and is_speech_word(words[0])
            and (normalise_token(words[0]) in ("told", "tells") or not named_after)
        ):
            # "…, Diana Davitian, spokeswoman for the Council, told Suspilne": in English
            # the subject stands before the verb, in the comma segments before it
            subject = _subject_before(sentence, trailing.start())
            if subject is not None:
                return Candidate(
                    "indirect",
                    s_start,
                    s_start + subject,
                    s_start + subject,
                    end,
                    recap,
                    p_index,
                )
        comparison = [normalise_token(w) for w in words[:2]] in (["как", "это"], ["як", "це"])
        # "…, как предлагает Макрон": a present-tense "as X proposes" names whose position
        # the sentence is like, not who said it ("…, как заявил Песков" does)
        comparison = comparison or (
            len(words) > 1 and normalise_token(words[0]) in ("как", "як") and _present(words[1])
        )
        # a verb first ("заявил замглавы МИД России Сергей Рябков в интервью ABC News") may
        # carry a longer subject and adjunct; "…, saying …" opens the statement, not closes it
        limit = TRAILING_WORDS if words and is_speech_word(words[0]) else SHORT_TRAILING_WORDS
        participle = bool(words) and _gerund(words[0])
        # "…, Kremlin spokesman Dmitry Peskov said": the verb closes an English attribution
        speech = any(is_speech_word(w) for w in words[:4]) or (
            bool(words) and words[-1].isascii() and is_speech_word(words[-1])
        )
        if 1 < len(words) <= limit and speech and not comparison and not participle:
            return Candidate(
                "indirect",
                s_start,
                s_start + trailing.start(),
                s_start + trailing.start(1),
                end,
                recap,
                p_index,
            )
    # "Умеров назвал переговоры конструктивными" / "Fidan urged both sides to …": a speech
    # verb with an object, its subject named just before it
    found = tokens(sentence[: end - s_start])
    for index, (word, w0, _) in enumerate(found[:12] if not POINTER.search(sentence) else []):
        lowered = normalise_token(word)
        if index == 0 or not is_speech_word(word) or lowered in OPINION_WORDS:
            continue
        if index + 1 < len(found) and normalise_token(found[index + 1][0]) in _ADJUNCTS:
            break
        if lowered in ("said", "says", "told", "сказал", "сказав", "сообщил", "повідомив"):
            break
        if len(found) - index < 3:
            break
        if text[s_start + found[index - 1][2] : s_start + w0].strip(" ") not in ("",):
            break  # "X, …, заявил" — the subject is not right before the verb
        return Candidate("indirect", s_start + w0, end, s_start, s_start + w0, recap, p_index)
    # "Ушаков: разговор был весьма полезным" (a headline-style line in the body)
    headline = re.match(
        r"^([A-ZА-ЯЁІЇЄҐ][\w'’\-]+(?: [A-ZА-ЯЁІЇЄҐ][\w'’\-]+){0,2}): (?=\w)", sentence
    )
    if headline:
        return Candidate(
            "indirect",
            s_start + headline.end(),
            end,
            s_start,
            s_start + headline.end(1),
            recap,
            p_index,
        )
    return None


def _dash_paragraph(
    text: str, p_start: int, p_end: int, p_index: int, recap: bool
) -> Candidate | None:
    """A quotation set as a paragraph opened by a dash: '— Мы готовы…, — сказал он.'"""
    paragraph = text[p_start:p_end]
    opener = re.match(r"^\s*[—–-]\s+", paragraph)
    if opener is None:
        return None
    q_start = p_start + opener.end()
    attribution = re.search(
        r"[,.!?…]\s+[—–-]\s+([^—–]{3,120}?)(?:[.,](?:\s+[—–]\s+|\s*$)|$)", paragraph
    )
    if attribution and any(is_speech_word(w) for w, _, _ in tokens(attribution.group(1))):
        rest = paragraph[attribution.end() :].strip()
        q_end = p_end if rest else p_start + attribution.start() + 1
        return Candidate(
            "direct",
            q_start,
            q_end,
            p_start + attribution.start(1),
            p_start + attribution.end(1),
            recap,
            p_index,
        )
    return Candidate("direct", q_start, p_end, -1, -1, recap, p_index, continues=True)
