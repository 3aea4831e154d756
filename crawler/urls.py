"""Canonical article URLs, so one article under many link variants is stored once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

#: Query parameters that only track the reader; they never select different content.
TRACKING_PARAMETERS = (
    "fbclid",
    "gclid",
    "dclid",
    "yclid",
    "msclkid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "ref",
    "ref_src",
    "rss",
    "from",
    "utm_referrer",
    "at_medium",
    "at_campaign",
)
_TRACKING_PREFIXES = ("utm_", "at_", "ga_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The form an article URL is stored and compared under.

    Drops fragments and tracking parameters, sorts the rest, lower-cases scheme and host,
    drops default ports and a trailing slash, and treats http and https as the same page.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    names = {name for name, _, _ in (p.partition("=") for p in parts.query.split("&")) if name}
    tracking = [name for name in names if _is_tracking(name)]
    if tracking:
        url = url_query_cleaner(url, tracking, remove=True, keep_fragments=False)
    url = canonicalize_url(url, keep_fragments=False)
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host
    if parts.port and parts.port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        netloc = f"{host}:{parts.port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def site_of(url: str) -> str:
    """The host an URL belongs to, without a leading ``www.`` (used for off-site checks)."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
