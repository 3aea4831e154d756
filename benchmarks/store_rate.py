"""SQLite's write rate for the crawl's own writes, into BENCHMARKS.md (the ingest node's
ceiling in docs/SCALE.md). ``python -m benchmarks.store_rate --write BENCHMARKS.md``.

The archive's 161 articles are analysed and encoded once; then copies of them under new URLs
are stored as the crawl stores them (``save_article``: the article, its full-text index and its
reports, one transaction each) into a fresh WAL database. Wall time per article. The diff's cost
is its own benchmark (``benchmarks.diff``): copies of one article are its worst case, not a
measure of it.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.machine import machine_info
from benchmarks.markdown import table, write_section
from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import SentenceEncoder
from crawler.reports import to_reports
from scheduler.config import ARCHIVE_DIR, load_config, read_analysis_data
from scheduler.demo.articles import load_archive
from storage.db import open_db
from storage.models import Article, Source
from storage.queries import save_article, upsert_sources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="copies of the archive stored")
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args(argv)
    analyzer = Analyzer.from_data(*read_analysis_data(load_config(None).analysis))
    encoder = SentenceEncoder()
    prepared = []
    for item in load_archive(ARCHIVE_DIR):
        text = "\n".join(item.blocks)
        findings = analyzer.analyze(text, language=None, published=item.published.date())
        prepared.append((item, text, to_reports(findings, encoder)))
    with tempfile.TemporaryDirectory(prefix="peacewatch-rate-") as scratch:
        db = open_db(Path(scratch) / "rate.db")
        outlets = sorted({item.outlet for item, _, _ in prepared})
        upsert_sources(db, [Source(o, o, "ru", ()) for o in outlets])
        articles = reports = 0
        started = time.perf_counter()
        for copy in range(args.copies):
            for item, text, found in prepared:
                published = item.published.astimezone(UTC).isoformat(timespec="seconds")
                url = f"https://{item.outlet}.example/{copy}/{item.slug}"
                save_article(
                    db,
                    Article(
                        url=url,
                        fetched_url=url,
                        source_id=item.outlet,
                        title=item.title,
                        published_at=published,
                        published_from="benchmark",
                        language="ru",
                        text=text,
                        content_hash=f"{copy}-{item.slug}",
                        fetched_at=published,
                    ),
                    [dataclasses.replace(report) for report in found],
                )
                articles += 1
                reports += len(found)
        stored = time.perf_counter() - started
        db.close()
    machine = machine_info()
    rows = [
        ["articles stored (copies of the archive)", f"{articles:,} with {reports:,} reports"],
        ["store: articles per second (one transaction each)", f"{articles / stored:.0f}"],
        ["store: ms per article", f"{stored * 1000 / articles:.2f}"],
        ["store: reports per second", f"{reports / stored:.0f}"],
    ]
    section = f"""## SQLite write rate (the ingest node's ceiling)

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Command: `.venv/bin/python -m benchmarks.store_rate
--write BENCHMARKS.md`. Machine: CPUs (nproc) {machine["CPUs (nproc)"]}; {machine["CPU model"]}.
The archive analysed once, then stored {args.copies} times under new URLs as the crawl stores
articles (`save_article`, WAL, one transaction per article, its full-text index and reports
with their vectors); the store grows from empty to {articles:,} articles. Used in
docs/SCALE.md; the diff's cost per report is in "Diff cost" above.

{table(["measure", "value"], rows)}
"""
    print(section)
    if args.write:
        write_section(args.write, section, "store-rate-bench")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
