"""A JSON webhook on 127.0.0.1 for the chat channel's tests (fixture ``endpoint``)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Endpoint:
    """A JSON webhook that answers with the statuses it is given, then 200."""

    statuses: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    port: int = 0

    def url(self, credentials: str = "") -> str:
        return f"json://{credentials}127.0.0.1:{self.port}/hook"


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    state = Endpoint()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.received.append(json.loads(self.rfile.read(length)))
            self.send_response(state.statuses.pop(0) if state.statuses else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()
