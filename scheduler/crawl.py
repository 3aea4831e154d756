"""Running one crawl in a subprocess with a hard timeout.

The one function here, ``run_crawl``, is the seam where a scrapyd backend could replace the
local subprocess (DESIGN §11). The subprocess is judged by the result file it writes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from crawler.job import CrawlJob, read_result
from storage.models import SourceRunStats

#: After SIGTERM, how long a crawl may take to close cleanly before it is killed.
TERMINATE_GRACE_SECONDS = 15.0

#: Crawls running now, so a daemon told to stop can stop them (SIGTERM, then SIGKILL).
_running: set[subprocess.Popen[bytes]] = set()
_running_lock = threading.Lock()


def stop_running_crawls(grace: float = TERMINATE_GRACE_SECONDS) -> None:
    """Ask every running crawl to stop; each is killed if it has not after ``grace``."""
    with _running_lock:
        children = list(_running)
    threads = [
        threading.Thread(target=stop_child, args=(child, grace), daemon=True) for child in children
    ]
    for thread in threads:
        thread.start()


@dataclass
class CrawlOutcome:
    stats: list[SourceRunStats]
    returncode: int | None
    timed_out: bool
    duration_s: float
    error: str | None = None


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def run_crawl(
    job: CrawlJob,
    *,
    timeout: float,
    log_path: Path,
    python: str = sys.executable,
    terminate_grace: float = TERMINATE_GRACE_SECONDS,
) -> CrawlOutcome:
    """Crawl ``job.sources`` in a child process; every source gets a stats row, whatever happens."""
    started = time.monotonic()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="peacewatch-crawl-") as workdir:
        job_path = Path(workdir) / "job.json"
        job.result_path = str(Path(workdir) / "result.json")
        job.parent_pid = os.getpid()  # the crawl ends when we do, even by kill -9
        job.write(job_path)
        timed_out = False
        with log_path.open("w", encoding="utf-8") as log:
            child = subprocess.Popen(
                [python, "-m", "crawler.run", str(job_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            with _running_lock:
                _running.add(child)
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                stop_child(child, terminate_grace)
            finally:
                with _running_lock:
                    _running.discard(child)
        duration = time.monotonic() - started
        result_path = Path(job.result_path)
        stats: list[SourceRunStats] = []
        finished = False
        if result_path.exists():
            finished, stats = read_result(result_path)
    error = None
    if timed_out:
        error = f"crawl timed out after {timeout:.0f} s and was stopped"
    elif not stats and job.sources:
        error = f"crawl process exited with code {child.returncode}: {_tail(log_path)}"
    elif not finished:
        error = "crawl was interrupted before it finished"
    known = {s.source_id for s in stats}
    for source in job.sources:
        if source.id not in known:
            stats.append(
                SourceRunStats(source_id=source.id, status="failed", errors=1, error_text=error)
            )
    if error and timed_out:
        for item in stats:
            if item.status != "deferred" and item.articles_new == 0 and item.feeds_ok == 0:
                item.status = "failed"
                item.error_text = item.error_text or error
    return CrawlOutcome(stats, child.returncode, timed_out, duration, error)


def stop_child(child: subprocess.Popen[bytes], grace: float = TERMINATE_GRACE_SECONDS) -> None:
    """SIGTERM (Scrapy closes the spider cleanly), then SIGKILL the whole group after ``grace``."""
    if child.poll() is not None:
        return
    try:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
