"""Discovery documents (RSS 0.9x/1.0/2.0, Atom, sitemaps, news sitemaps) to item URLs.

Feeds go through feedparser, which copes with what real feeds do: an encoding declared only
in the XML prolog (windows-1251), a default namespace on ``<rss>``, CDATA titles wrapped in
whitespace, relative links. Sitemaps go through lxml with entities and network access off.
Any document that declares entities is refused first: no billion laughs, no external files.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_tz
from urllib.parse import urljoin

import feedparser
from feedparser.datetimes import _parse_date as _feedparser_date
from lxml import etree

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_SITEMAP_ROOT = re.compile(rb"<(?:\w+:)?(urlset|sitemapindex)\b")
_NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


class FeedError(ValueError):
    """The document is not a feed or sitemap we can read, or is refused as unsafe."""


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str = ""
    published: datetime | None = None
    #: The feed's time carried no zone and was taken as UTC (flagged ``date_without_zone``).
    published_without_zone: bool = False
    #: When the feed says the item last changed (Atom ``updated``, RSS/RDF modified dates):
    #: an article edited after we stored it is fetched again.
    updated: datetime | None = None


@dataclass
class Discovery:
    kind: str
    entries: list[FeedEntry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _check_safe(body: bytes) -> None:
    # The whole document, not a prefix: a DOCTYPE may follow any amount of comment or
    # whitespace, and a prefix-only check is bypassed by padding the prolog.
    if b"\x00" in body[:200]:  # UTF-16 without a BOM check: compare after dropping NULs
        body = body.replace(b"\x00", b"")
    if _ENTITY_DECLARATION.search(body):
        raise FeedError("refused: the document declares XML entities (possible XML bomb or XXE)")


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


_ZONELESS_TIME = re.compile(
    r"(?:\d{4}-\d\d-\d\d[T ]|.*\s)\d\d?:\d\d(?::\d\d(?:\.\d+)?)?", re.IGNORECASE
)


def _parse_time(value: str | None) -> datetime | None:
    return _parse_time_zoned(value)[0]


#: Zone names Russian, Ukrainian and European feeds put after an RFC 822 time, which the
#: parsers do not know (feedparser reads "MSK" as UTC: three hours off).
_ZONE_NAMES = {
    "MSK": "+0300",
    "MSD": "+0400",
    "EET": "+0200",
    "EEST": "+0300",
    "CET": "+0100",
    "CEST": "+0200",
}
_TRAILING_ZONE_NAME = re.compile(r"\s([A-Z]{3,4})$")


def _numeric_zone(value: str) -> str:
    match = _TRAILING_ZONE_NAME.search(value)
    if match and match.group(1) in _ZONE_NAMES:
        return value[: match.start(1)] + _ZONE_NAMES[match.group(1)]
    return value


def _parse_time_zoned(value: str | None) -> tuple[datetime | None, bool]:
    """A feed or sitemap time in UTC, and whether it lacked a zone (then taken as UTC).

    ISO 8601 and RFC 822 are read here, so that a time without a zone is noticed (feedparser
    drops an RFC 822 time without one); anything else goes to feedparser's lenient parser.
    """
    if not value or not value.strip():
        return None, False
    value = _numeric_zone(value.strip())
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None:
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC), True
        return parsed.astimezone(UTC), False
    # The same lenient parser feeds get (``feedparser._parse_date`` does not exist: every
    # non-ISO sitemap time used to raise AttributeError and lose the whole sitemap).
    zoneless = bool(_ZONELESS_TIME.fullmatch(value))  # ends with the clock time: no zone
    struct = _feedparser_date(value)
    if struct is not None:
        return datetime.fromtimestamp(calendar.timegm(struct), UTC), zoneless
    rfc822 = parsedate_tz(value) if zoneless else None
    if rfc822 is not None:
        return datetime(*rfc822[:6], tzinfo=UTC), True
    return None, False


def parse_discovery(
    body: bytes, url: str, kind: str = "auto", content_type: str | None = None
) -> Discovery:
    """Item URLs from one feed or sitemap document fetched from ``url``.

    The format is sniffed from the document; the registry's ``kind`` is only a hint, because
    outlets change formats without telling anyone.
    """
    if not body.strip():
        raise FeedError("empty document")
    _check_safe(body)
    root = _SITEMAP_ROOT.search(body[:4096])
    if root or (kind in ("sitemap", "news-sitemap") and b"<rss" not in body[:4096]):
        return _parse_sitemap(body, url)
    return _parse_feed(body, url, content_type or "application/xml")


def _parse_feed(body: bytes, url: str, content_type: str) -> Discovery:
    parsed = feedparser.parse(
        body,
        response_headers={"content-location": url, "content-type": content_type},
        resolve_relative_uris=True,
    )
    if not parsed.version and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no feed elements found"
        raise FeedError(f"not an RSS/Atom feed: {reason}")
    discovery = Discovery(kind=parsed.version or "feed")
    if parsed.bozo:
        discovery.warnings.append(f"feed is not well-formed: {parsed.bozo_exception}")
    for entry in parsed.entries:
        link = entry.get("link") or _guid_link(entry)
        if not link:
            discovery.warnings.append(f"item without a link: {_clean(entry.get('title'))[:80]}")
            continue
        published, without_zone = _parse_time_zoned(entry.get("published") or entry.get("updated"))
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        if published is None and when:
            published = datetime.fromtimestamp(calendar.timegm(when), UTC)
        # the real <updated>, not feedparser's deprecated fallback to the published time
        updated_parsed = dict.get(entry, "updated_parsed")
        discovery.entries.append(
            FeedEntry(
                url=urljoin(url, link.strip()),
                title=_clean(entry.get("title")),
                published=published,
                published_without_zone=without_zone,
                updated=(
                    datetime.fromtimestamp(calendar.timegm(updated_parsed), UTC)
                    if updated_parsed
                    else None
                ),
            )
        )
    return discovery


def _guid_link(entry: feedparser.FeedParserDict) -> str | None:
    guid = entry.get("id") or ""
    return guid if guid.startswith(("http://", "https://", "/")) else None


def _parse_sitemap(body: bytes, url: str) -> Discovery:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=True, remove_comments=True
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not a sitemap: {exc}") from exc
    if root is None:
        raise FeedError("not a sitemap: no root element")
    local = etree.QName(root).localname
    if local not in ("urlset", "sitemapindex"):
        raise FeedError(f"not a sitemap: root element is <{local}>")
    discovery = Discovery(kind="sitemapindex" if local == "sitemapindex" else "sitemap")
    children: list[tuple[str, str]] = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        loc = _child_text(node, "loc")
        if not loc:
            continue
        absolute = urljoin(url, loc)
        if local == "sitemapindex":
            children.append((_child_text(node, "lastmod"), absolute))
            continue
        title = _child_text(node, "title", _NEWS_NS)
        when = _child_text(node, "publication_date", _NEWS_NS) or _child_text(node, "lastmod")
        if title:
            discovery.kind = "news-sitemap"
        published, without_zone = _parse_time_zoned(when)
        discovery.entries.append(FeedEntry(absolute, _clean(title), published, without_zone))
    # Newest child sitemaps first (ISO dates sort as text), so a crawl can take only the top few.
    children.sort(key=lambda child: child[0], reverse=True)
    discovery.sitemaps = [url for _, url in children]
    return discovery


def _child_text(node: etree._Element, name: str, namespace: str | None = None) -> str:
    for child in node.iter():
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        if qname.localname == name and (namespace is None or qname.namespace == namespace):
            return (child.text or "").strip()
    return ""
