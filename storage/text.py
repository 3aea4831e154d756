"""Text that is safe to show: no control characters and no bidi controls, in any output.

Scraped titles and texts are hostile input, and so is anything a page or a server said about
itself. Every output — the alert log, email subjects and bodies, the Atom feed, the command
line's tables, ``show`` and ``--json`` — passes what it prints through here, so none of them
carries a character that moves a terminal's cursor or changes its colours (ESC, CSI U+009B),
rings it (BEL), ends a line where a reader does not expect one, or silently reorders what a
reader sees (bidi overrides, the "Trojan Source" trick). Here, at the bottom of the import
graph, so every layer uses one definition.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 except tab and newline, DEL, and C1 (U+0080–U+009F: NEL, CSI and the rest).
CONTROL_CHARACTERS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
#: Bidi embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{CONTROL_CHARACTERS}{BIDI_CONTROLS}]")


def safe_text(text: str, replacement: str = "") -> str:
    """``text`` without control or bidi-control characters; newlines and tabs stay."""
    return _UNSAFE.sub(replacement, text)


def safe_line(text: str) -> str:
    """One line (a mail header, a table cell): every control character and line break a blank,
    runs of white space (Unicode line and paragraph separators too) one blank."""
    return " ".join(safe_text(text, " ").split())


def safe_data(value: Any) -> Any:
    """A JSON value with ``safe_text`` applied to every string in it, keys included."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_data(k): safe_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [safe_data(v) for v in value]
    return value
