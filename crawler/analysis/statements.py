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
- recap markers ("Напомним", "Нагадаємо", "Как сообщал", "Ранее", "Earlier"…);
- never a heading, teaser, caption or credit line (a line without a closing stop).

Indirect speech in one sentence is ``crawler.analysis.indirect``; the words around
attributions (frames, pointers, outlet credits, verbal adverbs) ``crawler.analysis.attribution``.
"""

from __future__ import annotations

import re

from crawler.analysis.attribution import (
    BARE_CLAUSE_VERBS,
    COMPLEMENTIZERS,
    POINTER,
    attribution_after,
    attribution_before,
    names_an_outlet,
)
from crawler.analysis.candidate import Candidate
from crawler.analysis.indirect import indirect_in_sentence
from crawler.analysis.morphology import normalise_token, tokens
from crawler.analysis.speech import is_speech_word
from crawler.analysis.textspans import paragraphs, quote_spans, sentences

__all__ = ["Candidate", "find_candidates"]

#: pronouns that name no one new in a pointer ("Об этом он сказал")
PERSONAL_PRONOUNS = {"он", "она", "они", "він", "вона", "вони", "he", "she", "they"}

RECAP_STRONG = re.compile(
    r"^\s*(напомним|нагадаємо|нагадуємо|recall that|как сообщал|как писал|как ранее сообщал|"
    r"як повідомляв|як писав|як раніше повідомляв|as .{2,40} (?:reported|wrote)|"
    r"as reported)",
    re.IGNORECASE,
)
RECAP_WEAK = re.compile(
    r"\b(ранее|раньше|раніше|прежде|earlier|previously|last (?:week|month|year)|"
    # "has repeatedly said", "неоднократно заявлял": a position held, not news
    r"repeatedly|неоднократно|неодноразово|не раз|не одного разу|"
    # "Также сообщалось, что …", "Як повідомлялося, …": what was reported before
    r"сообщалось|повідомлялося|повідомлялось|it was reported|"
    r"had (?:said|stated|told|warned|argued|called|insisted|suggested))\b",
    re.IGNORECASE,
)
MIN_QUOTE_WORDS = 4


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
        recap_sentence = False
        for s_start, s_end in sentences(text, p_start, p_end, p_quotes):
            sentence = text[s_start:s_end]
            if _in_heading(text, s_start, s_end):
                continue
            marked = bool(RECAP_STRONG.match(sentence) or RECAP_WEAK.search(sentence))
            recap = recap_rest or marked or recap_sentence
            # "Ранее стороны встречались в Кремле. Как заявил Ушаков, …": a sentence that
            # sets the scene in the past, with no speech of its own, carries it to the next
            recap_sentence = marked and not _attributes(sentence)
            found = _direct_in_sentence(
                text, s_start, s_end, p_end, p_quotes, p_index, recap, previous_direct
            )
            if found:
                new = [c for c in found if c is not previous_direct]
                candidates.extend(new)
                covered.extend((c.start, c.end) for c in found)
                previous_direct = found[-1]
                # '«…», — сказал Рябков. Дипломат выразил надежду, что … "…"': the sentence
                # goes on with indirect speech of its own after the quotation's attribution
                rest = max(max(c.end, c.speaker_end) for c in found) + 1
                if s_end - rest > 30:
                    after = indirect_in_sentence(text, rest, s_end, p_index, recap, p_quotes)
                    if after is not None and after.start >= rest:
                        candidates.append(after)
                continue
            quoted = next(
                ((q0, q1) for q0, q1 in p_quotes if q0 <= s_start + 2 and q1 >= s_end - 3), None
            )
            if quoted is not None:
                # a sentence wholly inside a quotation without an attribution: never indirect
                # speech of its own ("Я б сказав, що …"); opening a paragraph after "X сказал:"
                # it goes on with that speaker
                if s_start == p_start or not text[p_start:s_start].strip():
                    candidates.append(
                        Candidate(
                            "direct", quoted[0], quoted[1], -1, -1, recap, p_index, continues=True
                        )
                    )
                continue
            if any(s_start <= q0 < s_end for q0, _ in p_quotes):
                previous_direct = None
            pointer = POINTER.search(sentence)
            leading = pointer is not None and not sentence[: pointer.start()].strip(" ,—–-")
            indirect = indirect_in_sentence(text, s_start, s_end, p_index, recap, p_quotes)
            if indirect is not None:
                candidates.append(indirect)
                if not leading:
                    continue
                # "Об этом заявил X, уточнив, что …": the sentence also points back to the one
                # before ("…, сообщает корреспондент" is then only the outlet's credit)
            # "X announced this" holds its verb and names X before it
            named_before = pointer is not None and (
                is_speech_word(pointer.group(0).split()[0])
                or pointer.group(0).lower().startswith("made")
            )
            made = (
                pointer is not None
                and named_before
                and not is_speech_word(pointer.group(0).split()[0])
            )
            if pointer and (made or any(is_speech_word(w) for w, _, _ in tokens(sentence))):
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
                window = (
                    (s_start, s_start + pointer.start())
                    if named_before
                    else (s_start + pointer.end(), s_end)
                )
                said = next(
                    (
                        c
                        for c in candidates
                        if previous is not None
                        and c.kind == "indirect"
                        and previous[0] <= c.start < previous[1]
                    ),
                    None,
                )
                credit = text[window[0] : window[1]]
                credit_words = {normalise_token(w) for w, _, _ in tokens(credit)}
                if said is not None and (
                    names_an_outlet(credit)
                    or re.search(r"«[^»]{2,40}»", credit)
                    or credit_words & PERSONAL_PRONOUNS
                ):
                    # "Про це повідомляє «Главком»": the outlet's credit; "Об этом он сказал":
                    # the one already named — either way the statement keeps its speaker
                    pass
                elif said is not None:
                    # "У Кремлі заявили, що … . Про це повідомив речник Кремля Пєсков": one
                    # utterance; the one the pointer names said it
                    said.speaker_start, said.speaker_end = window
                elif previous is not None and not any(c0 <= previous[0] < c1 for c0, c1 in covered):
                    start = _lead_in(text, p_start, previous[0], p_quotes, candidates)
                    candidates.append(
                        Candidate("indirect", start, previous[1], *window, recap, p_index)
                    )
    return candidates


#: the longest line taken for a heading: news headlines and teasers run to about 120 characters
HEADING_CHARS = 160
_LINE_END = re.compile(r"(?:[.!?…:;)]|[.!?…,]\s*[»\"”'’])\s*$")


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


def _attributes(sentence: str) -> bool:
    """Whether a sentence holds speech of its own (a speech verb)."""
    return any(is_speech_word(w) for w, _, _ in tokens(sentence))


def _lead_in(
    text: str, p_start: int, start: int, quotes: list[tuple[int, int]], found: list[Candidate]
) -> int:
    """Where the words a pointer stands for begin: "A. B. Про це розповів X" gives X both
    sentences of the paragraph when neither holds a quotation or a statement of its own; else
    just the sentence before the pointer (``start``)."""
    if start <= p_start or any(p_start <= c.start < start for c in found):
        return start
    before = sentences(text, p_start, start, quotes)
    if not before or any(_in_heading(text, a, b) for a, b in before):
        return start
    if any(p_start <= q0 < start for q0, _ in quotes):
        return start
    return before[0][0]


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
    head_start = s_start
    for q_start, q_end in quotes:
        if not (s_start <= q_start < s_end):
            continue
        content = text[q_start:q_end]
        if len(tokens(content)) < MIN_QUOTE_WORDS:
            continue
        if _quoted_title(text, q_start, content):
            continue  # 'told CNN on “The Lead with Jake Tapper” that …': a programme's title
        # a quotation inside an indirect clause ("заявил, что Украина «…»") is part of it;
        # the words of an earlier quotation in the sentence are not that clause
        head = text[head_start : q_start - 1]
        head_start = q_end + 1
        if (
            any(normalise_token(w) in COMPLEMENTIZERS for w, _, _ in tokens(head))
            and any(is_speech_word(w) for w, _, _ in tokens(head))
        ) or _bare_clause_before(head):
            if found:
                continue
            return []
        inner = _split_inside(text, q_start, q_end)
        if inner is not None:
            found.append(Candidate("direct", q_start, q_end, inner[0], inner[1], recap, p_index))
            continue
        after = attribution_after(text, q_end + 1, min(p_end, q_end + 200))
        before = attribution_before(text, s_start, q_start - 1)
        where = after or before
        between = text[found[-1].end : q_start].rstrip(' «„“"‘') if found else ""
        if where is None and found and q_start - found[-1].end < 80 and between[-1:] in ".:!?":
            found[-1].end = q_end  # "…," he said. "…": the same statement goes on
            continue
        if where is None and found and between[-1:] not in ".:!?":
            continue  # '… Kellogg said on "The Record"': a title in quotation marks
        if where is None:
            continue
        found.append(Candidate("direct", q_start, q_end, where[0], where[1], recap, p_index))
    return found


def _bare_clause_before(head: str) -> bool:
    """'Trump said a breakthrough was “getting a lot closer”': an English clause without
    "that" runs from its verb into the quotation, which is part of it."""
    if head.rstrip().endswith((":", ",")):
        return False
    words = [normalise_token(w) for w, _, _ in tokens(head)]
    return any(w in BARE_CLAUSE_VERBS and len(words) - k > 2 for k, w in enumerate(words))


#: words before a quoted title: 'on “The Lead with Jake Tapper”', 'in “The Economist”'
TITLE_PREPOSITIONS = {"on", "in", "at", "to", "for", "by", "of"}


def _quoted_title(text: str, q_start: int, content: str) -> bool:
    """A title in quotation marks after a preposition: its words in headline case."""
    before = tokens(text[max(0, q_start - 20) : q_start])
    if not before or normalise_token(before[-1][0]) not in TITLE_PREPOSITIONS:
        return False
    words = [w for w, _, _ in tokens(content) if len(w) > 3]
    return bool(words) and sum(w[:1].isupper() for w in words) >= 0.6 * len(words)


def _split_inside(text: str, q_start: int, q_end: int) -> tuple[int, int] | None:
    """«Первое, — сказал он. — Второе»: the attribution inside the quotation marks."""
    match = re.search(r"[,.!?…]\s+[—–]\s+([^—–«»]{3,120}?)[.,]\s+[—–]\s+", text[q_start:q_end])
    if match and any(is_speech_word(w) for w, _, _ in tokens(match.group(1))):
        return q_start + match.start(1), q_start + match.end(1)
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
