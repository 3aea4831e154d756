"""Extraction quality and speed on ../shared/extraction-benchmark (181 pages, hand-made bodies).

Compares trafilatura alone (its defaults) with peacewatch's extractor (trafilatura in fast
mode plus our boilerplate rules), by the token precision / recall / F1 that the benchmark's
authors use. The data stays in ../shared; nothing is copied into the project.

    .venv/bin/python -m benchmarks.extraction --write BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import trafilatura

from benchmarks.machine import machine_info
from benchmarks.markdown import write_section
from crawler.extract import ExtractionError, extract_article

DATA = Path(__file__).resolve().parents[2] / "shared" / "extraction-benchmark"
FETCHED = datetime(2019, 11, 20, tzinfo=UTC)


def _tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def score(predicted: str, truth: str) -> tuple[float, float, float]:
    got, want = _tokens(predicted), _tokens(truth)
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def trafilatura_alone(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url) or ""


def peacewatch(html: str, url: str) -> str:
    try:
        return extract_article(html, url, fetched_at=FETCHED).text
    except ExtractionError:
        return ""


def evaluate(
    extractor: Callable[[str, str], str], pages: list[tuple[str, str, str]]
) -> dict[str, float]:
    scores: list[tuple[float, float, float]] = []
    started = time.perf_counter()
    for html, url, truth in pages:
        scores.append(score(extractor(html, url), truth))
    elapsed = time.perf_counter() - started
    return {
        "precision": statistics.fmean(s[0] for s in scores),
        "recall": statistics.fmean(s[1] for s in scores),
        "f1": statistics.fmean(s[2] for s in scores),
        "ms_per_page": 1000 * elapsed / len(pages),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: {DATA} is absent", file=sys.stderr)
        return 0
    truth = json.loads((DATA / "ground-truth.json").read_text(encoding="utf-8"))
    pages = [
        (
            gzip.decompress((DATA / "html" / f"{key}.html.gz").read_bytes()).decode(
                "utf-8", errors="replace"
            ),
            item["url"],
            item["articleBody"],
        )
        for key, item in sorted(truth.items())
    ]
    results = {
        "trafilatura alone (defaults)": evaluate(trafilatura_alone, pages),
        "peacewatch extract_article": evaluate(peacewatch, pages),
    }
    rows = "\n".join(
        f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | "
        f"{r['ms_per_page']:.1f} |"
        for name, r in results.items()
    )
    ours, alone = results["peacewatch extract_article"], results["trafilatura alone (defaults)"]
    verdict = "no worse than" if ours["f1"] >= alone["f1"] - 0.005 else "WORSE than"
    machine = "; ".join(f"{k} {v}" for k, v in machine_info().items())
    section = f"""## Extraction quality (shared/extraction-benchmark)

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Command: `.venv/bin/python -m benchmarks.extraction \
--write BENCHMARKS.md`. Machine: {machine}.

{len(pages)} real pages with hand-made article bodies (scrapinghub's article-extraction-benchmark,
MIT, mostly English news of 2019); token precision / recall / F1 averaged over pages.

| extractor | precision | recall | F1 | ms/page |
|---|---|---|---|---|
{rows}

peacewatch's extractor is {verdict} trafilatura alone on this set (F1 {ours["f1"]:.3f} vs
{alone["f1"]:.3f}); it runs trafilatura in fast mode, reads dates and titles from JSON-LD and
meta tags first, and drops boilerplate paragraphs.
"""
    print(section)
    if args.write:
        write_section(args.write, section, "extraction-bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
