"""The type and range of every value in ``peacewatch.toml`` and in a source registry, and the
per-source extraction rules compiled once when the configuration loads.

``scheduler.config`` calls these and adds the file and line. Every message names the key (and,
for a registry entry, the source); a value is shown shortened, so a huge or deeply nested one
never floods the terminal.
"""

from __future__ import annotations

import codecs
import math
import re
import reprlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scheduler.settings import ConfigError
from storage.models import ExtractRules

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
#: the longest interval, in minutes: a year and a day
YEAR_MINUTES = 366 * 24 * 60

_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = 4
_SHORT.maxlevel = 2


def shown(value: Any) -> str:
    """A value as a message shows it: repr, shortened."""
    return _SHORT.repr(value)


def line_of(text: str, key: str) -> str:
    """ " (line N)" for the first line of ``text`` that sets or opens ``key``, else ""."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(("[", f"{key} ", f"{key}=", f'"{key}"')) and (
            not stripped.startswith("[") or stripped.strip("[]").split(".")[-1].strip() == key
        ):
            return f" (line {number})"
    return ""


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def merge_settings(
    base: dict[str, Any], override: dict[str, Any], where: str, text: str = ""
) -> dict[str, Any]:
    """``override`` (a config file) over ``base`` (the defaults): no unknown key, every value of
    its default's kind; messages name the key and its line in ``text``."""
    merged = dict(base)
    for key, value in override.items():
        if key not in base:
            raise ConfigError(f"{where}: unknown setting {shown(key)}{line_of(text, key)}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: [{key}] must be a table{line_of(text, key)}")
            merged[key] = merge_settings(base[key], value, f"{where} [{key}]", text)
        elif not _same_kind(base[key], value):
            raise ConfigError(
                f"{where}: {key} must be {_type_name(base[key])}, not {shown(value)}"
                f"{line_of(text, key)}"
            )
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class Number:
    """A finite number from ``low`` to ``high`` (``low`` itself excluded when ``positive``)."""

    low: float
    high: float
    whole: bool = False
    positive: bool = False

    def describe(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        low, high = _number(self.low), _number(self.high)
        if self.positive:
            return f"{kind} greater than {low} and at most {high}"
        return f"{kind} from {low} to {high}"

    def check(self, value: Any, name: str) -> None:
        wrong_type = isinstance(value, bool) or not isinstance(value, int | float)
        if (
            wrong_type
            or (self.whole and not isinstance(value, int))
            or not math.isfinite(value)
            or not self.low <= value <= self.high
            or (self.positive and value == self.low)
        ):
            raise ConfigError(f"{name} must be {self.describe()}, not {shown(value)}")


def _number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


def _positive(high: float, whole: bool = False) -> Number:
    return Number(0, high, whole=whole, positive=True)


def _count(low: int, high: int) -> Number:
    return Number(low, high, whole=True)


#: every number a config may set, by section: what it must be
#: a channel's filter (DESIGN §7)
CHANNEL_FILTER_RANGES = {
    "min_outlets": _count(1, 1000),
    "min_topic_score": Number(0, 1000),
    "max_per_cycle": _count(0, 100_000),
}

NUMBERS: dict[str, dict[str, Number]] = {
    "storage": {"busy_timeout_seconds": _positive(DAY)},
    "crawl": {
        "timeout_seconds": _positive(WEEK),
        "stop_grace_seconds": _positive(HOUR),
        "download_timeout_seconds": _positive(HOUR),
        "scrapyd_poll_seconds": _positive(HOUR),
        "scrapyd_request_timeout_seconds": _positive(HOUR),
        "scrapyd_known_days": _positive(400),
        "max_page_bytes": _count(1, 1024**3),  # 0 would switch Scrapy's size limit off
        "max_articles_per_source": _count(1, 1_000_000),
        "concurrent_requests_per_site": _count(1, 100),
        "download_delay_seconds": Number(0, HOUR),
        "retry_times": _count(0, 100),
        "retry_backoff_seconds": Number(0, HOUR),
        "retry_after_max_wait_seconds": Number(0, DAY),
    },
    "analysis": {"topic_threshold": Number(-1e6, 1e6)},
    "schedule": {
        "default_interval_minutes": _positive(YEAR_MINUTES),
        "min_interval_minutes": _positive(YEAR_MINUTES),
        "alert_retry_minutes": _positive(YEAR_MINUTES),
        "misfire_grace_seconds": Number(0, WEEK),
        "lock_wait_seconds": Number(0, DAY),
    },
    "health": {
        "failing_after_failed_runs": _count(1, 10_000),
        "baseline_runs": _count(1, 10_000),
        "usual_items": Number(0, 1e9),
        "extraction_failure_share": Number(0, 1),
        "min_pages_for_extraction": _count(0, 1_000_000_000),
    },
    "diff": {
        "window_hours": _positive(10 * 366 * 24),
        "recap_window_days": _positive(10 * 366),
        "match_threshold": Number(0, 1),
        "background_after_days": Number(0, 10 * 366),
        "occasion_hours": Number(0, 31 * 24),
    },
    "alerts": {
        "max_attempts": _count(1, 10_000),
        "retry_backoff_seconds": Number(0, DAY),
        "atom_entries": _count(1, 100_000),
        "delivery_budget_seconds": _positive(DAY),
        "max_immediate_per_cycle": _count(0, 100_000),
        "max_resends": _count(0, 100),
    },
    "alerts.email": {
        "port": _count(1, 65535),
        "timeout_seconds": _positive(HOUR),
        **CHANNEL_FILTER_RANGES,
    },
    "alerts.chat": {"timeout_seconds": _positive(HOUR), **CHANNEL_FILTER_RANGES},
    "alerts.log": CHANNEL_FILTER_RANGES,
    "alerts.atom": {"keep_days": _positive(3650)},
}
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _check_text(value: Any, name: str) -> None:
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, not {shown(value)}")
    if _CONTROL.search(value):
        raise ConfigError(f"{name} must not contain control characters: {shown(value)}")


def check_settings(data: dict[str, Any], section: str = "") -> None:
    """Every value of a merged config (its kinds already match the defaults')."""
    for key, value in data.items():
        where = f"{section}.{key}" if section else key
        name = f"[{section}] {key}"
        if isinstance(value, dict):
            check_settings(value, where)
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int | float):
            rule = NUMBERS.get(section, {}).get(key)
            if rule is None:
                raise ConfigError(f"{name}: no range known for this number")
            rule.check(value, name)
        elif isinstance(value, list):
            for item in value:
                _check_text(item, f"{name} (each entry)")
        else:
            _check_text(value, name)
    if section == "storage" and not data["path"]:
        raise ConfigError("[storage] path must name the database file, not be empty")
    if section == "crawl" and data["log_level"] not in LOG_LEVELS:
        raise ConfigError(
            f"[crawl] log_level must be one of {', '.join(LOG_LEVELS)}, "
            f"not {shown(data['log_level'])}"
        )


# --- the source registry --------------------------------------------------------------------

SOURCE_KEYS = frozenset(
    {
        "id",
        "name",
        "language",
        "feeds",
        "country",
        "homepage",
        "enabled",
        "interval_minutes",
        "extract",
        "allowed_hosts",
    }
)
FEED_KEYS = frozenset({"url", "kind", "confirmed"})
EXTRACT_KEYS = frozenset({"prune_xpaths", "drop_lines", "text_xpath", "encoding"})
SOURCE_ID = re.compile(r"[\w.-]{1,100}")
INTERVAL = _positive(YEAR_MINUTES)


def source_where(path: Any, index: int, entry: Any) -> str:
    """How messages name a registry entry: the file, its place and its id."""
    given = entry.get("id", "?") if isinstance(entry, dict) else "?"
    return f"{path}: source #{index} ({given if isinstance(given, str) else shown(given)})"


def check_source(entry: Any, where: str) -> None:
    """The types of one registry entry, before anything reads it."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each [[sources]] entry must be a table, not {shown(entry)}")
    unknown = sorted(set(entry) - SOURCE_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {unknown} (known: {', '.join(sorted(SOURCE_KEYS))})"
        )
    for key in ("id", "name", "language", "feeds"):
        if key not in entry:
            raise ConfigError(f"{where}: missing {key!r}")
    for key in ("id", "name", "language", "country", "homepage"):
        if key in entry:
            _check_text(entry[key], f"{where}: {key}")
    if not SOURCE_ID.fullmatch(entry["id"]):
        raise ConfigError(
            f"{where}: id must be letters, digits, '.', '_' or '-' (at most 100), "
            f"not {shown(entry['id'])}"
        )
    if not entry["name"].strip():
        raise ConfigError(f"{where}: name must not be empty")
    if entry.get("homepage"):
        check_http_url(entry["homepage"], f"{where}: homepage")
    if not isinstance(entry.get("enabled", True), bool):
        raise ConfigError(f"{where}: enabled must be true or false, not {shown(entry['enabled'])}")
    if "interval_minutes" in entry:
        INTERVAL.check(entry["interval_minutes"], f"{where}: interval_minutes")
    feeds = entry["feeds"]
    if not isinstance(feeds, list):
        raise ConfigError(f"{where}: feeds must be a list of URLs or tables, not {shown(feeds)}")
    for feed in feeds:
        _check_feed(feed, where)


def _check_feed(feed: Any, where: str) -> None:
    if isinstance(feed, str):
        feed = {"url": feed}
    if not isinstance(feed, dict):
        raise ConfigError(f"{where}: each feed must be a URL or a table, not {shown(feed)}")
    unknown = sorted(set(feed) - FEED_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown feed keys {unknown} (known: url, kind, confirmed)")
    for key in ("url", "kind", "confirmed"):
        if key in feed:
            _check_text(feed[key], f"{where}: feed {key}")
    check_http_url(feed.get("url", ""), f"{where}: feed URL")


def check_http_url(url: Any, name: str) -> None:
    """An absolute http(s) URL with a host and a valid port, or ConfigError naming it."""
    _check_text(url, name)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise ConfigError(f"{name} {shown(url)} is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
        raise ConfigError(f"{name} {shown(url)} is not an http(s) URL")


def extract_rules(extract: Any, where: str) -> ExtractRules:
    """A source's ``[sources.extract]`` table, each rule compiled: a rule that would fail on
    every page of the source fails here, at load, instead."""
    if not isinstance(extract, dict):
        raise ConfigError(f"{where}: extract must be a table, not {shown(extract)}")
    unknown = set(extract) - EXTRACT_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown extract keys {sorted(unknown)}")
    prune = _text_list(extract.get("prune_xpaths", []), f"{where}: extract.prune_xpaths")
    for xpath in prune:
        _check_xpath(xpath, f"{where}: extract.prune_xpaths")
    drop_lines = _text_list(extract.get("drop_lines", []), f"{where}: extract.drop_lines")
    for rule in drop_lines:
        if rule.startswith("re:"):
            try:
                re.compile(rule[3:], re.IGNORECASE)
            except (re.error, RecursionError, OverflowError) as exc:
                raise ConfigError(
                    f"{where}: extract.drop_lines {shown(rule)} is not a valid regular "
                    f"expression: {exc}"
                ) from exc
    text_xpath = extract.get("text_xpath")
    if text_xpath is not None:
        _check_text(text_xpath, f"{where}: extract.text_xpath")
        _check_xpath(text_xpath, f"{where}: extract.text_xpath")
    encoding = extract.get("encoding")
    if encoding is not None:
        _check_text(encoding, f"{where}: extract.encoding")
        _check_encoding(encoding, f"{where}: extract.encoding")
    return ExtractRules(
        prune_xpaths=tuple(prune),
        drop_lines=tuple(drop_lines),
        text_xpath=text_xpath or None,
        encoding=encoding or None,
    )


def _text_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list):
        raise ConfigError(f"{name} must be a list of strings, not {shown(value)}")
    for item in value:
        _check_text(item, f"{name} entry")
    return value


_SAMPLE_PAGE = (
    '<html lang="en"><head><title>t</title><meta name="m" content="c"></head><body>'
    '<div id="i" class="c"><p class="p">text <a href="/">link</a></p></div></body></html>'
)


def _check_xpath(xpath: str, name: str) -> None:
    """Compiles with lxml and, on a small page, selects elements (not text, not a number)."""
    from lxml import etree, html

    try:
        selected = etree.XPath(xpath)(html.fromstring(_SAMPLE_PAGE))
    except (etree.XPathError, RecursionError) as exc:
        raise ConfigError(f"{name} {shown(xpath)} is not a valid XPath: {exc}") from exc
    if not isinstance(selected, list) or not all(
        isinstance(node, etree._Element) for node in selected
    ):
        raise ConfigError(f"{name} {shown(xpath)} must select elements, not text or a value")


def _check_encoding(encoding: str, name: str) -> None:
    try:
        codecs.lookup(encoding)
        b"a".decode(encoding, errors="replace")  # refuses rot13, base64… (not text encodings)
    except (LookupError, UnicodeError) as exc:
        raise ConfigError(f"{name} {shown(encoding)} is not a known text encoding: {exc}") from exc
