"""Where paragraphs, sentences and quotations are in a text (character offsets).

Sentences never split inside a quotation; quotations never run over a paragraph end.
"""

from __future__ import annotations

import re

_OPEN_CLOSE = {"«": "»", "„": "“", "“": "”", "‘": "’"}


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Top-level quotations as (start, end) of their content, nested quotes left inside."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    start_of_top = 0
    for i, char in enumerate(text):
        if stack:
            opener, _ = stack[-1]
            closer = _OPEN_CLOSE.get(opener, '"')
            if char == closer or (opener == "„" and char == "”"):
                if opener == "‘" and i + 1 < len(text) and text[i + 1].isalpha():
                    continue  # an apostrophe (Ukraine’s), not a closing quote
                stack.pop()
                if not stack:
                    spans.append((start_of_top, i))
                continue
            if char == '"' and opener != '"' and not _opens_straight(text, i):
                continue
        if char in _OPEN_CLOSE or (char == '"' and _opens_straight(text, i)):
            if char == "‘" and not stack:
                continue  # single quotes only nest inside double ones
            if not stack:
                start_of_top = i + 1
            stack.append((char, i))
        elif char == '"' and stack and stack[-1][0] == '"':
            stack.pop()
            if not stack:
                spans.append((start_of_top, i))
        if char == "\n" and text[i : i + 2] == "\n\n":
            stack.clear()  # quotations do not run over paragraph ends unclosed
    return spans


def _opens_straight(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return (before.isspace() or before in "([—–-:,«„\n") and not after.isspace()


# -- sentences ------------------------------------------------------------------------------

_SENTENCE_END = re.compile(
    r"(?<=[.!?…])[»”\")]*\s+(?=[«„“\"A-ZА-ЯЁІЇЄҐ—–0-9])"
    # a line break ends a sentence too: a heading or a teaser has no full stop
    r"|[ \t]*\n\s*(?=[«„“\"A-ZА-ЯЁІЇЄҐ—–0-9])"
)


def paragraphs(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in re.finditer(r"\n\s*\n", text):
        if text[start : match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def sentences(
    text: str, start: int, end: int, quotes: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Sentence spans inside [start, end); never splits inside a quotation."""
    result, begin = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        cut = match.start()
        if any(q0 <= cut < q1 for q0, q1 in quotes):
            continue
        if match.group(0).strip(" \t") == "" and _is_abbreviation(text, cut):
            continue
        result.append((begin, cut))
        begin = match.end()
    if begin < end:
        result.append((begin, end))
    return result


_ABBREVIATIONS = re.compile(
    r"\b(?:[A-ZА-ЯЁІЇЄҐ]|г|гг|им|ул|т\.е|т\.д|Mr|Mrs|Ms|Dr|St|U\.S|вул|ім|"
    # months and titles in English copy: "said on Dec. 6 that", "Sen. Lindsey Graham"
    r"\bJan|\bFeb|\bMar|\bApr|\bAug|\bSept?|\bOct|\bNov|\bDec|\bGen|\bSen|\bRep|\bGov|\bLt|\bCol)\.$"
)


def _is_abbreviation(text: str, cut: int) -> bool:
    return bool(_ABBREVIATIONS.search(text[max(0, cut - 6) : cut + 1].rstrip()))


# -- finding candidates ---------------------------------------------------------------------
