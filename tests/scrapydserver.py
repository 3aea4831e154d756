"""Real scrapyd servers on 127.0.0.1 for the scrapyd backend's tests, each in its own folder.

A server runs ``python -m scrapyd`` from this environment, with its own config (its port,
eggs, logs and items folders) and, optionally, a user and password. It runs in a folder of its
own, so the crawler it runs is the deployed egg's, never the checkout's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.smtpserver import free_port


@dataclass
class ScrapydServer:
    url: str
    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def items_dir(self) -> Path:
        return self.folder / "items"

    def log(self) -> str:
        return (self.folder / "scrapyd.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # a crawl scrapyd started and did not stop is killed too (same process group)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def start_scrapyd(
    folder: Path, *, username: str = "", password: str = "", items: bool = True
) -> ScrapydServer:
    """A server on a free port; ``items=False``: one that keeps no exports (no items_dir)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (folder / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"username = {username}\n"
        f"password = {password}\n"
        f"eggs_dir = eggs\nlogs_dir = logs\nitems_dir = {'items' if items else ''}\n"
        "dbs_dir = dbs\n"
        "jobs_to_keep = 100\npoll_interval = 0.2\nmax_proc = 4\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY", "PEACEWATCH"))}
    with (folder / "scrapyd.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd", "--pidfile="],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    server = ScrapydServer(f"http://127.0.0.1:{port}", folder, process)
    deadline = time.monotonic() + 30
    auth = (username, password) if username else None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scrapyd did not start: {server.log()[-2000:]}")
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(f"{server.url}/daemonstatus.json", auth=auth, timeout=2).ok:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"scrapyd did not answer within 30 s: {server.log()[-2000:]}")


@contextlib.contextmanager
def scrapyd_servers(root: Path, count: int, **options: Any) -> Iterator[list[ScrapydServer]]:
    servers: list[ScrapydServer] = []
    try:
        for index in range(count):
            servers.append(start_scrapyd(root / f"scrapyd-{index + 1}", **options))
        yield servers
    finally:
        for server in servers:
            server.stop()
