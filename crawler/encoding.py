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

#: Characters no article or feed holds as text, which parsers choke on or which reach a
#: reader's terminal as commands: C0 controls but tab and line breaks, DEL, C1 controls
#: (U+0080–U+009F: CSI, NEL, …), the non-characters U+FFFE/U+FFFF, lone surrogates (from JSON
#: escapes), and the bidi embeddings, overrides and isolates that reorder what a reader sees.
#: CMS copy carries them; one of them made lxml and trafilatura lose a whole article.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)
#: Those of them that separate words (VT, FF, NEL) become a blank, not nothing.
_SEPARATORS = frozenset("\x0b\x0c\x85")
#: The same in the bytes of a document of unknown single-byte or ASCII-compatible encoding:
#: only C0 and DEL, since 0x80–0x9F are letters in windows-1251 and koi8.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_SEPARATOR_BYTES = re.compile(rb"[\x0b\x0c]")
_UTF_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

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


def strip_controls(text: str) -> str:
    """``text`` without the characters of ``_CONTROLS`` (VT, FF and NEL become a blank)."""
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(lambda m: " " if m.group() in _SEPARATORS else "", text)


def strip_control_bytes(body: bytes) -> bytes:
    """A feed or sitemap document without control characters, before it is parsed.

    One control character makes an XML document not well-formed, and a parser that recovers
    may drop the items after it. UTF-8 (most feeds) and UTF-16/32 with a byte-order mark are
    decoded and cleaned as text; any other encoding loses only its C0 and DEL bytes, which
    mean the same in every ASCII-compatible encoding. UTF-16 without a BOM is left as it is.
    """
    for bom, codec in _UTF_BOMS:
        if body.startswith(bom):
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                return body
            cleaned = strip_controls(text)
            return body if cleaned == text else cleaned.encode(codec)
    if b"\x00" in body[:200]:
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _CONTROL_BYTES.sub(b"", _SEPARATOR_BYTES.sub(b" ", body))
    cleaned = strip_controls(text)
    return body if cleaned == text else cleaned.encode("utf-8")
