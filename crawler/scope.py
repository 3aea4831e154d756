"""What the crawl of one source may request: http(s) URLs on the source's own hosts, no other.

A source's own hosts are the hosts of its feeds and its homepage, plus the ``allowed_hosts`` the
registry lists for it. Scheme, host *and* port are checked (an origin, as browsers say): another
port of the same host is another server. Two conveniences, both under the site owner's control:
a host on its standard web port is one site over http (80) and https (443), so an outlet's
upgrade to https or a feed's plain-http links stay in; and ``example.com`` and
``www.example.com`` are one host. ``allowed_hosts`` entries are ``host`` (its standard web
ports) or ``host:port`` (http and https on that port).

Scrapy's OffsiteMiddleware and ``allowed_domains`` look at the host alone (and let every
subdomain in), so the check is our own: ``SourceScopeMiddleware`` (crawler/middlewares.py)
refuses every request outside it — feed items, sitemap entries, child sitemaps, redirects and
robots.txt alike — and the spider checks feed items and child sitemaps before it makes them.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from storage.models import Source
from storage.redact import redact_credentials

#: The schemes a crawl may use, with their standard ports.
WEB_PORTS = {"http": 80, "https": 443}

#: Scrapy signal sent by SourceScopeMiddleware for each request it refuses (request, reason).
offsite_refused = object()

Origin = tuple[str, str, int]
_HOST = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?|[0-9a-f:.]+")


def normalize_host(host: str) -> str:
    """Lower case, no trailing dot, international names as IDNA (what goes on the wire)."""
    host = host.strip().lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _aliases(host: str) -> set[str]:
    if _is_ip(host):
        return {host}
    return {host, host.removeprefix("www.") if host.startswith("www.") else "www." + host}


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, ports made explicit; None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in WEB_PORTS or not parts.hostname:
        return None
    return scheme, normalize_host(parts.hostname), port or WEB_PORTS[scheme]


def has_web_scheme(url: str) -> bool:
    """Whether ``url`` says http or https (valid or not); file:, data:, ftp: … do not."""
    return url.strip().partition(":")[0].lower() in WEB_PORTS


def parse_allowed_host(spec: object) -> tuple[str, int | None]:
    """``"host"`` or ``"host:port"`` (an IPv6 address in brackets) → (host, port or None).

    Raises ValueError saying what is wrong: a registry mistake must not widen the scope.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"{spec!r} is not a host name or host:port")
    text = spec.strip()
    if any(mark in text for mark in ("://", "/", "?", "#", "@")) or any(c.isspace() for c in text):
        raise ValueError(f"{spec!r} is not a host name or host:port (no scheme, path or user)")
    parts = urlsplit("//" + text)
    try:
        port = parts.port
    except ValueError:
        if text.count(":") > 1 and not text.startswith("["):
            raise ValueError(f"{spec!r}: write an IPv6 address in brackets, [::1]:8080") from None
        raise ValueError(f"{spec!r}: the port must be a number from 1 to 65535") from None
    host = normalize_host(parts.hostname or "")
    if not host or not _HOST.fullmatch(host):
        raise ValueError(f"{spec!r} is not a host name or host:port")
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        raise ValueError(f"{spec!r}: the port must be a number from 1 to 65535")
    return host, port


def allowed_hosts_of(value: object) -> tuple[str, ...]:
    """A registry entry's ``allowed_hosts`` (a list of ``"host"`` / ``"host:port"``), each
    normalised; ValueError says which entry is wrong and why."""
    if not isinstance(value, list):
        raise ValueError(f'must be a list of "host" or "host:port" strings, not {value!r:.80}')
    hosts = []
    for spec in value:
        host, port = parse_allowed_host(spec)
        name = f"[{host}]" if ":" in host else host
        hosts.append(name if port is None else f"{name}:{port}")
    return tuple(hosts)


def _expand(scheme: str, host: str, port: int) -> set[Origin]:
    """The origins one listed URL stands for: its www alias, and both web schemes on the
    standard ports."""
    origins: set[Origin] = set()
    for name in _aliases(host):
        origins.add((scheme, name, port))
        if port == WEB_PORTS[scheme]:
            origins.update((other, name, standard) for other, standard in WEB_PORTS.items())
    return origins


@dataclass(frozen=True)
class Scope:
    origins: frozenset[Origin]

    @classmethod
    def of(cls, source: Source) -> Scope:
        origins: set[Origin] = set()
        listed = [feed.url for feed in source.feeds]
        if isinstance(source.homepage, str) and source.homepage:
            listed.append(source.homepage)
        for url in listed:
            origin = origin_of(url)
            if origin is not None:
                origins |= _expand(*origin)
        for spec in source.allowed_hosts:
            host, port = parse_allowed_host(spec)
            if port is None:
                origins |= _expand("http", host, WEB_PORTS["http"])
            else:
                origins |= _expand("http", host, port) | _expand("https", host, port)
        return cls(frozenset(origins))

    @classmethod
    def union(cls, scopes: Iterable[Scope]) -> Scope:
        return cls(frozenset().union(*(scope.origins for scope in scopes)))

    def refusal(self, url: str) -> str | None:
        """Why ``url`` is outside this scope, or None when it may be requested."""
        origin = origin_of(url)
        if origin is None:
            scheme = url.partition(":")[0].strip().lower() if ":" in url else ""
            if scheme in WEB_PORTS:
                return "not a valid http(s) URL"
            return f"{scheme or 'no'} scheme: only http(s) URLs are fetched"
        if origin in self.origins:
            return None
        scheme, host, port = origin
        if any(host == known for _, known, _ in self.origins):
            return f"{host}:{port} over {scheme} is not the source's (another port or scheme)"
        return f"{host} is not one of the source's hosts"


def without_credentials(url: str) -> str:
    """``url`` without ``user:password@``; anything else in it unchanged."""
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_credentials(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class _RedactingRecordFactory:
    """Wraps the log record factory: every record made in the process has ``user:password@``
    removed from its message and traceback, whichever handler later writes it (Scrapy replaces
    its root handler when a crawl starts, so a filter on a handler would be lost)."""

    def __init__(self, make: Callable[..., logging.LogRecord]) -> None:
        self.make = make

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.make(*args, **kwargs)
        try:
            message = record.getMessage()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
        except Exception:  # a malformed record: logging reports it when it writes it
            return record
        redacted = redact_credentials(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = redact_credentials(record.exc_text)
        return record


def redact_credentials_in_logs() -> None:
    """From now on, no log line of this process carries the credentials of a URL."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _RedactingRecordFactory):
        logging.setLogRecordFactory(_RedactingRecordFactory(current))


class RedactCredentialsExtension:
    """A Scrapy extension that turns ``redact_credentials_in_logs`` on for the crawl, so
    Scrapy's own lines ("Crawled", "Redirecting", robots.txt errors) are redacted too."""

    def __init__(self) -> None:
        redact_credentials_in_logs()

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedactCredentialsExtension:
        return cls()
