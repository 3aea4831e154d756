"""Indirect speech in one sentence: "X заявил, что …", "по словам X, …", "…, заявил X",
"X назвал переговоры конструктивными", "Ушаков: …".
"""

from __future__ import annotations

import re

from crawler.analysis.attribution import (
    ADJUNCTS,
    FRAME,
    POINTER,
    SHORT_TRAILING_WORDS,
    TRAILING_WORDS,
    clause_after_complementizer,
    ends_in_speech,
    gerund,
    names_an_outlet,
    outlet_credit,
    present,
    subject_before,
)
from crawler.analysis.candidate import Candidate
from crawler.analysis.morphology import normalise_token, tokens
from crawler.analysis.speech import OPINION_WORDS, is_speech_word
from crawler.analysis.subject_words import SPEECH_NOUNS


def indirect_in_sentence(
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
            named = _speaker_after_document(text, after, comma, end)
            if named is not None:
                # "According to a State Department readout, Rubio emphasized …": the document
                # renders his words; he speaks them
                return Candidate("indirect", named[1], end, comma + 1, named[0], recap, p_index)
            # the frame's words go with the speaker's window: after "по словам" the speaker
            # stands in the genitive ("помощника президента Юрия Ушакова"), and in "по его
            # словам" the pronoun names him
            window = (s_start + frame.start("frame"), comma)
            return Candidate("indirect", comma + 1, end, *window, recap, p_index)
        if frame.start() > 10:
            head_end = s_start + frame.start()
            if not names_an_outlet(text[after:end]):
                return Candidate("indirect", s_start, head_end, after, end, recap, p_index)
            # "Medinsky called the talks difficult, according to TASS": the outlet only
            # reports; the sentence before it has its own speaker
            end = head_end
            while end > s_start and text[end - 1] in " ,;.\n":
                end -= 1
            sentence = text[s_start:end]
    # "X заявил, что …" / "X said (that) …"
    clause = clause_after_complementizer(text, s_start, end)
    if clause is not None:
        verb, c_start, c_end = clause
        while c_start < c_end and text[c_start] in " ,:":
            c_start += 1
        if c_end - c_start < 12:
            return None
        speaker_window = (s_start, verb) if verb - s_start > 1 else (verb, c_start)
        if normalise_token(text[verb : verb + 20].split()[0]) in SPEECH_NOUNS:
            # "заявление Трампа о том, что …": a statement named by a noun was made before the
            # news the article tells; it is background
            speaker_window = (verb, c_start)
            recap = True
        window_text = text[speaker_window[0] : speaker_window[1]]
        if not tokens(window_text):
            # "Заявил, что …" with the speaker after the verb ("заявил глава МИД, что")
            speaker_window = (verb, c_start)
        return Candidate("indirect", c_start, c_end, *speaker_window, recap, p_index)
    # "…, заявил Песков." / "…, Peskov said." (trailing attribution, no quotation marks)
    trailing = re.search(r",\s*[—–-]?\s*([^,]{2,120})$", sentence[: end - s_start])
    if trailing and trailing.start() > 25 and gerund(trailing.group(1).split()[0]):
        # "…, Mark Rutte said, warning Moscow …": the attribution stands before a gerund's
        # clause, which goes on with the speaker's words
        head = re.search(r",\s*([^,]{2,120})$", sentence[: trailing.start()])
        if head and head.start() > 25 and ends_in_speech(head.group(1)):
            return Candidate(
                "indirect",
                s_start,
                s_start + head.start(),
                s_start + head.start(1),
                s_start + trailing.start(),
                recap,
                p_index,
            )
    if trailing and trailing.start() > 25 and outlet_credit(trailing.group(1)):
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
            subject = subject_before(sentence, trailing.start())
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
            len(words) > 1 and normalise_token(words[0]) in ("как", "як") and present(words[1])
        )
        # a verb first ("заявил замглавы МИД России Сергей Рябков в интервью ABC News") may
        # carry a longer subject and adjunct; "…, saying …" opens the statement, not closes it
        limit = TRAILING_WORDS if words and is_speech_word(words[0]) else SHORT_TRAILING_WORDS
        participle = bool(words) and gerund(words[0])
        # "…, Kremlin spokesman Dmitry Peskov said": the verb closes an English attribution
        speech = any(is_speech_word(w) for w in words[:4]) or (
            bool(words) and words[-1].isascii() and any(is_speech_word(w) for w in words[-4:])
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
        if index + 1 < len(found) and normalise_token(found[index + 1][0]) in ADJUNCTS:
            break
        if lowered in ("said", "says", "told", "сказал", "сказав", "сообщил", "повідомив"):
            break
        if lowered in ("add", "adds", "added"):
            break  # "… adds significance to the meeting": English "add" speaks only a clause
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


#: documents that render someone's words: "according to the readout / the Kremlin's statement"
DOCUMENTS = re.compile(
    r"\b(readout|statement|transcript|communiqu[eé]|release|заявлени\w*|сообщени\w*|"
    r"стенограмм\w*|релиз\w*|заяв[аиіу]\w*|повідомленн\w*|стенограм\w*)\b",
    re.IGNORECASE,
)


def _speaker_after_document(text: str, after: int, comma: int, end: int) -> tuple[int, int] | None:
    """After "according to <a document>," a named subject with a speech verb: (the verb's
    start, the statement's start), else None."""
    if not DOCUMENTS.search(text[after:comma]):
        return None
    found = tokens(text[comma + 1 : end])
    for index, (word, w0, w1) in enumerate(found[:5]):
        if is_speech_word(word):
            subject = [t for t, _, _ in found[:index]]
            if index and all(t[:1].isupper() for t in subject):
                clause = clause_after_complementizer(text, comma + 1, end)
                return comma + 1 + w0, clause[1] if clause else comma + 1 + w1
            return None
    return None
