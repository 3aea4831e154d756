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
_NOT_LETTERS = re.compile(r"[\W\d_]+")
# Letters that are rare in real Latin or Cyrillic text but frequent in mojibake (Р°СЃ, Ð°Ñ),
# plus the box-drawing characters koi8 turns UTF-8 bytes into.
_ODD_LETTER = re.compile(
    r"[^\W\d_A-Za-zА-ЯЁІЇЄҐоеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъёієїґ]|[\u2500-\u257f]"
)
_UPPER_CYRILLIC = re.compile("[А-ЯЁІЇЄҐ]")


@dataclass
class DecodedPage:
    text: str
    encoding: str
    flags: list[str] = field(default_factory=list)


def readability(text: str) -> float:
    """How much ``text`` reads like real Latin or Cyrillic text: 1.0 fine, below 0.6 garbled."""
    sample = text[:_SAMPLE]
    letters = len(_NOT_LETTERS.sub("", sample))
    if not letters:
        return 1.0
    odd = len(_ODD_LETTER.findall(sample)) + 5 * sample.count("\ufffd")
    # Real text is mostly lower case; a wrong Cyrillic code page turns it mostly upper case.
    upper = len(_UPPER_CYRILLIC.findall(sample))
    return max(0.0, 1.0 - (odd + 0.5 * upper) / letters)


def decode_page(
    body: bytes, *, header_encoding: str | None = None, forced: str | None = None
) -> DecodedPage:
    if forced:
        return DecodedPage(body.decode(forced, errors="replace"), forced, ["encoding_forced"])
    content_type = f"text/html; charset={header_encoding}" if header_encoding else None
    encoding, text = html_to_unicode(content_type, body)
    if encoding.replace("-", "").lower() == "utf8" and "\ufffd" not in text:
        # Bytes that are valid UTF-8 throughout are practically never another encoding, but
        # they may be UTF-8 text that was decoded wrongly and encoded again ("Ð¿Ñ€Ð¸",
        # "РїСЂРё"): undo that, or flag it rather than store the mojibake.
        return _utf8_page(text, encoding)
    score = readability(text)
    if score >= 0.85:
        return DecodedPage(text, encoding)
    best, best_score = DecodedPage(text, encoding), score
    attempts: list[tuple[float, DecodedPage]] = []
    for candidate in CANDIDATES:
        try:
            attempt = body.decode(candidate)
        except UnicodeDecodeError:
            continue
        if candidate == "utf-8":
            as_utf8 = _utf8_page(attempt, candidate)
            attempts = [(0.0 if "encoding_suspect" in as_utf8.flags else 1.0, as_utf8)]
            break
        attempts.append((readability(attempt), DecodedPage(attempt, candidate)))
    if attempts:
        top_score, top = max(attempts, key=lambda pair: pair[0])
        if top_score > score + 0.05:
            best, best_score = top, top_score
    if best.encoding != encoding:
        best.flags.append(f"encoding_corrected:{encoding}->{best.encoding}")
    if best_score < 0.6:
        best.flags.append("encoding_suspect")
    return best


#: Code pages UTF-8 bytes are typically misread as before being encoded to UTF-8 again.
_DOUBLE_ENCODED_VIA = ("cp1252", "latin-1", "windows-1251", "koi8-r")
#: Lead characters of UTF-8 Cyrillic misread as Latin-1/cp1252 (Ð Ñ) or cp1251 (Р С).
_MOJIBAKE_LEADS = re.compile("[ÐÑ]|[РС](?=[\u0402-\u040f\u0452-\u045f\u0080-\u00bf\u2018-\u2122])")


def _utf8_page(text: str, encoding: str) -> DecodedPage:
    score = readability(text)
    if score >= 0.6:
        return DecodedPage(text, encoding)
    for via in _DOUBLE_ENCODED_VIA:
        try:
            repaired = text.encode(via).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if readability(repaired) >= max(0.85, score + 0.2):
            return DecodedPage(repaired, encoding, [f"encoding_corrected:double-encoded-{via}"])
    letters = len(_NOT_LETTERS.sub("", text[:_SAMPLE]))
    if letters and len(_MOJIBAKE_LEADS.findall(text[:_SAMPLE])) > 0.1 * letters:
        return DecodedPage(text, encoding, ["encoding_suspect"])
    return DecodedPage(text, encoding)
