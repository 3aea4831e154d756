"""The daemon over many short cycles (resident memory) and from a feed change to the alert mail.

``python -m benchmarks.daemon [--cycles 200] [--interval-seconds 30] [--write BENCHMARKS.md]``

Everything runs on loopback: the offline archive (``ArchiveServer``, day 1) and an aiosmtpd
server; ``peacewatch daemon -v`` is a real subprocess with its own scratch home (deleted
afterwards).

1. Memory: one small archive outlet, a tiny interval (0.01 min), so the daemon runs cycle
   after cycle; after the first one the feed answers 304 and a cycle is one short crawl
   subprocess. The daemon process's VmRSS and VmHWM (``/proc/PID/status``, not its crawl
   children) are read as each cycle's row appears in ``runs`` (``finished_at`` set), up to
   ``--cycles``; then SIGTERM, and the exit code must be 0.
2. Latency: a few archive outlets every ``--interval-seconds``, alerts to the log and to the
   SMTP server (security none, one mail per alert). Once the cycle at start has run and
   day 1's mails are accepted, the benchmark waits for the next feed poll, then for a chosen
   part of the interval (``--phases``; 0 = just after a poll, the worst case), and makes
   day 2's items appear (T0). The latency is the time from T0 to the SMTP server accepting
   the first mail about a day-2 statement. Each repeat has a fresh home and daemon.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import shlex
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.machine import machine_info
from benchmarks.markdown import table, write_section
from scheduler.config import ARCHIVE_DIR, PROJECT_ROOT
from scheduler.demo.articles import ArchiveArticle, load_archive
from scheduler.demo.server import ArchiveServer, ArchiveSite
from tests.e2e.test_daemon import write_config
from tests.smtpserver import Recorder, smtp_server

MEMORY_OUTLET = "unian-en"  # one feed, 8 articles on day 1
LATENCY_OUTLETS = ("unian-ru", "kyiv-independent", "interfax-ru")
MEMORY_INTERVAL_MINUTES = 0.01
MEMORY_MARKS = (1, 10, 50, 100, 150, 200)
SENDER = "peacewatch@example.org"
RECIPIENT = "analyst@example.org"
POLL_S = 0.1


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- probes -----------------------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of one process, in KiB (empty once it has gone)."""
    values: dict[str, int] = {}
    try:
        lines = Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines()
    except OSError:
        return values
    for line in lines:
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def query(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows from the daemon's database, read-only; none while it has no tables yet."""
    if not db_path.exists():
        return []
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return []
    try:
        return list(db.execute(sql, params).fetchall())
    except sqlite3.Error:
        return []
    finally:
        db.close()


def finished_cycles(db_path: Path) -> int:
    rows = query(db_path, "SELECT COUNT(*) FROM runs WHERE finished_at IS NOT NULL")
    return int(rows[0][0]) if rows else 0


def wait_for(condition: Callable[[], bool], timeout: float, what: str, daemon: Daemon) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if daemon.process.poll() is not None:
            raise RuntimeError(f"the daemon exited ({daemon.process.returncode}) before {what}")
        time.sleep(POLL_S)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


# -- the daemon as a subprocess ---------------------------------------------------------------


@dataclass
class Daemon:
    home: Path
    config: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def db_path(self) -> Path:
        return self.home / "data" / "peacewatch.db"

    @classmethod
    def start(cls, home: Path, config: Path) -> Daemon:
        log_path = home / "daemon.log"
        with log_path.open("wb") as log:  # a file, not a pipe: nobody has to drain it
            process = subprocess.Popen(
                [sys.executable, "-m", "scheduler.cli", "--config", str(config), "daemon", "-v"],
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        return cls(home, config, process, log_path)

    def stop(self, timeout: float = 60) -> tuple[int, float]:
        """SIGTERM; the exit code and how long the daemon took to exit."""
        began = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"the daemon did not stop within {timeout:.0f} s") from None
        return code, time.monotonic() - began

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def cycle_durations(self) -> list[float]:
        rows = query(
            self.db_path,
            "SELECT duration_s FROM runs WHERE finished_at IS NOT NULL ORDER BY id",
        )
        return [float(r[0]) for r in rows if r[0] is not None]


#: APScheduler's note that a run fell due while the previous cycle still ran (and was dropped):
#: expected when the interval is shorter than a cycle, as in the memory run.
OVERLAP = "skipped: maximum number of running instances reached"


def warnings_in(log: str) -> list[str]:
    """WARNING and ERROR lines of a daemon's log, except the overlapping-run notes."""
    return [
        line
        for line in log.splitlines()
        if (" WARNING " in line or " ERROR " in line) and OVERLAP not in line
    ]


# -- 1. memory over cycles --------------------------------------------------------------------


@dataclass
class Sample:
    cycles: int
    at_s: float  # since the daemon started
    rss_kib: int
    hwm_kib: int


@dataclass
class MemoryResult:
    outlet: str
    samples: list[Sample]
    exit_code: int
    stop_s: float
    durations: list[float]
    warnings: list[str]
    overlaps: int
    stopped_line: str
    total_s: float

    def at(self, cycles: int) -> Sample | None:
        return next((s for s in self.samples if s.cycles >= cycles), None)

    def per_minute(self, first: int) -> float:
        start, end = self.at(first), self.samples[-1]
        if start is None or end.cycles <= start.cycles:
            return 0.0
        return 60 * (end.cycles - start.cycles) / (end.at_s - start.at_s)


def measure_memory(articles: list[ArchiveArticle], cycles: int) -> MemoryResult:
    began = time.monotonic()
    server = ArchiveServer(ArchiveSite(articles, day=1)).start()
    try:
        with tempfile.TemporaryDirectory(prefix="peacewatch-daemon-bench-") as scratch:
            home = Path(scratch)
            config = write_config(
                server, home, outlets=(MEMORY_OUTLET,), interval=MEMORY_INTERVAL_MINUTES
            )
            daemon = Daemon.start(home, config)
            started = time.monotonic()
            samples: list[Sample] = []
            seen = 0
            try:
                deadline = started + 60 + 30 * cycles
                while seen < cycles:
                    if daemon.process.poll() is not None:
                        raise RuntimeError(
                            f"the daemon exited ({daemon.process.returncode}) after {seen} "
                            f"cycle(s):\n{daemon.log_text()[-3000:]}"
                        )
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"only {seen} of {cycles} cycles in time")
                    count = finished_cycles(daemon.db_path)
                    if count > seen:
                        status = proc_status(daemon.process.pid)
                        seen = count
                        samples.append(
                            Sample(
                                count,
                                time.monotonic() - started,
                                status.get("VmRSS", 0),
                                status.get("VmHWM", 0),
                            )
                        )
                        if count == 1 or count % 10 == 0 or count >= cycles:
                            _say(
                                f"memory: {count}/{cycles} cycles, "
                                f"{time.monotonic() - started:.0f} s, "
                                f"RSS {samples[-1].rss_kib / 1024:.1f} MiB"
                            )
                    time.sleep(POLL_S)
            finally:
                code, stop_s = daemon.stop()
            log = daemon.log_text()
            stopped = next((x for x in log.splitlines() if "daemon stopped" in x), "")
            return MemoryResult(
                MEMORY_OUTLET,
                samples,
                code,
                stop_s,
                daemon.cycle_durations(),
                warnings_in(log),
                log.count(OVERLAP),
                stopped.split("daemon stopped", 1)[-1].strip(),
                time.monotonic() - began,
            )
    finally:
        server.stop()


# -- 2. feed change to alert ------------------------------------------------------------------


class TimedSite(ArchiveSite):
    """The archive, with the monotonic time of every request it answered."""

    def __init__(self, articles: list[ArchiveArticle], day: int = 1) -> None:
        super().__init__(articles, day)
        self.timed_log: list[tuple[float, str, int]] = []

    def log(self, host: str, path: str, status: int) -> None:
        super().log(host, path, status)
        with self._lock:
            self.timed_log.append((time.monotonic(), path, status))


@dataclass
class Accepted:
    at: float  # monotonic, when the DATA was accepted
    subject: str
    body: str

    @classmethod
    def parse(cls, at: float, content: bytes) -> Accepted:
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        part = message.get_body(("plain",))
        body = str(part.get_content()) if part is not None else ""
        return cls(at, str(message.get("Subject", "")), body)


@dataclass
class TimedRecorder(Recorder):
    """``Recorder`` that also keeps when each message was accepted."""

    accepted: list[Accepted] = field(default_factory=list)
    guard: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        accepted = Accepted.parse(time.monotonic(), bytes(envelope.content))
        with self.guard:
            self.accepted.append(accepted)
        return reply

    def snapshot(self) -> list[Accepted]:
        with self.guard:
            return list(self.accepted)


@dataclass
class LatencyResult:
    phase: float
    day1_mails: int
    day1_alerts: int
    warmup_s: float
    latency_s: float
    poll_after_s: float  # T0 → the first feed request answered with day 2's feed (200)
    mail_after_poll_s: float  # that poll → the first day-2 mail accepted
    day2_subject: str
    cycle_s: float  # the day-2 cycle's duration_s (crawl, diff, record; before delivery)
    quiet_cycle_s: float  # median duration_s of the day-1 cycles after the first
    first_cycle_s: float
    exit_code: int
    warnings: list[str]


def email_config(config: Path, port: int) -> None:
    body = config.read_text(encoding="utf-8")
    body = body.replace("[alerts]\n", '[alerts]\nchannels = ["log", "email"]\n', 1)
    # the production default: the cycle delivers its own alerts, the timer only retries
    body = body.replace("alert_retry_minutes = 0.05", "alert_retry_minutes = 1")
    body += (
        "\n[alerts.email]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        'security = "none"\n'
        f'sender = "{SENDER}"\n'
        f'recipients = ["{RECIPIENT}"]\n'
        'mode = "immediate"\n'
        "timeout_seconds = 10\n"
    )
    config.write_text(body, encoding="utf-8")


def feed_paths(site: ArchiveSite, outlets: tuple[str, ...]) -> set[str]:
    return {urlsplit(url).path for o in outlets for url, _ in site.feed_urls(o)}


def measure_latency(
    articles: list[ArchiveArticle], interval_s: float, phase: float, repeat: int
) -> LatencyResult:
    site = TimedSite(articles, day=1)
    server = ArchiveServer(site).start()
    recorder = TimedRecorder()
    try:
        with (
            smtp_server(recorder) as port,
            tempfile.TemporaryDirectory(prefix="peacewatch-daemon-bench-") as scratch,
        ):
            home = Path(scratch)
            config = write_config(
                server, home, outlets=LATENCY_OUTLETS, interval=interval_s / 60, timeout=300
            )
            email_config(config, port)
            feeds = feed_paths(site, LATENCY_OUTLETS)
            # without the scheme: the stored URL is the page's canonical one (https)
            day2_urls = [site.url_of(a).split("://", 1)[1] for a in articles if a.day == 2]
            daemon = Daemon.start(home, config)
            started = time.monotonic()
            try:

                def day1_delivered() -> bool:
                    rows = query(
                        daemon.db_path,
                        "SELECT COUNT(*), SUM(status = 'sent') FROM alerts "
                        "WHERE channel = 'email' AND type = 'statement'",
                    )
                    if finished_cycles(daemon.db_path) < 1 or not rows or not rows[0][0]:
                        return False
                    total, sent = rows[0]
                    return bool(sent == total and len(recorder.snapshot()) >= total)

                wait_for(day1_delivered, 600, "day 1's mails", daemon)
                warmup_s = time.monotonic() - started
                day1_alerts = query(
                    daemon.db_path, "SELECT COUNT(*) FROM alerts WHERE channel = 'email'"
                )[0][0]
                day1_mails = len(recorder.snapshot())
                _say(
                    f"latency {repeat}: day 1 delivered after {warmup_s:.0f} s "
                    f"({day1_mails} mails); waiting for the next feed poll"
                )
                # the next poll: every feed requested again (304) after this point
                mark = len(site.timed_log)

                def polled() -> bool:
                    return feeds <= {path for _, path, _ in site.timed_log[mark:]}

                wait_for(polled, 2 * interval_s + 120, "the next feed poll", daemon)
                time.sleep(phase * interval_s)
                t0 = time.monotonic()
                site.day = 2
                _say(f"latency {repeat}: day 2 at phase {phase:g} of the interval")

                def day2_mail() -> Accepted | None:
                    for got in recorder.snapshot():
                        if got.at > t0 and any(url in got.body for url in day2_urls):
                            return got
                    return None

                wait_for(lambda: day2_mail() is not None, 4 * interval_s + 300, "day 2", daemon)
                first = day2_mail()
                assert first is not None
                poll = next(
                    (
                        t
                        for t, path, status in list(site.timed_log)
                        if t > t0 and status == 200 and path in feeds
                    ),
                    t0,
                )
                day2_cycle = query(
                    daemon.db_path,
                    "SELECT duration_s FROM runs WHERE finished_at IS NOT NULL "
                    "AND statements_new > 0 ORDER BY id DESC LIMIT 1",
                )
                durations = daemon.cycle_durations()
            finally:
                code, _ = daemon.stop()
            latency = first.at - t0
            _say(f"latency {repeat}: {latency:.1f} s ({first.subject[:60]})")
            quiet = durations[1:-1] or durations
            return LatencyResult(
                phase,
                day1_mails,
                int(day1_alerts),
                warmup_s,
                latency,
                poll - t0,
                first.at - poll,
                first.subject,
                float(day2_cycle[0][0]) if day2_cycle else 0.0,
                statistics.median(quiet),
                durations[0],
                code,
                warnings_in(daemon.log_text()),
            )
    finally:
        server.stop()


# -- report -----------------------------------------------------------------------------------


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def render(
    memory: MemoryResult,
    latencies: list[LatencyResult],
    interval_s: float,
    command: str,
    total_s: float,
) -> str:
    machine = "; ".join(f"{k} {v}" for k, v in machine_info().items())
    marks = sorted({m for m in MEMORY_MARKS if m <= memory.samples[-1].cycles})
    marks = sorted({*marks, memory.samples[-1].cycles})
    base = memory.at(10) or memory.samples[0]
    last = memory.samples[-1]
    ratio = last.rss_kib / base.rss_kib if base.rss_kib else 0.0
    memory_rows = []
    for mark in marks:
        sample = memory.at(mark)
        if sample is None:
            continue
        memory_rows.append(
            [
                str(sample.cycles),
                f"{sample.at_s:.0f} s",
                _mib(sample.rss_kib),
                f"{sample.rss_kib / base.rss_kib:.3f}" if base.rss_kib else "–",
                _mib(sample.hwm_kib),
            ]
        )
    quiet = memory.durations[1:] or memory.durations
    per_minute = memory.per_minute(10)
    latency_rows = [
        [
            str(i),
            f"{r.phase:g}",
            f"{r.day1_alerts} / {r.day1_mails}",
            f"**{r.latency_s:.1f} s**",
            f"{r.poll_after_s:.1f} s",
            f"{r.mail_after_poll_s:.1f} s",
            f"{r.cycle_s:.1f} s",
            f"{r.quiet_cycle_s:.1f} s",
            str(r.exit_code),
        ]
        for i, r in enumerate(latencies, 1)
    ]
    worst = max((r.latency_s for r in latencies), default=0.0)
    aim = interval_s + 10
    new_cycle = max((r.mail_after_poll_s for r in latencies), default=0.0)
    warnings = memory.warnings + [w for r in latencies for w in r.warnings]
    parts = [
        "## Daemon: memory over cycles, feed change to alert",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {total_s:.0f} s in all. Command "
        "(`make bench`), from the project root:",
        "",
        f"```\n{command}\n```",
        "",
        f"Machine: {machine}.",
        "",
        "`peacewatch daemon -v` runs as a subprocess with a scratch home, against the offline "
        "archive served on loopback (`ArchiveServer`) and, for the alerts, an aiosmtpd server "
        "on 127.0.0.1 (security none, one mail per alert).",
        "",
        f"**Memory over cycles.** One archive outlet (`{memory.outlet}`, one feed, 8 articles "
        f"on day 1), `interval_minutes = {MEMORY_INTERVAL_MINUTES:g}`, alerts to the log "
        "only. The first cycle fetches, analyses and decides day 1; after it the feed answers "
        "304, so each cycle is one crawl subprocess that gets a 304, a diff with nothing to "
        "decide, health and delivery. VmRSS and VmHWM of the daemon process itself (its crawl "
        "subprocesses are not counted) are read from `/proc/PID/status` as each cycle's row in "
        "`runs` gets its `finished_at` (the daemon may still be delivering then).",
        "",
        table(
            ["cycles finished", "since start", "VmRSS", "× RSS after 10", "VmHWM"],
            memory_rows,
        ),
        "",
        f"RSS after {last.cycles} cycles / after {base.cycles}: **{ratio:.3f}** (aim ≤ 1.1). "
        f"{per_minute:.1f} cycles per minute after the 10th; `duration_s` of a 304 cycle: "
        f"median {statistics.median(quiet):.2f} s, max {max(quiet):.2f} s; the first cycle "
        f"(day 1's articles) {memory.durations[0]:.1f} s. SIGTERM: exit code "
        f"{memory.exit_code} after {memory.stop_s:.1f} s (log: “daemon stopped "
        f"{memory.stopped_line}”). A cycle outlasts the {60 * MEMORY_INTERVAL_MINUTES:g} s "
        "interval, so runs falling due meanwhile are dropped (`coalesce`, `max_instances = 1`; "
        f"APScheduler logged {memory.overlaps} such skips) and the next cycle starts at the "
        "next tick after one ends.",
        "",
        f"**Feed change → alert accepted by SMTP.** Outlets {', '.join(LATENCY_OUTLETS)}, "
        f"`interval_minutes = {interval_s / 60:g}` ({interval_s:g} s), "
        '`channels = ["log", "email"]`, `mode = "immediate"`, `alert_retry_minutes = 1`. '
        "Each repeat is a fresh home and daemon: its catch-up cycle at start crawls day 1 and "
        "mails its alerts; once they are all accepted the benchmark waits for the next feed "
        "poll (every feed requested again, 304), then for *phase* × interval, and at T0 makes "
        "day 2's items appear in the feeds. Latency = the SMTP server accepting the first "
        "mail about a day-2 statement − T0. *Wait* is T0 → the first feed answered with "
        "day 2 (200); *new-items cycle* is that poll → the mail; the day-2 cycle's "
        "`duration_s` is crawl + diff + record (delivery follows it).",
        "",
        table(
            [
                "repeat",
                "phase",
                "day-1 alerts / mails",
                "latency",
                "wait",
                "new-items cycle",
                "day-2 cycle `duration_s`",
                "304 cycle `duration_s` (median)",
                "exit code",
            ],
            latency_rows,
        ),
        "",
        f"Max latency **{worst:.1f} s** (aim ≤ interval + 10 s = {aim:g} s). The worst case "
        "is an item that appears just after a poll (phase 0): the cycles start on the "
        "trigger's fixed ticks and each crawl subprocess polls its feeds at about the same "
        "offset from its start, so the next poll comes one full interval later; then that "
        "cycle works on the new items (fetching the pages, analysing and encoding them, "
        "deciding) and sends the mail. So the bound is one interval of waiting plus one "
        "cycle's duration. Here the cycle with new items took up to "
        f"{max((r.cycle_s for r in latencies), default=0.0):.1f} s (`duration_s`, from its "
        f"start to its record) and up to {new_cycle:.1f} s from its poll to the first mail "
        "accepted; a cycle with nothing new (304) "
        f"{statistics.median([r.quiet_cycle_s for r in latencies] or [0.0]):.1f} s.",
    ]
    verdict = [
        "",
        "What it shows: "
        + f"resident memory {'is flat' if ratio <= 1.1 else 'grows'} over {last.cycles} cycles "
        + f"(×{ratio:.3f}, {'within' if ratio <= 1.1 else 'over'} the 1.1 aim)"
        + "; "
        + (
            f"a new item is mailed within {worst:.1f} s, inside interval + 10 s."
            if worst <= aim
            else f"a new item took up to {worst:.1f} s to be mailed, over interval + 10 s."
        ),
    ]
    if warnings:
        verdict += ["", f"Warnings in the daemons' logs ({len(warnings)}):", ""]
        verdict += [f"- `{w.strip()[:200]}`" for w in warnings[:10]]
    return "\n".join(parts + verdict)


# -- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.daemon", description=__doc__)
    parser.add_argument("--cycles", type=int, default=200, help="cycles for the memory figure")
    parser.add_argument(
        "--interval-seconds", type=float, default=30, help="the sources' interval for latency"
    )
    parser.add_argument(
        "--phases",
        default="0,0.5,0.9",
        help="when day 2 appears after a poll, as parts of the interval; one repeat each",
    )
    parser.add_argument("--write", type=Path, help="write the results into this Markdown file")
    return parser.parse_args(argv)


def _interpreter() -> str:
    path = Path(sys.executable)
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cycles < 1:
        raise SystemExit("--cycles must be at least 1")
    phases = [float(p) for p in args.phases.split(",") if p.strip()]
    began = time.monotonic()
    command = shlex.join(
        [_interpreter(), "-m", "benchmarks.daemon", *(sys.argv[1:] if argv is None else argv)]
    )
    articles = load_archive(ARCHIVE_DIR)
    memory = measure_memory(articles, args.cycles)
    latencies = [
        measure_latency(articles, args.interval_seconds, phase, i)
        for i, phase in enumerate(phases, 1)
    ]
    text = render(memory, latencies, args.interval_seconds, command, time.monotonic() - began)
    print(text)
    if args.write:
        write_section(args.write, text, "daemon-bench")
        _say(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
