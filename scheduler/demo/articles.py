"""Reading the archive's article files (TOML front matter, then paragraphs)."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


class ArchiveError(ValueError):
    """An archive file is malformed; the message names the file."""


@dataclass
class ArchiveArticle:
    outlet: str
    slug: str
    title: str
    published: datetime
    day: int
    topic: str
    section: str
    blocks: list[str]
    updated: datetime | None = None
    author: str | None = None
    lead: str | None = None
    statements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def number(self) -> int:
        """A stable numeric id, as outlets put in their URLs."""
        digest = hashlib.sha1(f"{self.outlet}/{self.slug}".encode()).hexdigest()
        return 100000 + int(digest[:8], 16) % 900000


def _split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "+++":
        raise ArchiveError(f"{path}: missing +++ front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration as exc:
        raise ArchiveError(f"{path}: front matter is not closed by +++") from exc
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise ArchiveError(f"{path}: front matter is not valid TOML: {exc}") from exc
    return meta, "\n".join(lines[end + 1 :])


def _blocks(body: str) -> list[str]:
    blocks: list[str] = []
    current: list[str] = []
    for line in body.split("\n"):
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return blocks


def load_article(path: Path) -> ArchiveArticle:
    meta, body = _split_front_matter(path.read_text(encoding="utf-8"), path)
    if meta.get("body_file"):
        body = (path.parent / meta["body_file"]).read_text(encoding="utf-8")
    try:
        return ArchiveArticle(
            outlet=path.parent.name,
            slug=path.stem,
            title=meta["title"],
            published=datetime.fromisoformat(meta["published"]),
            day=int(meta["day"]),
            topic=meta.get("topic", "other"),
            section=meta.get("section", "news"),
            blocks=_blocks(body),
            updated=datetime.fromisoformat(meta["updated"]) if meta.get("updated") else None,
            author=meta.get("author"),
            lead=meta.get("lead"),
            statements=list(meta.get("statements", [])),
        )
    except (KeyError, ValueError) as exc:
        raise ArchiveError(f"{path}: {exc}") from exc


def load_archive(root: Path) -> list[ArchiveArticle]:
    """Every article under ``root/articles``, oldest first."""
    paths = sorted((root / "articles").glob("*/*.md"))
    if not paths:
        raise ArchiveError(f"no articles under {root / 'articles'}")
    return sorted((load_article(p) for p in paths), key=lambda a: (a.published, a.outlet, a.slug))
