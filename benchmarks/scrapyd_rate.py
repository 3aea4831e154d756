"""The crawl through scrapyd against the local backend, same replay, same run (issue 15).

``python -m benchmarks.scrapyd_rate --articles 600 --write BENCHMARKS.md``

1. Serves a loopback replay of N synthetic articles over 10 outlets (as benchmarks.crawl).
2. Starts two real scrapyd servers on 127.0.0.1 and deploys the crawler egg to both.
3. For each backend (local, one scrapyd server, two), a fresh database and one full cycle:
   crawl, ingest (analysis included), diff, alerts. Wall time, articles per second; then a
   second cycle over the unchanged replay (the cost of a cycle with nothing new).
4. Ingest on the node alone: one job's export, read again into a fresh database, with the
   node's analysis and without it (as if the workers had analysed), articles per second.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.crawl import write_config
from benchmarks.machine import machine_info
from benchmarks.markdown import table, write_section
from benchmarks.replay import build_replay
from crawler.build import code_digest
from crawler.ingest import ingest_export, read_export
from scheduler.config import Config, load_config
from scheduler.cycle import run_cycle
from scheduler.demo.server import ArchiveServer, ArchiveSite
from scheduler.scrapyd.backend import remote_crawl
from scheduler.scrapyd.deploy import deploy, servers_of
from storage.db import open_db
from storage.queries import upsert_sources
from tests.scrapydserver import scrapyd_servers


def _config(site: ArchiveSite, directory: Path, urls: list[str], articles: int) -> Config:
    directory.mkdir(parents=True)
    config = load_config(
        write_config(site, directory, concurrency=4, timeout=1800, max_articles=articles)
    )
    backend = "scrapyd" if urls else "local"
    crawl = dataclasses.replace(
        config.crawl, backend=backend, scrapyd_urls=tuple(urls), scrapyd_poll_seconds=0.5
    )
    return dataclasses.replace(config, crawl=crawl)


def _cycle(config: Config) -> tuple[float, int, float]:
    """(seconds, articles stored, seconds of a second cycle with nothing new)."""
    started = time.perf_counter()
    report = run_cycle(config)
    took = time.perf_counter() - started
    if report.status != "ok":
        raise RuntimeError(f"the cycle did not succeed: {report.error}")
    again = time.perf_counter()
    if run_cycle(config).articles_new:
        raise RuntimeError("the second cycle found new articles in an unchanged replay")
    return took, report.articles_new, time.perf_counter() - again


def _ingest_alone(config: Config, export: Path, job_id: str, directory: Path) -> list[list[str]]:
    body = export.read_bytes()
    rows = []
    for label, analyse in (
        ("with the node's analysis (as built)", remote_crawl(config).analyse),
        ("store only (analysis on the workers)", None),
    ):
        fresh = dataclasses.replace(config, storage_path=directory / f"{len(rows)}.db")
        db = open_db(fresh.storage_path)
        upsert_sources(db, list(config.sources))
        reading = read_export(body, job_id)
        ids = [s.id for s in config.sources]
        started = time.perf_counter()
        outcome = ingest_export(db, job_id, reading, ids, node_code=code_digest(), analyse=analyse)
        took = time.perf_counter() - started
        db.close()
        count = outcome.articles_new
        rows.append(
            [
                f"ingest {label}",
                f"{count / took:.1f} articles/s ({took * 1000 / count:.1f} ms each)",
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args(argv)
    site = ArchiveSite(build_replay(args.articles, 10), day=1)
    results: dict[str, list[tuple[float, int, float]]] = {}
    with (
        ArchiveServer(site, port=0),
        tempfile.TemporaryDirectory(prefix="peacewatch-scrapyd-bench-") as tmp,
        scrapyd_servers(Path(tmp) / "workers", 2) as workers,
    ):
        urls = [w.url for w in workers]
        probe = _config(site, Path(tmp) / "probe", urls, args.articles)
        if not all(d.ok for d in deploy(servers_of(probe.crawl), probe.crawl.scrapyd_project)):
            raise RuntimeError("the egg could not be deployed")
        backends = {"local": [], "scrapyd, 1 server": urls[:1], "scrapyd, 2 servers": urls}
        for rep in range(args.repeat):
            for label, chosen in backends.items():
                config = _config(site, Path(tmp) / f"{rep}-{len(chosen)}", chosen, args.articles)
                results.setdefault(label, []).append(_cycle(config))
                print(label, results[label][-1], flush=True)
        export = max(workers[0].items_dir.rglob("*.jl"), key=lambda p: p.stat().st_size)
        export_kib = export.stat().st_size // 1024
        ingest_rows = _ingest_alone(probe, export, export.stem, Path(tmp))
    local_rate = statistics.median(n / s for s, n, _ in results["local"])
    rows = []
    for label, runs in results.items():
        rate = statistics.median(n / s for s, n, _ in runs)
        idle = statistics.median(i for _, _, i in runs)
        rows.append(
            [
                label,
                f"{runs[0][1]}",
                f"{statistics.median(s for s, _, _ in runs):.1f}",
                f"{rate:.1f}",
                f"{rate / local_rate:.2f}",
                f"{idle:.2f}",
            ]
        )
    machine = machine_info()
    section = f"""## The crawl on scrapyd against the local backend

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Command: `.venv/bin/python -m benchmarks.scrapyd_rate
--articles {args.articles} --repeat {args.repeat} --write BENCHMARKS.md`.
Machine: CPUs (nproc) {machine["CPUs (nproc)"]}; {machine["CPU model"]}.
One replay of {args.articles} synthetic articles over 10 outlets on loopback; two real scrapyd
servers on 127.0.0.1 **on the same 2-core machine** as the node; for each backend a fresh
database and one whole cycle (crawl, ingest with the analysis, diff, alerts), median of
{args.repeat}, backends interleaved. "Nothing new": a second cycle over the unchanged replay
(every feed answers 304). Two servers on one 2-core machine share its two cores with the node,
so "2 servers" shows the cost of spreading and collecting jobs, not what a second machine adds;
a crawl across the network waits on the sites, not on the CPU (docs/SCALE.md).

{table(["backend", "articles", "cycle s", "articles/s", "× local", "nothing new, s"], rows)}

Ingest on the node alone (one job's export of {export_kib} KiB read again
into a fresh database, no crawl running):

{table(["measure", "value"], ingest_rows)}
"""
    print(section)
    if args.write:
        write_section(args.write, section, "scrapyd-bench")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
