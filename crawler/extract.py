"""Article pages to articles: text, title, author, dates and language.

Pure: bytes or text in, an ``ExtractedArticle`` out; no Scrapy, no database. trafilatura does
the generic main-text extraction; JSON-LD and meta tags are read first for the dates because
they carry the time zone; per-source rules prune nodes and drop boilerplate paragraphs.
Control characters are removed from the page before parsing and from every extracted field
(JSON-LD escapes bring them back); a time no calendar holds is ignored and flagged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import trafilatura
from lxml import etree, html

from crawler.encoding import decode_page, strip_controls
from crawler.feeds import DateOutOfRange, checked_utc
from crawler.language import detect_language
from storage.models import ExtractRules

#: Paragraphs outlets put inside article bodies that are not article text (DESIGN §4.3).
DEFAULT_DROP_LINES: tuple[str, ...] = (
    "Видео дня",
    "Відео дня",
    "Читайте также",
    "Читайте також",
    "Читай також",
    "Смотрите также",
    "Дивіться також",
    "Вас также могут заинтересовать новости",
    "Вас також можуть зацікавити новини",
    "Подписывайтесь на",
    "Підписуйтесь на",
    "Read also",
    "Read more",
    "See also",
    "Related:",
    "Реклама",
)
#: Published times further ahead than this are not believed (clock skew allowance).
FUTURE_TOLERANCE = timedelta(hours=2)
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "pubdate",
    "publishdate",
    "date",
    "dc.date",
    "dc.date.issued",
)
_MODIFIED_META = ("article:modified_time", "og:updated_time", "dateModified", "lastmod")


class ExtractionError(ValueError):
    """The page holds no article text we can use; the message says why."""


@dataclass
class ExtractedArticle:
    title: str
    text: str
    language: str
    published_at: datetime
    published_from: str
    updated_at: datetime | None = None
    author: str | None = None
    flags: list[str] = field(default_factory=list)
    #: The encoding the text was actually decoded from (None when given text, not bytes).
    encoding: str | None = None


def _iso_to_utc(value: Any, flags: list[str] | None = None) -> tuple[datetime, bool] | None:
    """Parse an ISO 8601 time; the flag says whether it carried a zone (zone-less → UTC).

    A time that parses but is no moment of news (year 9999 at -14:00 is past the calendar in
    UTC, year 1 is before the web) is None, and ``date_out_of_range`` is added to ``flags``.
    """
    value = _first_text(value)
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    if re.fullmatch(r".*[+-]\d{4}", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
        return checked_utc(parsed), parsed.tzinfo is not None
    except DateOutOfRange:
        if flags is not None and "date_out_of_range" not in flags:
            flags.append("date_out_of_range")
        return None
    except ValueError:
        return None


def _first_text(value: Any, depth: int = 0) -> str:
    """A JSON-LD value as text: a string as it is, the first string of a list, an object's
    ``@value`` or ``name``; anything else (numbers aside) is no text."""
    if isinstance(value, str):
        return " ".join(strip_controls(value).split())
    if isinstance(value, bool) or value is None or depth > 4:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        for item in value:
            text = _first_text(item, depth + 1)
            if text:
                return text
        return ""
    if isinstance(value, dict):
        return _first_text(value.get("@value") or value.get("name"), depth + 1)
    return ""


def _json_ld_objects(tree: html.HtmlElement) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "null")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                stack.extend(v for k, v in item.items() if k == "@graph")
    return found


def _meta(tree: html.HtmlElement, names: tuple[str, ...]) -> str | None:
    wanted = {n.lower() for n in names}
    for node in tree.iter("meta", "time"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").lower()
        if key in wanted:
            value = node.get("content") or node.get("datetime")
            if value:
                return value
    return None


def _structured_times(tree: html.HtmlElement) -> dict[str, Any]:
    """Times, title and author from JSON-LD first, then meta tags."""
    result: dict[str, Any] = {}
    for obj in _json_ld_objects(tree):
        kind = obj.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(isinstance(k, str) and k.endswith(("Article", "Posting")) for k in kinds):
            continue
        result.setdefault("published", obj.get("datePublished"))
        result.setdefault("modified", obj.get("dateModified"))
        # a list of headlines (["a", "b"]) or an object is the first text in it, not its repr
        result.setdefault("headline", _first_text(obj.get("headline")))
        result.setdefault("author", _first_text(obj.get("author")))
        result.setdefault("language", _first_text(obj.get("inLanguage")))
    result["published_meta"] = _meta(tree, _PUBLISHED_META)
    result["modified_meta"] = _meta(tree, _MODIFIED_META)
    if not result.get("headline"):
        result["headline"] = _meta(tree, ("og:title", "twitter:title"))
    if not result.get("author"):
        result["author"] = _meta(tree, ("author", "article:author"))
    return result


def _matches_drop_line(paragraph: str, rules: tuple[str, ...]) -> bool:
    lowered = paragraph.strip().lower()
    for rule in rules:
        if rule.startswith("re:"):
            if re.search(rule[3:], paragraph.strip(), re.IGNORECASE):
                return True
        elif lowered.startswith(rule.lower()):
            return True
    return False


def clean_paragraphs(text: str, drop_lines: tuple[str, ...]) -> list[str]:
    """Split extracted text into paragraphs and drop boilerplate ones."""
    paragraphs = [" ".join(line.split()) for line in text.splitlines()]
    return [p for p in paragraphs if p and not _matches_drop_line(p, drop_lines)]


def _text_by_xpath(tree: html.HtmlElement, xpath: str) -> str:
    nodes = tree.xpath(xpath)
    parts: list[str] = []
    for node in nodes:
        for block in node.xpath(".//p|.//h2|.//h3|.//li|.//blockquote") or [node]:
            parts.append(block.text_content())
    return "\n".join(parts)


def extract_article(
    page: str | bytes,
    url: str,
    *,
    rules: ExtractRules | None = None,
    fetched_at: datetime,
    feed_published: datetime | None = None,
    feed_published_without_zone: bool = False,
    feed_title: str | None = None,
    header_encoding: str | None = None,
    language_hint: str | None = None,
) -> ExtractedArticle:
    """Extract one article page fetched from ``url`` at ``fetched_at``."""
    rules = rules or ExtractRules()
    flags: list[str] = []
    encoding: str | None = None
    if isinstance(page, bytes):
        decoded = decode_page(page, header_encoding=header_encoding, forced=rules.encoding)
        page = decoded.text
        encoding = decoded.encoding
        flags.extend(decoded.flags)
    if "\ufffd" in page[:200000]:
        flags.append("replacement_characters")
    # One control character (U+0001, U+FFFF, …) makes lxml or trafilatura lose the whole text.
    page = strip_controls(page)
    parser = html.HTMLParser()
    try:
        tree = html.fromstring(page, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"not an HTML page: {exc}") from exc
    for xpath in rules.prune_xpaths:
        for node in tree.xpath(xpath):
            node.getparent().remove(node)
    structured = _structured_times(tree)

    # trafilatura's own metadata pass is only needed when the page's structured data lacks a
    # title, an author or a time; "fast" skips the fallback extractors, no worse on the
    # extraction benchmark (BENCHMARKS.md) and a third quicker.
    needs_metadata = not (
        structured.get("headline")
        and structured.get("author")
        and (structured.get("published") or structured.get("published_meta"))
    )
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=True,
        with_metadata=needs_metadata,
        include_comments=False,
        include_tables=False,
        deduplicate=False,
        # No extensive search: a year in a copyright footer is not a publication date.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    metadata: dict[str, Any] = {}
    if isinstance(document, dict):
        metadata = document
    elif document is not None:
        metadata = document.as_dict()
    raw_text = _text_by_xpath(tree, rules.text_xpath) if rules.text_xpath else ""
    raw_text = strip_controls(raw_text or metadata.get("text") or "")
    title = _first_text(structured.get("headline") or metadata.get("title") or feed_title)
    paragraphs = clean_paragraphs(raw_text, DEFAULT_DROP_LINES + rules.drop_lines)
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    text = "\n\n".join(paragraphs)
    if len(text) < 80:
        # libxml2 stops at 256 nested elements and drops the rest of the page: say so, since
        # "no text" alone is misleading for a page whose text sits below that depth.
        too_deep = [e.message for e in parser.error_log if "Excessive depth" in e.message]
        reason = f"; the page was cut off: {too_deep[0]}" if too_deep else ""
        raise ExtractionError(f"no article text found ({len(text)} characters){reason}")
    if not title:
        title = paragraphs[0][:200]

    published, published_from = _choose_published(
        structured, metadata, feed_published, fetched_at, flags, feed_published_without_zone
    )
    updated = None
    for candidate in (structured.get("modified"), structured.get("modified_meta")):
        parsed = _iso_to_utc(candidate, flags)
        if parsed:
            updated = parsed[0]
            break
    declared_language = (
        structured.get("language") or tree.get("lang") or _meta(tree, ("og:locale",)) or ""
    )
    language = detect_language(text, declared=str(declared_language), hint=language_hint)
    author = _first_text(structured.get("author") or metadata.get("author"))
    return ExtractedArticle(
        title=title,
        text=text,
        language=language,
        published_at=published,
        published_from=published_from,
        updated_at=updated,
        author=author or None,
        flags=flags,
        encoding=encoding,
    )


def _choose_published(
    structured: dict[str, Any],
    metadata: dict[str, Any],
    feed_published: datetime | None,
    fetched_at: datetime,
    flags: list[str],
    feed_published_without_zone: bool = False,
) -> tuple[datetime, str]:
    candidates: list[tuple[Any, str]] = [
        (structured.get("published"), "json-ld"),
        (structured.get("published_meta"), "meta"),
    ]
    chosen: tuple[datetime, str] | None = None
    for value, origin in candidates:
        parsed = _iso_to_utc(value, flags)
        if parsed:
            if not parsed[1]:
                flags.append("date_without_zone")
            chosen = (parsed[0], origin)
            break
    if chosen is None and feed_published is not None:
        try:
            chosen = (checked_utc(feed_published), "feed")
        except DateOutOfRange:
            flags.append("feed_date_out_of_range")
        else:
            if feed_published_without_zone or feed_published.tzinfo is None:
                flags.append("date_without_zone")
    if chosen is None and metadata.get("date"):
        parsed = _iso_to_utc(str(metadata["date"]), flags)
        if parsed:
            flags.append("date_day_only")
            chosen = (parsed[0], "htmldate")
    if chosen is None:
        flags.append("date_missing")
        return fetched_at, "fetched"
    if chosen[0] > fetched_at + FUTURE_TOLERANCE:
        flags.append("date_in_future")
        return fetched_at, "fetched"
    return chosen
