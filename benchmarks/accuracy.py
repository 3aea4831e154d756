"""Statement, speaker and topic accuracy on the labelled dev set, into BENCHMARKS.md.

The same figures as ``peacewatch eval``; ``python -m benchmarks.accuracy --write BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.markdown import write_section
from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import SentenceEncoder
from scheduler.config import ARCHIVE_DIR, load_config, read_analysis_data
from scheduler.cycle import diff_params
from scheduler.demo.articles import load_archive
from scheduler.evaluation.clusters import archive_docs, cluster_rows, devset_docs, evaluate_clusters
from scheduler.evaluation.devset import evaluate, load_devset, score_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args(argv)
    config = load_config(None)
    speakers, topics = read_analysis_data(config.analysis)
    articles = load_devset(config.analysis.devset_path)
    analyzer = Analyzer.from_data(speakers, topics)
    summary = evaluate(analyzer, articles).summary()
    rows = [" | ".join(str(cell) for cell in row) for row in score_rows(summary)]
    table = "\n".join(f"| {row} |" for row in rows)
    encoder = SentenceEncoder()
    clusters = evaluate_clusters(analyzer, devset_docs(articles), diff_params(config), encoder)
    archive = evaluate_clusters(
        analyzer, archive_docs(load_archive(ARCHIVE_DIR)), diff_params(config), encoder
    )
    cluster_table = "\n".join(
        f"| {a[0]} | {a[1]} | {b[1]} |"
        for a, b in zip(
            cluster_rows(clusters.summary()), cluster_rows(archive.summary()), strict=True
        )
    )
    section = f"""## Statement, speaker and topic accuracy (dev set)

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Command: `.venv/bin/peacewatch eval` (or
`.venv/bin/python -m benchmarks.accuracy --write BENCHMARKS.md`). Dev set: {summary["articles"]}
articles {summary["by_language"]} in `seeds/devset`, written by us, with hard negatives.

| measure | precision | recall | F1 / accuracy |
|---|---|---|---|
{table}

Statement clusters (the diff, `storage/diff.py`): every article analysed and stored in a
scratch database in publication order, the real diff run over it, each label aligned with its
report (dev set: by its evidence; archive: by the order of speakers, its labels have no
evidence); `statement = "…"` / `story = "…"` in the labels names the real-world statement
({clusters.multi_report_clusters} real statements are rendered by several reports, across
articles and languages).

| measure | dev set | demo archive |
|---|---|---|
{cluster_table}

The two label sets cut differently. The dev set labels claims (DESIGN §2: one speaker, one
occasion, one claim): its articles were written independently, so one claim is worded very
differently across them. The archive's stories are occasions — all an interview or a press
conference said, several claims (see its README) — so the diff, which works at claim level,
gives about two alerts per story: one per claim an outlet carried. The main claim of each
story carried by several outlets is one alert naming all of them in 9 of the 10 stories of the
archive README's table (`tests/e2e/test_demo.py`). Splits (a duplicate alert) are the price of
a threshold that keeps wrong merges (a new claim hidden in an old statement) rare.
"""
    print(section)
    if args.write:
        write_section(args.write, section, "accuracy-bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
