"""Discovery documents (RSS 0.9x/1.0/2.0, Atom, sitemaps, news sitemaps) to item URLs.

Feeds go through feedparser, which copes with what real feeds do: an encoding declared only
in the XML prolog (windows-1251), a default namespace on ``<rss>``, CDATA titles wrapped in
whitespace, relative links. Sitemaps go through lxml with entities and network access off.
Control characters are removed before parsing (one of them made the document not
well-formed); then any document that declares entities is refused: no billion laughs, no
external files. One item's problem costs that item at most: a time no calendar holds is
ignored and flagged, an item that cannot be read at all is listed in ``failures``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_tz
from urllib.parse import urljoin

import feedparser
from feedparser.datetimes import _parse_date as _feedparser_date
from lxml import etree

from crawler.encoding import strip_control_bytes, strip_controls

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_SITEMAP_ROOT = re.compile(rb"<(?:\w+:)?(urlset|sitemapindex)\b")
_NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
#: News on the web begins here: an earlier time is a placeholder ("0001-01-01") or a typo, and
#: would only break the time arithmetic that follows (windows of hours around a statement).
EARLIEST_TIME = datetime(1995, 1, 1, tzinfo=UTC)
#: An item "updated" further ahead than this is not believed: it would be fetched again as an
#: edited article on every run.
_UPDATED_TOLERANCE = timedelta(hours=2)


class FeedError(ValueError):
    """The document is not a feed or sitemap we can read, or is refused as unsafe."""


class DateOutOfRange(ValueError):
    """A time that is no moment of news: not representable in UTC (year 1 at +14:00, year 9999
    at -14:00) or before ``EARLIEST_TIME``."""


def checked_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a zone-less one taken as UTC); DateOutOfRange when it is none."""
    try:
        utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (OverflowError, ValueError) as exc:
        raise DateOutOfRange(f"time out of range: {moment.isoformat()}") from exc
    if utc < EARLIEST_TIME:
        raise DateOutOfRange(f"time before {EARLIEST_TIME.year}: {moment.isoformat()}")
    return utc


def _from_struct(struct: tuple[int, ...]) -> datetime:
    """A UTC time struct (feedparser's ``*_parsed``) as a datetime; DateOutOfRange if none."""
    try:
        moment = datetime.fromtimestamp(calendar.timegm(struct), UTC)
    except (OverflowError, ValueError, OSError) as exc:
        raise DateOutOfRange(f"time out of range: {tuple(struct)[:6]}") from exc
    return checked_utc(moment)


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
    #: what was wrong with the item but did not stop it, for the stored article's flags
    #: (``feed_date_out_of_range``: its time was ignored)
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemFailure:
    """An item that could not be read at all: its link as given (or, without one, the feed's
    URL and the item's title after ``#item:``) and why."""

    url: str
    error: str


@dataclass
class Discovery:
    kind: str
    entries: list[FeedEntry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)


def cap_order(entries: list[FeedEntry], failed_before: Callable[[str], bool]) -> list[FeedEntry]:
    """The order a per-run cap takes items in: items not tried before ahead of those that
    failed before (``failed_before(url)``; retried up to three times in all), each newest
    first, undated ones ahead (nothing says they are old), else in document order. So a flood
    of failing items cannot keep a real one waiting for three times their number of runs; items
    that failed for good are skipped as known and count against no cap at all."""

    def order(entry: FeedEntry) -> tuple[bool, bool, float]:
        when = entry.published
        return failed_before(entry.url), when is not None, -when.timestamp() if when else 0.0

    return sorted(entries, key=order)


def _check_safe(body: bytes) -> None:
    # The whole document, not a prefix: a DOCTYPE may follow any amount of comment or
    # whitespace, and a prefix-only check is bypassed by padding the prolog.
    if b"\x00" in body[:200]:  # UTF-16 without a BOM check: compare after dropping NULs
        body = body.replace(b"\x00", b"")
    if _ENTITY_DECLARATION.search(body):
        raise FeedError("refused: the document declares XML entities (possible XML bomb or XXE)")


def _clean(text: str | None) -> str:
    return " ".join(strip_controls(text or "").split())


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
    Raises DateOutOfRange for a time that parses but is no moment of news (``checked_utc``).
    """
    if not value or not value.strip():
        return None, False
    value = _numeric_zone(value.strip())
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None:
        return checked_utc(parsed), parsed.tzinfo is None
    # The same lenient parser feeds get (``feedparser._parse_date`` does not exist: every
    # non-ISO sitemap time used to raise AttributeError and lose the whole sitemap).
    zoneless = bool(_ZONELESS_TIME.fullmatch(value))  # ends with the clock time: no zone
    struct = _feedparser_date(value)
    if struct is not None:
        return _from_struct(struct), zoneless
    rfc822 = parsedate_tz(value) if zoneless else None
    if rfc822 is not None:
        try:
            return checked_utc(datetime(*rfc822[:6])), True
        except ValueError as exc:  # day 31 of February, hour 25
            raise DateOutOfRange(f"not a date: {value}") from exc
    return None, False


def parse_discovery(
    body: bytes, url: str, kind: str = "auto", content_type: str | None = None
) -> Discovery:
    """Item URLs from one feed or sitemap document fetched from ``url``.

    The format is sniffed from the document; the registry's ``kind`` is only a hint, because
    outlets change formats without telling anyone.
    """
    # Before the entity check too: a control character inside "<!ENTITY" must not hide it.
    body = strip_control_bytes(body)
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
            # none given, or one feedparser could not resolve ("http://[::1/"): recorded under
            # the feed's URL and the item's title, so it is counted, and after the usual
            # attempts left alone, like a page that keeps failing
            title = _clean(entry.get("title") or entry.get("id"))
            discovery.failures.append(
                ItemFailure(f"{url}#item:{title[:200]}", f"item without a usable link: {title!r}")
            )
            continue
        try:
            discovery.entries.append(_feed_entry(entry, url, link, discovery.warnings))
        except Exception as exc:  # one item's problem costs that item, never the feed
            discovery.failures.append(ItemFailure(_clean(link), _describe(exc)))
    return discovery


def _feed_entry(
    entry: feedparser.FeedParserDict, url: str, link: str, warnings: list[str]
) -> FeedEntry:
    absolute = urljoin(url, link.strip())
    flags: list[str] = []
    try:
        published, without_zone = _parse_time_zoned(entry.get("published") or entry.get("updated"))
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        if published is None and when:
            published = _from_struct(when)
    except DateOutOfRange as exc:
        published, without_zone = None, False
        flags.append("feed_date_out_of_range")
        warnings.append(f"{absolute}: date ignored: {exc}")
    # the real <updated>, not feedparser's deprecated fallback to the published time
    updated_parsed = dict.get(entry, "updated_parsed")
    updated = None
    try:
        updated = _from_struct(updated_parsed) if updated_parsed else None
    except DateOutOfRange as exc:
        warnings.append(f"{absolute}: updated time ignored: {exc}")
    if updated is not None and updated > datetime.now(UTC) + _UPDATED_TOLERANCE:
        warnings.append(f"{absolute}: updated time in the future ignored: {updated.isoformat()}")
        updated = None
    return FeedEntry(
        url=absolute,
        title=_clean(entry.get("title")),
        published=published,
        published_without_zone=without_zone,
        updated=updated,
        flags=tuple(flags),
    )


def _describe(exc: Exception) -> str:
    return f"item skipped: {type(exc).__name__}: {exc}"[:500]


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
        try:  # one entry's problem costs that entry, never the sitemap
            if local == "sitemapindex":
                children.append((_child_text(node, "lastmod"), urljoin(url, loc)))
            else:
                discovery.entries.append(_sitemap_entry(node, url, loc, discovery))
        except Exception as exc:
            discovery.failures.append(ItemFailure(_clean(loc), _describe(exc)))
    # Newest child sitemaps first (ISO dates sort as text), so a crawl can take only the top few.
    children.sort(key=lambda child: child[0], reverse=True)
    discovery.sitemaps = [url for _, url in children]
    return discovery


def _sitemap_entry(node: etree._Element, url: str, loc: str, discovery: Discovery) -> FeedEntry:
    absolute = urljoin(url, loc)
    title = _child_text(node, "title", _NEWS_NS)
    when = _child_text(node, "publication_date", _NEWS_NS) or _child_text(node, "lastmod")
    if title:
        discovery.kind = "news-sitemap"
    flags: tuple[str, ...] = ()
    try:
        published, without_zone = _parse_time_zoned(when)
    except DateOutOfRange as exc:
        published, without_zone, flags = None, False, ("feed_date_out_of_range",)
        discovery.warnings.append(f"{absolute}: date ignored: {exc}")
    return FeedEntry(absolute, _clean(title), published, without_zone, flags=flags)


def _child_text(node: etree._Element, name: str, namespace: str | None = None) -> str:
    for child in node.iter():
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        if qname.localname == name and (namespace is None or qname.namespace == namespace):
            return (child.text or "").strip()
    return ""
