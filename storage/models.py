"""Dataclasses passed between packages: what a source is, what an article is, what a crawl did.

They live here, at the bottom of the import graph, so crawler and scheduler share one definition.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FEED_KINDS = ("rss", "atom", "sitemap", "news-sitemap", "auto")


@dataclass(frozen=True)
class Feed:
    url: str
    kind: str = "auto"
    confirmed: str = "unconfirmed"


@dataclass(frozen=True)
class ExtractRules:
    """Per-source extraction overrides, applied on top of trafilatura's generic extraction."""

    prune_xpaths: tuple[str, ...] = ()
    drop_lines: tuple[str, ...] = ()
    text_xpath: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    language: str
    feeds: tuple[Feed, ...]
    country: str = ""
    homepage: str = ""
    enabled: bool = True
    interval_minutes: float = 15
    extract: ExtractRules = field(default_factory=ExtractRules)
    #: hosts ("host" or "host:port") the crawl may request besides its feeds' and homepage's
    allowed_hosts: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Source:
        extract = data.get("extract") or {}
        return cls(
            id=data["id"],
            name=data["name"],
            language=data["language"],
            feeds=tuple(Feed(**feed) for feed in data.get("feeds", ())),
            country=data.get("country", ""),
            homepage=data.get("homepage", ""),
            enabled=data.get("enabled", True),
            interval_minutes=data.get("interval_minutes", 15),
            extract=ExtractRules(
                prune_xpaths=tuple(extract.get("prune_xpaths", ())),
                drop_lines=tuple(extract.get("drop_lines", ())),
                text_xpath=extract.get("text_xpath"),
                encoding=extract.get("encoding"),
            ),
            allowed_hosts=tuple(data.get("allowed_hosts", ())),
        )


@dataclass
class Article:
    """One fetched news page, ready to store. Times are ISO 8601 in UTC."""

    url: str
    fetched_url: str
    source_id: str
    title: str
    published_at: str
    published_from: str
    language: str
    text: str
    content_hash: str
    fetched_at: str
    author: str | None = None
    updated_at: str | None = None
    encoding: str | None = None
    flags: tuple[str, ...] = ()
    #: a stored article fetched again because its feed says it changed (not a column)
    revision: bool = False


@dataclass
class SourceRunStats:
    """What one crawl did for one source; the run table's row for it."""

    source_id: str
    status: str = "ok"
    requests: int = 0
    not_modified: int = 0
    feeds_ok: int = 0
    feeds_failed: int = 0
    items_seen: int = 0
    skipped_known: int = 0
    articles_new: int = 0
    reports: int = 0
    statements_new: int = 0
    pages_failed: int = 0
    #: requests not made because they would leave the source's own hosts (crawler/scope.py)
    refused_offsite: int = 0
    errors: int = 0
    error_text: str | None = None
    deferred_until: str | None = None
    duration_s: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass
class Report:
    """One article's rendering of one utterance (DESIGN §2), with offsets into the text."""

    speaker: str
    speaker_as_written: str
    kind: str  # direct | indirect
    text: str
    recap: bool
    about_peace_talks: bool
    topic_score: float
    topic_concepts: list[str]
    topic_terms: list[str]
    start: int
    end: int
    speaker_resolution: str = "name"  # name | role | pronoun | unknown | continued
    # language-independent claim features for the diff (crawler/analysis/claims.py)
    entities: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    stems: list[str] = field(default_factory=list)
    # when the words were said, as the attribution dates them (ISO date), and those words
    said_on: str | None = None
    said_evidence: str = ""
    # the sentence encoder's vector (float16 bytes), when the encoder ran
    embedding: bytes | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("embedding")
        return data

    def claim_json(self) -> dict[str, list[str]]:
        return {"entities": self.entities, "numbers": self.numbers, "stems": self.stems}
