"""Which of our languages a text is in: ru, uk or en (or "und").

Declared languages (``<html lang>``, JSON-LD ``inLanguage``) are often wrong on multi-edition
sites, so the letters decide when they disagree: і/ї/є/ґ occur only in Ukrainian, ы/э/ъ/ё only
in Russian.
"""

from __future__ import annotations

import re

_UK_ONLY = set("іїєґІЇЄҐ")
_RU_ONLY = set("ыэъёЫЭЪЁ")
_DECLARED = re.compile(r"^\s*([a-zA-Z]{2})")


def _declared_code(declared: str | None) -> str | None:
    match = _DECLARED.match(declared or "")
    if not match:
        return None
    code = match.group(1).lower()
    return {"ua": "uk", "be": "be"}.get(code, code)


def detect_language(text: str, declared: str | None = None, hint: str | None = None) -> str:
    sample = text[:5000]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return _declared_code(declared) or hint or "und"
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    if cyrillic / len(letters) < 0.3:
        latin = sum(1 for c in letters if c.isascii())
        return "en" if latin / len(letters) > 0.6 else (_declared_code(declared) or "und")
    uk = sum(1 for c in sample if c in _UK_ONLY)
    ru = sum(1 for c in sample if c in _RU_ONLY)
    if uk > ru * 2 and uk >= 2:
        return "uk"
    if ru > uk * 2 and ru >= 2:
        return "ru"
    code = _declared_code(declared) or hint
    return code if code in ("ru", "uk") else "ru"
