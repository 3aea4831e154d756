"""One cycle's crawl on scrapyd servers: schedule, poll, cancel past the timeout, ingest.

The due sources are spread over the servers that answer and hold this node's egg, one job
per server (more when a job's arguments would not fit one command line). Each job is
recorded before it is scheduled, and ingested as soon as it finishes, from the feed export
scrapyd keeps in its ``items_dir`` and serves over the same HTTP port as its API: the node
needs no shared disk, no other service, and reads with the credentials it already has.

A server that is down, refuses, or lacks the egg costs nothing but its turn: its sources
go to the others, and it is named in ``status``. A job past the crawl timeout is cancelled
(scrapyd sends SIGINT: Scrapy closes the spider and the export cleanly), then whatever it
exported is ingested. A job the node could not collect (a server that stopped answering, a
node stopped mid-cycle) stays open and is ingested by the next cycle that can reach it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlite_utils import Database

from crawler.build import code_digest, egg_version
from crawler.ingest import IngestResult, ingest_export, read_export
from crawler.job import CrawlJob
from crawler.pipelines import AnalysisSetup, ArticleAnalysis
from scheduler.config import Config
from scheduler.crawl import CrawlOutcome
from scheduler.scrapyd.client import ScrapydError, Server
from scheduler.scrapyd.deploy import servers_of
from storage.crawl_jobs import RemoteJob, job_scheduled, job_update, open_jobs, server_seen
from storage.models import Article, Report, SourceRunStats
from storage.snapshot import build_snapshot

SPIDER = "news"
#: one spider argument on Linux may hold 128 KiB; the job must fit with room to spare
MAX_JOB_ARGUMENT = 120_000


@dataclass
class RemoteCrawl:
    servers: list[Server]
    project: str
    timeout: float
    poll_seconds: float
    stop_grace: float
    known_days: float
    analyse: Callable[[Article], list[Report]] | None
    stopping: threading.Event | None = None
    #: per server: what went wrong with it this cycle (left out, refused, stopped answering)
    server_notes: dict[str, str] = field(default_factory=dict)
    #: what went wrong with jobs this cycle (not scheduled, not collected, export cut short):
    #: the run's error, and the reason its sources' feeds are read in full next time
    job_errors: list[str] = field(default_factory=list)


def run_crawl_scrapyd(db: Database, job: CrawlJob, crawl: RemoteCrawl, run_id: int) -> CrawlOutcome:
    started = time.monotonic()
    version, code = egg_version(), code_digest()
    collect_left_over(db, crawl, code)
    usable = [server for server in crawl.servers if _usable(db, server, crawl, version)]
    stats: dict[str, SourceRunStats] = {}
    if not usable:
        reasons = "; ".join(crawl.server_notes.values())
        return _failed_all(job, f"no scrapyd server could take the crawl: {reasons}", started)
    jobs = _schedule(db, job, crawl, usable, version, run_id, stats)
    timed_out = _collect(db, crawl, jobs, code, stats, started)
    for server in crawl.servers:
        mine = [j for j in jobs if j.server == server.url]
        if server in usable:
            articles = sum(stats[s].articles_new for j in mine for s in j.sources if s in stats)
            trouble = crawl.server_notes.get(server.url)  # it answered, then failed this cycle
            server_seen(
                db,
                server.url,
                ok=trouble is None,
                error=trouble,
                egg_version=version,
                jobs=len(mine),
                articles_new=articles,
            )
    for source in job.sources:
        stats.setdefault(
            source.id,
            SourceRunStats(
                source_id=source.id,
                status="failed",
                errors=1,
                error_text="no scrapyd server took this source",
            ),
        )
    error: str | None = None
    if timed_out:
        error = f"crawl timed out after {crawl.timeout:.0f} s: jobs still running were cancelled"
    elif crawl.job_errors:  # a page that failed is the source's business, not the run's
        error = crawl.job_errors[0]
    ordered = [stats[source.id] for source in job.sources]
    return CrawlOutcome(ordered, None, timed_out, time.monotonic() - started, error)


def _usable(db: Database, server: Server, crawl: RemoteCrawl, version: str) -> bool:
    """Whether the server answers and holds this node's egg; named in ``status`` if not."""
    try:
        versions = server.versions(crawl.project)
    except ScrapydError as exc:
        message = str(exc)
        crawl.server_notes[server.url] = message
        server_seen(db, server.url, ok=False, error=message)
        return False
    if version not in versions:
        message = (
            f"{server.url}: version mismatch: the node runs crawler {version}, the server has "
            f"{', '.join(versions[-3:]) or 'none'}: run `peacewatch deploy`"
        )
        crawl.server_notes[server.url] = message
        server_seen(
            db, server.url, ok=False, error=message, egg_version=versions[-1] if versions else None
        )
        return False
    return True


def _batches(job: CrawlJob, count: int) -> list[list]:
    sources = list(job.sources)
    return [sources[i::count] for i in range(count) if sources[i::count]]


def _job_for(db: Database, job: CrawlJob, sources: list, crawl: RemoteCrawl) -> list[CrawlJob]:
    """Remote jobs for ``sources``: one, or halves until each fits a command line."""
    snapshot = build_snapshot(db, [s.id for s in sources], known_days=crawl.known_days)
    remote = replace(
        job,
        db_path="",
        result_path="",
        sources=sources,
        speakers_path="",
        topics_path="",
        analysis_worker=False,
        crash_at=[],
        parent_pid=0,
        snapshot=snapshot.encode(),
    )
    if len(remote.encode()) <= MAX_JOB_ARGUMENT or len(sources) == 1:
        return [remote]
    half = len(sources) // 2
    return _job_for(db, job, sources[:half], crawl) + _job_for(db, job, sources[half:], crawl)


def _schedule(db, job, crawl, usable, version, run_id, stats) -> list[RemoteJob]:
    scheduled: list[RemoteJob] = []
    for index, batch in enumerate(_batches(job, len(usable))):
        for remote in _job_for(db, job, batch, crawl):
            ids = [s.id for s in remote.sources]
            # the server the batch belongs to first, then the others in turn
            for server in usable[index:] + usable[:index]:
                record = RemoteJob(
                    f"pw-{run_id}-{uuid.uuid4().hex[:12]}",
                    server.url,
                    ids,
                    version,
                    "scheduled",
                    run_id,
                )
                job_scheduled(db, record)
                try:
                    server.schedule(
                        crawl.project,
                        SPIDER,
                        version=version,
                        job_id=record.job_id,
                        args={"job_data": remote.encode()},
                        settings=job.settings,
                    )
                except ScrapydError as exc:
                    job_update(db, record.job_id, state="ingested", error=f"not scheduled: {exc}")
                    crawl.server_notes[server.url] = str(exc)
                    server_seen(db, server.url, ok=False, error=str(exc))
                    continue
                scheduled.append(record)
                break
            else:
                message = "no scrapyd server accepted the job: " + "; ".join(
                    crawl.server_notes.values()
                )
                crawl.job_errors.append(message)
                for source_id in ids:
                    stats[source_id] = SourceRunStats(
                        source_id=source_id, status="failed", errors=1, error_text=message
                    )
    return scheduled


def _collect(db, crawl, jobs, code, stats, started) -> bool:
    """Poll until every job is ingested or the timeout; True when it timed out."""
    by_url = {server.url: server for server in crawl.servers}
    waiting = {record.job_id: record for record in jobs}
    cancelled: dict[str, float] = {}
    timed_out = False
    while waiting:
        if crawl.stopping is not None and crawl.stopping.is_set():
            _left_open(
                crawl, waiting, stats, "the node was stopped: the job is ingested next cycle"
            )
            return timed_out
        for url in sorted({record.server for record in waiting.values()}):
            server = by_url[url]
            try:
                states = server.jobs(crawl.project)
            except ScrapydError as exc:
                crawl.server_notes[url] = str(exc)
                continue
            for job_id, record in list(waiting.items()):
                if record.server != url or states.get(job_id) in ("pending", "running"):
                    continue
                # finished; or unknown to the server (it restarted and forgot its jobs): what
                # the job exported is read either way
                state = "cancelled" if job_id in cancelled else "finished"
                _ingest(
                    db, server, crawl, record, code, stats, state if job_id in states else "lost"
                )
                del waiting[job_id]
        if not waiting:
            break
        now = time.monotonic()
        if now - started > crawl.timeout:
            timed_out = True
            for job_id, record in waiting.items():
                if job_id not in cancelled or now - cancelled[job_id] > crawl.stop_grace:
                    # a second cancel is Scrapy's second SIGINT: it stops at once
                    try:
                        by_url[record.server].cancel(crawl.project, job_id)
                    except ScrapydError as exc:
                        crawl.server_notes[record.server] = str(exc)
                    cancelled.setdefault(job_id, now)
            if all(now - cancelled[j] > 2 * crawl.stop_grace + crawl.poll_seconds for j in waiting):
                _left_open(
                    crawl,
                    waiting,
                    stats,
                    "the job did not stop when cancelled: it is ingested "
                    "when its server reports it finished",
                )
                return True
        time.sleep(crawl.poll_seconds)
    return timed_out


def _ingest(db, server, crawl, record, code, stats, state) -> IngestResult | None:
    job_update(db, record.job_id, state=state)
    try:
        body = server.items(crawl.project, SPIDER, record.job_id)
    except ScrapydError as exc:
        _left_open(crawl, {record.job_id: record}, stats, f"its export could not be read: {exc}")
        return None
    if body is None:
        message = (
            f"{server.url} has no export for job {record.job_id}: set items_dir in its "
            "scrapyd.conf, and jobs_to_keep above the jobs per cycle"
        )
        job_update(db, record.job_id, state="gone", error=message)  # never read again
        crawl.job_errors.append(message)
        for source_id in record.sources:
            stats[source_id] = SourceRunStats(
                source_id=source_id, status="failed", errors=1, error_text=message
            )
        return None
    outcome = ingest_export(
        db,
        record.job_id,
        read_export(body, record.job_id),
        record.sources,
        node_code=code,
        analyse=crawl.analyse,
    )
    job_update(
        db,
        record.job_id,
        state="ingested",
        records=outcome.records,
        articles_new=outcome.articles_new,
        error="; ".join(filter(None, [outcome.error, *outcome.notes])) or None,
    )
    for item in outcome.stats:
        stats[item.source_id] = item
    if outcome.error:
        crawl.job_errors.append(f"{server.url}: job {record.job_id}: {outcome.error}")
    return outcome


def _left_open(
    crawl: RemoteCrawl, waiting: dict[str, RemoteJob], stats: dict[str, SourceRunStats], why: str
) -> None:
    """Jobs this cycle could not collect: they stay open for the next; their sources fail."""
    for record in waiting.values():
        crawl.job_errors.append(f"{record.server}: job {record.job_id}: {why}")
        for source_id in record.sources:
            stats[source_id] = SourceRunStats(
                source_id=source_id, status="failed", errors=1, error_text=f"{record.server}: {why}"
            )


def collect_left_over(db: Database, crawl: RemoteCrawl, code: str) -> int:
    """Ingest the exports of jobs an earlier cycle could not collect; how many were."""
    by_url = {server.url: server for server in crawl.servers}
    done = 0
    for record in open_jobs(db):
        server = by_url.get(record.server)
        if server is None:
            continue
        try:
            states = server.jobs(crawl.project)
        except ScrapydError:
            continue
        if states.get(record.job_id) in ("pending", "running"):
            continue
        if _ingest(db, server, crawl, record, code, {}, record.state) is not None:
            done += 1
    return done


def _failed_all(job: CrawlJob, error: str, started: float) -> CrawlOutcome:
    stats = [
        SourceRunStats(source_id=s.id, status="failed", errors=1, error_text=error)
        for s in job.sources
    ]
    return CrawlOutcome(stats, None, False, time.monotonic() - started, error)


def remote_crawl(config: Config, stopping: threading.Event | None = None) -> RemoteCrawl:
    """The scrapyd crawl as the config sets it; the node analyses what the workers fetch."""
    setup = AnalysisSetup(
        str(config.analysis.speakers_path),
        str(config.analysis.topics_path),
        config.analysis.topic_threshold,
        config.diff.encoder,
    )
    analysis: ArticleAnalysis | None = None

    def analyse(article: Article) -> list[Report]:
        nonlocal analysis
        if analysis is None:  # loaded once per cycle, and only when an article is new
            analysis = ArticleAnalysis(setup)
        return analysis(article)

    return RemoteCrawl(
        servers=servers_of(config.crawl),
        project=config.crawl.scrapyd_project,
        timeout=config.crawl.timeout_seconds,
        poll_seconds=config.crawl.scrapyd_poll_seconds,
        stop_grace=config.crawl.stop_grace_seconds,
        known_days=config.crawl.scrapyd_known_days,
        analyse=analyse,
        stopping=stopping,
    )
