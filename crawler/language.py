"""Which of our languages a text is in: ru, uk or en (or "und").

Declared languages (``<html lang>``, JSON-LD ``inLanguage``) are often wrong on multi-edition
sites, so the letters decide when they disagree: і/ї/є/ґ occur only in Ukrainian, ы/э/ъ/ё only
in Russian.
"""

from __future__ import annotations

import re

_UK_ONLY = re.compile("[іїєґІЇЄҐ]")
_RU_ONLY = re.compile("[ыэъёЫЭЪЁ]")
_LETTER = re.compile(r"[^\W\d_]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN = re.compile("[A-Za-z]")
_DECLARED = re.compile(r"^\s*([a-zA-Z]{2})")


def _declared_code(declared: str | None) -> str | None:
    match = _DECLARED.match(declared or "")
    if not match:
        return None
    code = match.group(1).lower()
    return {"ua": "uk", "be": "be"}.get(code, code)


def detect_language(text: str, declared: str | None = None, hint: str | None = None) -> str:
    sample = text[:5000]
    letters = len(_LETTER.findall(sample))
    if not letters:
        return _declared_code(declared) or hint or "und"
    if len(_CYRILLIC.findall(sample)) / letters < 0.3:
        latin = len(_LATIN.findall(sample))
        return "en" if latin / letters > 0.6 else (_declared_code(declared) or "und")
    uk = len(_UK_ONLY.findall(sample))
    ru = len(_RU_ONLY.findall(sample))
    if uk > ru * 2 and uk >= 2:
        return "uk"
    if ru > uk * 2 and ru >= 2:
        return "ru"
    code = _declared_code(declared) or hint
    return code if code in ("ru", "uk") else "ru"
