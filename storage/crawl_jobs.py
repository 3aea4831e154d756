"""The scrapyd backend's bookkeeping: jobs on remote servers, and the servers as last seen.

A job row is written before the job is scheduled, so a node that dies mid-cycle finds it at
the next cycle and ingests what it exported. ``state`` runs scheduled → finished (or
cancelled, or lost: the server forgot it) → ingested, or gone (the server has no export for
it); an ingested or gone job is never read again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from storage.db import write_transaction
from storage.queries import utc_now
from storage.redact import redact_optional

OPEN_STATES = ("scheduled", "finished", "cancelled", "lost")


@dataclass
class RemoteJob:
    job_id: str
    server: str
    sources: list[str]
    egg_version: str
    state: str
    run_id: int | None = None
    scheduled_at: str = ""
    error: str | None = None


def job_scheduled(db: Database, job: RemoteJob) -> None:
    with write_transaction(db):
        db.execute(
            "INSERT INTO crawl_jobs (job_id, server, run_id, sources, egg_version, state, "
            "scheduled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                job.job_id,
                job.server,
                job.run_id,
                json.dumps(job.sources),
                job.egg_version,
                job.state,
                job.scheduled_at or utc_now(),
            ],
        )


def job_update(db: Database, job_id: str, **fields: Any) -> None:
    """Set a job's fields (``state``, ``error``, ``records``, ``articles_new``); finishing and
    ingesting stamp their times."""
    if fields.get("state") in ("finished", "cancelled", "lost", "gone"):
        fields.setdefault("finished_at", utc_now())
    if fields.get("state") == "ingested":
        fields.setdefault("ingested_at", utc_now())
    if "error" in fields:
        fields["error"] = redact_optional(fields["error"])
    assignments = ", ".join(f"{name} = ?" for name in fields)
    with write_transaction(db):
        db.execute(
            f"UPDATE crawl_jobs SET {assignments} WHERE job_id = ?", [*fields.values(), job_id]
        )


def job_state(db: Database, job_id: str) -> str | None:
    row = db.execute("SELECT state FROM crawl_jobs WHERE job_id = ?", [job_id]).fetchone()
    return row[0] if row else None


def open_jobs(db: Database) -> list[RemoteJob]:
    """Jobs whose export is not ingested yet (left by an earlier cycle), oldest first."""
    rows = db.execute(
        "SELECT job_id, server, sources, egg_version, state, run_id, scheduled_at, error "
        f"FROM crawl_jobs WHERE state IN ({', '.join('?' for _ in OPEN_STATES)}) "
        "ORDER BY scheduled_at",
        list(OPEN_STATES),
    ).fetchall()
    return [
        RemoteJob(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5], row[6], row[7])
        for row in rows
    ]


def server_seen(
    db: Database,
    url: str,
    *,
    ok: bool,
    error: str | None = None,
    egg_version: str | None = None,
    jobs: int | None = None,
    articles_new: int | None = None,
) -> None:
    """How a server answered this cycle; what is not given keeps its last value."""
    now = utc_now()
    with write_transaction(db):
        db.execute(
            """
            INSERT INTO crawl_servers (url, checked_at, ok, egg_version, last_ok_at, last_error,
                                       jobs, articles_new)
            VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, 0), COALESCE(?, 0))
            ON CONFLICT(url) DO UPDATE SET
                checked_at = excluded.checked_at, ok = excluded.ok,
                egg_version = COALESCE(excluded.egg_version, crawl_servers.egg_version),
                last_ok_at = COALESCE(excluded.last_ok_at, crawl_servers.last_ok_at),
                last_error = excluded.last_error,
                jobs = COALESCE(?, crawl_servers.jobs),
                articles_new = COALESCE(?, crawl_servers.articles_new)
            """,
            [
                url,
                now,
                int(ok),
                egg_version,
                now if ok else None,
                redact_optional(error),
                jobs,
                articles_new,
                jobs,
                articles_new,
            ],
        )


def servers(db: Database) -> list[dict[str, Any]]:
    """Every server the node has talked to, as last seen, with its jobs not yet ingested."""
    rows = list(db.query("SELECT * FROM crawl_servers ORDER BY url"))
    waiting = dict(
        db.execute(
            "SELECT server, COUNT(*) FROM crawl_jobs "
            f"WHERE state IN ({', '.join('?' for _ in OPEN_STATES)}) GROUP BY server",
            list(OPEN_STATES),
        ).fetchall()
    )
    for row in rows:
        row["ok"] = bool(row["ok"])
        row["jobs_open"] = waiting.get(row["url"], 0)
    return rows
