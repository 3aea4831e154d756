"""A loopback HTTP server with misbehaving endpoints, for crawl failure tests."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._send(code, b"<html><body>error</body></html>", "text/html")
        elif path.startswith("/retry-after/"):
            self.server.hits[path] = self.server.hits.get(path, 0) + 1  # type: ignore[attr-defined]
            self._send(429, b"slow down", "text/plain", {"Retry-After": path.rsplit("/", 1)[1]})
        elif path.startswith("/private/"):
            self.server.hits[path] = self.server.hits.get(path, 0) + 1  # type: ignore[attr-defined]
            self._send(200, b"<rss version='2.0'><channel></channel></rss>", "application/rss+xml")
        elif path == "/sitemap-index.xml":
            children = "".join(
                f"<sitemap><loc>/sitemaps/{n}.xml</loc><lastmod>2026-02-{10 + n:02d}</lastmod>"
                "</sitemap>"
                for n in range(1, 6)
            )
            body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}'
            self._send(200, (body + "</sitemapindex>").encode(), "application/xml")
        elif path.startswith("/sitemaps/"):
            self.server.hits[path] = self.server.hits.get(path, 0) + 1  # type: ignore[attr-defined]
            self._send(
                200, b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>', "text/xml"
            )
        elif path == "/hang":
            time.sleep(30)
            self._send(200, b"", "text/plain")
        elif path == "/garbage":
            self._send(200, bytes(range(256)) * 40, "application/rss+xml")
        else:
            self._send(404, b"not found", "text/plain")

    def _send(
        self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FaultServer:
    def __init__(self) -> None:
        ThreadingHTTPServer.daemon_threads = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), FaultHandler)
        self.httpd.hits = {}  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def hits(self) -> dict[str, int]:
        return self.httpd.hits  # type: ignore[attr-defined,no-any-return]

    def __enter__(self) -> FaultServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
