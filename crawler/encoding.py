"""Bytes of a page to text, without storing mojibake.

w3lib (what Scrapy uses) picks the encoding from the BOM, the header, ``<meta>`` and the bytes.
Outlets still lie: a utf-8 header on a windows-1251 body, koi8-r declared only in ``<meta>``,
nothing declared at all. When the result does not read as text, the Cyrillic encodings are
tried and the one that reads most like Russian or Ukrainian wins; a page no encoding
explains is flagged rather than silently stored garbled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from w3lib.encoding import html_to_unicode

CANDIDATES = ("utf-8", "windows-1251", "koi8-r", "koi8-u")
_SAMPLE = 20000
_LETTER = re.compile(r"[^\W\d_]")
_READABLE_LETTER = re.compile(r"[A-Za-zоеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъёієїґ]")


@dataclass
class DecodedPage:
    text: str
    encoding: str
    flags: list[str] = field(default_factory=list)


def readability(text: str) -> float:
    """Share of letters that are plain Latin or common lower-case Cyrillic (1.0 reads fine)."""
    sample = text[:_SAMPLE]
    letters = len(_LETTER.findall(sample))
    if not letters:
        return 1.0
    good = len(_READABLE_LETTER.findall(sample))
    bad = sample.count("\ufffd")
    return max(0.0, (good - bad * 5) / letters)


def decode_page(
    body: bytes, *, header_encoding: str | None = None, forced: str | None = None
) -> DecodedPage:
    if forced:
        return DecodedPage(body.decode(forced, errors="replace"), forced, ["encoding_forced"])
    content_type = f"text/html; charset={header_encoding}" if header_encoding else None
    encoding, text = html_to_unicode(content_type, body)
    score = readability(text)
    if score >= 0.85:
        return DecodedPage(text, encoding)
    best = DecodedPage(text, encoding)
    best_score = score
    for candidate in CANDIDATES:
        try:
            attempt = body.decode(candidate)
        except UnicodeDecodeError:
            continue
        attempt_score = readability(attempt)
        if attempt_score > best_score + 0.05:
            best, best_score = DecodedPage(attempt, candidate), attempt_score
    if best.encoding != encoding:
        best.flags.append(f"encoding_corrected:{encoding}->{best.encoding}")
    if best_score < 0.6:
        best.flags.append("encoding_suspect")
    return best
