"""Serving the archive on loopback: one outlet per loopback address, day by day.

Each outlet gets its own address in 127.0.0.0/8 so that per-site politeness (concurrency,
delays, robots.txt) works as it does against real outlets. Feeds answer conditional GETs
with 304, so a second cycle over an unchanged archive costs one request per feed.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from scheduler.demo.articles import ArchiveArticle
from scheduler.demo.outlets import OUTLETS, Outlet
from scheduler.demo.render import article_path, render_feed, render_page

ROBOTS = b"User-agent: *\nDisallow: /private/\nDisallow: /search\n"


@dataclass
class ServedResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class ArchiveSite:
    """What the archive serves at a given day; independent of sockets so tests can call it."""

    def __init__(self, articles: list[ArchiveArticle], day: int = 1) -> None:
        self.articles = articles
        self.day = day
        self.base_urls: dict[str, str] = {}
        self.request_log: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self.by_outlet: dict[str, list[ArchiveArticle]] = {}
        for article in articles:
            if article.outlet not in OUTLETS:
                raise ValueError(f"article {article.slug} names unknown outlet {article.outlet}")
            self.by_outlet.setdefault(article.outlet, []).append(article)
        self._pages: dict[tuple[str, str], ArchiveArticle] = {}
        for outlet_id, items in self.by_outlet.items():
            for article in items:
                self._pages[(outlet_id, article_path(OUTLETS[outlet_id], article))] = article

    @property
    def outlets(self) -> list[Outlet]:
        return [OUTLETS[o] for o in sorted(self.by_outlet)]

    @property
    def max_day(self) -> int:
        return max(a.day for a in self.articles)

    def base_url(self, outlet_id: str) -> str:
        return self.base_urls[outlet_id]

    def url_of(self, article: ArchiveArticle) -> str:
        return self.base_url(article.outlet) + article_path(OUTLETS[article.outlet], article)

    def feed_urls(self, outlet_id: str) -> list[tuple[str, str]]:
        """(URL, kind) of every discovery document the outlet publishes."""
        outlet = OUTLETS[outlet_id]
        base = self.base_url(outlet_id)
        if outlet.feed == "rss2+sitemap":
            return [(base + "rss.xml", "rss"), (base + "sitemap.xml", "sitemap")]
        kind = {"atom": "atom", "news-sitemap": "news-sitemap"}.get(outlet.feed, "rss")
        return [(base + outlet.feed_path, kind)]

    def visible(self, outlet_id: str) -> list[ArchiveArticle]:
        return [a for a in self.by_outlet.get(outlet_id, []) if a.day <= self.day]

    def _related(self, article: ArchiveArticle) -> list[tuple[str, ArchiveArticle]]:
        others = [a for a in self.visible(article.outlet) if a is not article]
        others.sort(key=lambda a: abs((a.published - article.published).total_seconds()))
        return [(self.url_of(a), a) for a in others[:5]]

    def respond(self, path: str, headers: dict[str, str]) -> ServedResponse:
        path = path.split("?", 1)[0]
        if path == "/robots.txt":
            return ServedResponse(200, ROBOTS, {"Content-Type": "text/plain"})
        outlet_id, _, rest = path.lstrip("/").partition("/")
        outlet = OUTLETS.get(outlet_id)
        if outlet is None or outlet_id not in self.by_outlet:
            return ServedResponse(404, b"not found", {"Content-Type": "text/plain"})
        feed_kinds = {
            outlet.feed_path: outlet.feed,
            "sitemap.xml": "sitemap" if outlet.feed == "rss2+sitemap" else None,
        }
        if feed_kinds.get(rest):
            style = feed_kinds[rest] or ""
            style = "rss2" if style == "rss2+sitemap" else style
            return self._feed(outlet, style, headers)
        article = self._pages.get((outlet_id, rest))
        if article is None or article.day > self.day:
            return ServedResponse(
                404,
                b"<html><body>Not found</body></html>",
                {"Content-Type": "text/html; charset=utf-8"},
            )
        page = render_page(outlet, article, self.url_of(article), self._related(article))
        content_type = "text/html; charset=utf-8" if outlet.charset_header else "text/html"
        return ServedResponse(200, page, {"Content-Type": content_type})

    def _feed(self, outlet: Outlet, style: str, headers: dict[str, str]) -> ServedResponse:
        items = [(self.url_of(a), a) for a in self.visible(outlet.id)]
        feed_url = self.base_url(outlet.id) + outlet.feed_path
        body, content_type = render_feed(outlet, items, feed_url, style)
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        newest = max((a.updated or a.published) for _, a in items) if items else None
        last_modified = format_datetime(newest.astimezone(UTC), usegmt=True) if newest else None
        response_headers = {"Content-Type": content_type, "ETag": etag}
        if last_modified:
            response_headers["Last-Modified"] = last_modified
        if headers.get("if-none-match") == etag:
            return ServedResponse(304, b"", response_headers)
        since = headers.get("if-modified-since")
        if since and newest and "if-none-match" not in headers:
            try:
                if newest.replace(microsecond=0) <= parsedate_to_datetime(since):
                    return ServedResponse(304, b"", response_headers)
            except (TypeError, ValueError):
                pass
        return ServedResponse(200, body, response_headers)

    def log(self, host: str, path: str, status: int) -> None:
        with self._lock:
            self.request_log.append((host, path, status))


def _handler_for(site: ArchiveSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "peacewatch-archive/1"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            served = site.respond(self.path, headers)
            site.log(self.headers.get("Host", ""), self.path, served.status)
            self.send_response(served.status)
            for name, value in served.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(served.body)))
            self.end_headers()
            if served.body:
                self.wfile.write(served.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class ArchiveServer:
    """The archive on loopback, one HTTP server per outlet address, in daemon threads."""

    def __init__(self, site: ArchiveSite, *, port: int = 0, spread_hosts: bool = True) -> None:
        self.site = site
        self.port = port
        self.spread_hosts = spread_hosts
        self._servers: list[ThreadingHTTPServer] = []

    def start(self) -> ArchiveServer:
        handler = _handler_for(self.site)
        for index, outlet in enumerate(self.site.outlets):
            host = f"127.0.0.{index + 2}" if self.spread_hosts else "127.0.0.1"
            server = self._bind(host, handler)
            self._servers.append(server)
            bound_host, bound_port = str(server.server_address[0]), server.server_address[1]
            self.site.base_urls[outlet.id] = f"http://{bound_host}:{bound_port}/{outlet.id}/"
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def _bind(self, host: str, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
        ThreadingHTTPServer.allow_reuse_address = True
        ThreadingHTTPServer.daemon_threads = True
        try:
            return ThreadingHTTPServer((host, self.port), handler)
        except OSError:
            if self.port == 0 and host == "127.0.0.1":
                raise
            # The wanted port is taken (or the address unusable): fall back to a free one.
            try:
                return ThreadingHTTPServer((host, 0), handler)
            except OSError:
                return ThreadingHTTPServer(("127.0.0.1", 0), handler)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> ArchiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
