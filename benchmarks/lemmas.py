"""The search index's cost: dictionary forms (pymorphy3) of statement-sized texts, into
BENCHMARKS.md. ``python -m benchmarks.lemmas --write BENCHMARKS.md``.

Texts: every paragraph of the offline archive (ru, uk, en), as the sentences a report holds;
each timed cold (an empty word cache) and warm, as migration 0012 and a long-running daemon
see them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.machine import machine_info
from benchmarks.markdown import table, write_section
from scheduler.config import ARCHIVE_DIR
from scheduler.demo.articles import load_archive
from storage.lemmas import lemma_text, word_lemmas


def _per_text(texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        lemma_text(text)
    return (time.perf_counter() - started) * 1000 / len(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args(argv)
    texts = [block for article in load_archive(ARCHIVE_DIR) for block in article.blocks if block]
    word_lemmas.cache_clear()
    lemma_text("прогрев")  # load the dictionaries outside the timing
    word_lemmas.cache_clear()
    cold = _per_text(texts)
    warm = statistics.median(_per_text(texts) for _ in range(3))
    chars = statistics.mean(len(t) for t in texts)
    machine = machine_info()
    rows = [
        ["texts (archive paragraphs)", str(len(texts))],
        ["mean length", f"{chars:.0f} characters"],
        ["per text, cold word cache", f"{cold:.2f} ms"],
        ["per text, warm word cache", f"{warm:.3f} ms"],
        [
            "1M statements of ~3 reports (migration 0012), at most (every text cold)",
            f"{cold * 3e6 / 60000:.0f} min",
        ],
    ]
    section = f"""## Search in any word form: the lemma index

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Command: `.venv/bin/python -m benchmarks.lemmas
--write BENCHMARKS.md`. Machine: CPUs (nproc) {machine["CPUs (nproc)"]}; {machine["CPU model"]}.
The diff adds the dictionary forms of each report to its statement (`storage/lemmas.py`);
migration `0012_statement_lemmas` does it once for a store written before.

{table(["measure", "value"], rows)}
"""
    print(section)
    if args.write:
        write_section(args.write, section, "lemmas-bench")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
