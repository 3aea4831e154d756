"""``peacewatch deploy``: the crawler egg to every scrapyd server, and the servers' view of it."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.scrapyd.client import ScrapydError, Server
from scheduler.scrapyd.egg import build_egg
from scheduler.settings import CrawlSettings


def servers_of(crawl: CrawlSettings) -> list[Server]:
    """The configured servers, with the credentials config.py read from the environment."""
    username = crawl.scrapyd_username or None
    password = crawl.scrapyd_password.reveal() or None
    return [
        Server(url, username, password, crawl.scrapyd_request_timeout_seconds)
        for url in crawl.scrapyd_urls
    ]


@dataclass
class Deployed:
    server: str
    ok: bool
    version: str
    message: str

    def to_json(self) -> dict[str, object]:
        return {
            "server": self.server,
            "ok": self.ok,
            "version": self.version,
            "message": self.message,
        }


def deploy(servers: list[Server], project: str) -> list[Deployed]:
    """Upload this node's egg to each server and check the spider is there; one line each."""
    version, egg = build_egg()
    done: list[Deployed] = []
    for server in servers:
        try:
            if version in server.versions_or_none(project):
                done.append(Deployed(server.url, True, version, "already deployed"))
                continue
            answer = server.add_version(project, version, egg)
        except ScrapydError as exc:
            done.append(Deployed(server.url, False, version, str(exc)))
            continue
        if not answer.get("spiders"):
            message = "uploaded, but the server finds no spider in it (see its log)"
            done.append(Deployed(server.url, False, version, message))
        else:
            done.append(Deployed(server.url, True, version, f"deployed ({len(egg) // 1024} KiB)"))
    return done
