"""The real-news set: labels in the project (``seeds/realnews``), texts outside it.

Real published articles may not be redistributed, so the project keeps only what we wrote
about each — URL, outlet, language, date, the search query that finds it again, a one-line
gist in our words, a hard-negative kind, and per statement its speaker, kind, recap, topic,
occasion, said date and the character offsets of its words in the text — never the text. The
texts live in a git-ignored folder (``data/realnews/texts/<id>.json``: url, outlet, lang,
date, query, text), fetched again by running each label's query. Loading joins the two into
the dev set's ``DevArticle``s, so ``peacewatch eval``'s scoring applies unchanged.

A third of the articles, chosen by their id (``int(id, 16) % 3 == 0``), is the test split:
rules are never tuned on it.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.extract import DEFAULT_DROP_LINES, clean_paragraphs
from scheduler.evaluation.devset import DevArticle, GoldStatement

HARD_KINDS = ("talk-no-statement", "other-topic", "recap-only", "other-negotiations")


@dataclass
class RealArticle:
    article: DevArticle
    id: str
    url: str
    outlet: str
    hard: str
    split: str  # dev | test


@dataclass
class RealSet:
    articles: list[RealArticle] = field(default_factory=list)
    #: labels whose text is not in the texts folder (fetch them again with their query)
    missing_texts: list[str] = field(default_factory=list)
    #: labels that do not fit their text (offsets outside it, a changed text): skipped
    problems: list[str] = field(default_factory=list)

    def select(self, split: str = "all", language: str = "") -> list[DevArticle]:
        return [
            a.article
            for a in self.articles
            if split in ("all", a.split) and language in ("", a.article.language)
        ]


def split_of(article_id: str) -> str:
    return "test" if int(article_id, 16) % 3 == 0 else "dev"


def _text(texts_dir: Path, article_id: str) -> dict[str, Any] | None:
    path = texts_dir / f"{article_id}.json"
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _published(value: Any) -> datetime | None:
    """The label's publication time; a bare date is read as noon UTC of that day."""
    if not value:
        return None
    when = datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        when = (
            when.replace(hour=12, tzinfo=UTC) if len(str(value)) <= 10 else when.replace(tzinfo=UTC)
        )
    return when


def _statements(path: Path, labels: dict[str, Any], text: str) -> list[GoldStatement]:
    found = []
    for number, entry in enumerate(labels.get("statements", []), 1):
        start, end = int(entry["start"]), int(entry["end"])
        if not 0 <= start < end <= len(text):
            raise ValueError(f"statement {number}: offsets {start}–{end} outside the text")
        found.append(
            GoldStatement(
                speaker=entry["speaker"],
                kind=entry["kind"],
                recap=bool(entry.get("recap", False)),
                about_peace_talks=bool(entry.get("about_peace_talks", False)),
                evidence=text[start:end],
                statement=entry.get("occasion") or f"{path.stem}#{number}",
            )
        )
    return found


def _headline(paragraphs: list[str]) -> str:
    """The page's headline, as the crawl takes it from the page's metadata: the first line of
    an excerpt (after its "date …" stamp) when it has no closing stop."""
    if not paragraphs:
        return ""
    first = re.sub(r"^date \d{4}-\d{2}-\d{2}\s*", "", paragraphs[0]).strip()
    return first if first and first[-1] not in ".!?…" and len(first) <= 200 else ""


def _unwrap(text: str) -> str:
    """Lines a page excerpt hard-wrapped inside a sentence ("…, заявил" / "замглавы МИД …")
    joined again: the crawl's extraction gives a paragraph whole."""
    lines = text.split("\n")
    joined = lines[:1]
    for line in lines[1:]:
        previous = joined[-1].rstrip()
        if previous and line[:1].islower() and previous[-1] not in '.!?…:;»"”)':
            joined[-1] = f"{previous} {line.lstrip()}"
        else:
            joined.append(line)
    return "\n".join(joined)


def load_realnews(labels_dir: Path, texts_dir: Path) -> RealSet:
    """Every labelled article whose text is at hand; the others are listed, not guessed."""
    found = RealSet()
    seen: set[str] = set()
    for path in sorted(labels_dir.glob("*/*.toml")):
        labels = tomllib.loads(path.read_text(encoding="utf-8"))
        article_id = labels["id"]
        if article_id in seen:
            found.problems.append(f"{path.name}: the same article as an earlier label")
            continue
        seen.add(article_id)
        data = _text(texts_dir, article_id)
        if data is None:
            found.missing_texts.append(f"{path.name} ({labels['url']})")
            continue
        if data.get("url") != labels["url"]:
            found.problems.append(f"{path.name}: the text file is of another URL")
            continue
        text = data["text"]
        try:
            statements = _statements(path, labels, text)
        except (KeyError, ValueError) as exc:
            found.problems.append(f"{path.name}: {exc}")
            continue
        hard = labels.get("hard", "")
        article = DevArticle(
            path=path,
            language=labels["language"],
            title=_headline(clean_paragraphs(_unwrap(text), DEFAULT_DROP_LINES)),
            published=_published(labels.get("published")),
            # as the crawl gives it to the analysis: a paragraph a line, boilerplate dropped
            # (the labels' evidence was read from the text as fetched, above)
            text="\n\n".join(clean_paragraphs(_unwrap(text), DEFAULT_DROP_LINES)),
            negative=bool(hard),
            statements=statements,
        )
        found.articles.append(
            RealArticle(
                article, article_id, labels["url"], labels["outlet"], hard, split_of(article_id)
            )
        )
    return found
