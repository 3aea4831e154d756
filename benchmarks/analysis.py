"""Speed and memory of the statement analysis: ``python -m benchmarks.analysis``.

Times ``Analyzer.analyze`` on every archive article of 3–5 KB of text (and on all of them),
the start-up (loading the gazetteer with its word forms, the lexicon and pymorphy3), and the
process's peak memory afterwards.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from datetime import UTC, datetime

from benchmarks.machine import machine_info
from benchmarks.markdown import write_section
from crawler.analysis.analyzer import Analyzer
from scheduler.config import ARCHIVE_DIR, load_config, read_analysis_data
from scheduler.demo.articles import load_archive
from scheduler.demo.outlets import OUTLETS


def _text(blocks: list[str]) -> str:
    return "\n\n".join(
        b[3:] if b.startswith("## ") else b for b in blocks if not b.startswith("{{")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", help="update this markdown file's section")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    speakers, topics = read_analysis_data(load_config(None).analysis)
    analyzer = Analyzer.from_data(speakers, topics)
    analyzer.analyze("Песков заявил, что Кремль готов к переговорам.", language="ru")
    startup = time.perf_counter() - started

    articles = [(a, _text(a.blocks)) for a in load_archive(ARCHIVE_DIR)]
    sized = [(a, t) for a, t in articles if 3000 <= len(t.encode("utf-8")) <= 5000]
    timings_sized: list[float] = []
    timings_all: list[float] = []
    reports = 0
    for _ in range(args.rounds):
        for article, text in articles:
            t0 = time.perf_counter()
            found = analyzer.analyze(
                text, language=OUTLETS[article.outlet].language, published=article.published.date()
            )
            elapsed = (time.perf_counter() - t0) * 1000
            timings_all.append(elapsed)
            if 3000 <= len(text.encode("utf-8")) <= 5000:
                timings_sized.append(elapsed)
            reports += len(found)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1]

    machine = "; ".join(f"{k} {v}" for k, v in machine_info().items())
    section = f"""## Statement analysis speed and memory

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Command: `.venv/bin/python -m benchmarks.analysis \
--write BENCHMARKS.md`. Machine: {machine}.

`Analyzer.analyze` (statements, speakers, topic) on the archive's article texts, {args.rounds}
rounds; {len(sized)} of the {len(articles)} articles have 3–5 KB of text.

| measure | value |
|---|---|
| median per 3–5 KB article | {statistics.median(timings_sized):.1f} ms (aim ≤ 20 ms) |
| p95 per 3–5 KB article | {p95(timings_sized):.1f} ms |
| median / p95 over all {len(articles)} articles | {statistics.median(timings_all):.1f} / \
{p95(timings_all):.1f} ms |
| start-up: gazetteer word forms, lexicon, pymorphy3 (ru+uk) | {startup:.2f} s |
| peak memory of this process (Python + analysis) | {peak_mb:.0f} MB (aim ≤ 500 MB for a crawl) |
| reports per article (mean) | {reports / len(timings_all):.1f} |
"""
    print(section)
    if args.write:
        from pathlib import Path

        write_section(Path(args.write), section, "analysis-bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
