"""A misbehaving HTTP server in its own process, in the spirit of Scrapy's test mock server.

``python -m tests.faults.mockserver --port-file F [--static DIR] [--host H]`` listens on H
(127.0.0.1 unless given; a free port, written to F), and serves fault endpoints plus files from DIR. Use ``MockServer`` from
tests: it starts the process, waits for the port, and stops it.

Every request is appended as one line to ``DIR/requests.log`` (when --static is given) so tests
can assert what was (not) fetched, e.g. a robots-disallowed URL.

Endpoints (all GET):
  /delay/S                 answer after S seconds
  /hang-after-headers      headers, then silence for a minute
  /trickle                 one byte every 2 s, forever (Content-Length says 1000)
  /reset-mid-body          half a body, then a TCP reset
  /reset-now               half a body, then a TCP reset that reaches the client at once
                           (every reference to the socket closed, SO_LINGER 0)
  /truncated-now           Content-Length 5000, 100 bytes, then a FIN the client sees at once
  /truncated               the same as /truncated-now
  /status/N[?retry_after=S] status N (with Retry-After: S)
  /endless                 chunked body without end
  /huge-length             Content-Length: 10 GB, a little body, then close
  /gzip-bomb               ~10 MB of zeros gzipped to ~10 KB, Content-Encoding: gzip
  /gzip-bomb-big           ~1 GB of zeros gzipped (generated once, ~1 MB)
  /redirect-loop           302 to itself
  /redirect-chain/N        302 to /redirect-chain/N-1 … /redirect-chain/0 = a small page
  /redirect-offsite        302 to http://offsite.invalid/page
  /static/PATH             DIR/PATH; headers from DIR/PATH.headers (lines "Name: value"), a
                           first line "status: N" sets the status
  /robots.txt              DIR/robots.txt if present, else allow all
"""

from __future__ import annotations

import argparse
import gzip
import socket
import struct
import subprocess
import sys
import time
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType


@cache
def _gzip_of_zeros(megabytes: int) -> bytes:
    return gzip.compress(b"\0" * (megabytes * 1024 * 1024), compresslevel=9)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    static: Path | None = None

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: requests are recorded in ``requests.log`` on arrival instead."""

    def _record(self) -> None:
        if self.static is not None:
            with (self.static / "requests.log").open("a", encoding="utf-8") as log:
                log.write(self.path + "\n")

    def _headers(self, code: int, headers: dict[str, str]) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _body(self, code: int, body: bytes, ctype: str = "text/html", **extra: str) -> None:
        self._headers(code, {"Content-Type": ctype, "Content-Length": str(len(body)), **extra})
        self.wfile.write(body)

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def do_GET(self) -> None:
        self._record()
        path, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        try:
            if path.startswith("/delay/"):
                time.sleep(float(path.rsplit("/", 1)[1]))
                self._body(200, b"<html><body>late</body></html>")
            elif path == "/hang-after-headers":
                self._headers(200, {"Content-Type": "text/html", "Content-Length": "100"})
                self.wfile.flush()
                time.sleep(60)
            elif path == "/trickle":
                self._headers(200, {"Content-Type": "text/html", "Content-Length": "1000"})
                for _ in range(500):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(2)
            elif path in ("/reset-now", "/reset-mid-body"):
                self._headers(200, {"Content-Type": "text/html", "Content-Length": "10000"})
                self.wfile.write(b"<html><body>" + b"a" * 5000)
                self.wfile.flush()
                self.close_connection = True
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.rfile.close()
                self.wfile.close()
                self.connection.close()
            elif path in ("/truncated-now", "/truncated"):
                self._headers(200, {"Content-Type": "text/html", "Content-Length": "5000"})
                self.wfile.write(b"<html><body>" + b"b" * 88)
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif path.startswith("/status/"):
                extra = {"Retry-After": params["retry_after"]} if "retry_after" in params else {}
                self._body(int(path.rsplit("/", 1)[1]), b"status", "text/plain", **extra)
            elif path == "/endless":
                self._headers(200, {"Content-Type": "text/html", "Transfer-Encoding": "chunked"})
                chunk = b"<p>" + b"z" * 65536 + b"</p>"
                while True:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            elif path == "/huge-length":
                self._headers(200, {"Content-Type": "text/html", "Content-Length": str(10**10)})
                self.wfile.write(b"<html>" + b"c" * 1000)
                self.wfile.flush()
                self.connection.close()
            elif path in ("/gzip-bomb", "/gzip-bomb-big"):
                body = _gzip_of_zeros(10 if path == "/gzip-bomb" else 1024)
                self._body(200, body, "application/rss+xml", **{"Content-Encoding": "gzip"})
            elif path == "/redirect-loop":
                self._body(302, b"", Location="/redirect-loop")
            elif path.startswith("/redirect-chain/"):
                left = int(path.rsplit("/", 1)[1])
                if left <= 0:
                    self._body(200, b"<html><body>end of the chain</body></html>")
                else:
                    self._body(302, b"", Location=f"/redirect-chain/{left - 1}")
            elif path == "/redirect-offsite":
                self._body(302, b"", Location="http://offsite.invalid/page")
            elif path == "/robots.txt":
                robots = self.static / "robots.txt" if self.static else None
                if robots is not None and robots.exists():
                    self._static(robots)
                else:
                    self._body(200, b"User-agent: *\nAllow: /\n", "text/plain")
            elif path.startswith("/static/") and self.static is not None:
                target = (self.static / path.removeprefix("/static/")).resolve()
                if self.static.resolve() not in target.parents or not target.is_file():
                    self._body(404, b"not found", "text/plain")
                else:
                    self._static(target)
            else:
                self._body(404, b"not found", "text/plain")
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def _static(self, target: Path) -> None:
        code, headers = 200, {"Content-Type": "text/html; charset=utf-8"}
        sidecar = target.with_name(target.name + ".headers")
        if sidecar.exists():
            headers = {}
            for line in sidecar.read_text(encoding="utf-8").splitlines():
                name, _, value = line.partition(":")
                if name.strip().lower() == "status":
                    code = int(value)
                elif name.strip():
                    headers[name.strip()] = value.strip()
        body = target.read_bytes()
        headers.setdefault("Content-Length", str(len(body)))
        self._headers(code, headers)
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--static", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    Handler.static = args.static
    server = ThreadingHTTPServer((args.host, 0), Handler)
    server.daemon_threads = True
    args.port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


class MockServer:
    """``with MockServer(static_dir) as server: server.url("/status/503")``

    ``host`` binds another loopback address (e.g. 127.0.0.2: another host for the crawl)."""

    def __init__(self, static: Path | None = None, host: str = "127.0.0.1") -> None:
        self.static = static
        self.host = host
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def requests(self) -> list[str]:
        log = self.static / "requests.log" if self.static else None
        return log.read_text(encoding="utf-8").splitlines() if log and log.exists() else []

    def __enter__(self) -> MockServer:
        port_file = Path(self.static or Path.cwd()) / f".mockserver-port-{id(self)}"
        port_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", "tests.faults.mockserver", "--port-file", str(port_file)]
        if self.static is not None:
            command += ["--static", str(self.static)]
        if self.host != "127.0.0.1":
            command += ["--host", self.host]
        self.process = subprocess.Popen(command)
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("mock server did not start")
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        port_file.unlink()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)


if __name__ == "__main__":
    main()
