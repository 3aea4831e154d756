"""Reading one HTML or text file for ``peacewatch analyze``: text, language and date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from crawler.extract import DEFAULT_DROP_LINES, ExtractionError, clean_paragraphs, extract_article
from crawler.language import detect_language

_LEADING_DATE = re.compile(r"^\W*date\s+(\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)


@dataclass
class FileArticle:
    text: str
    language: str
    date: date


def read_article(path: Path, *, language: str | None, when: str | None) -> FileArticle:
    data = path.read_bytes()
    given = date.fromisoformat(when) if when else None
    if path.suffix.lower() in (".html", ".htm") or data.lstrip()[:1] == b"<":
        try:
            article = extract_article(data, path.resolve().as_uri(), fetched_at=datetime.now(UTC))
        except ExtractionError as exc:
            raise ValueError(f"{path}: {exc}") from exc
        return FileArticle(
            article.text, language or article.language, given or article.published_at.date()
        )
    text = data.decode("utf-8", errors="replace")
    leading = _LEADING_DATE.match(text)
    paragraphs = [
        " ".join(p for p in clean_paragraphs(block, DEFAULT_DROP_LINES))
        for block in re.split(r"\n\s*\n", text)
    ]
    body = "\n\n".join(p for p in paragraphs if p)
    found = date.fromisoformat(leading.group(1)) if leading else None
    return FileArticle(
        body, language or detect_language(body), given or found or datetime.now(UTC).date()
    )
