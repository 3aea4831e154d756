"""Statement, speaker and topic accuracy on the labelled dev set, into BENCHMARKS.md.

The same figures as ``peacewatch eval``; ``python -m benchmarks.accuracy --write BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.markdown import write_section
from crawler.analysis import Analyzer
from scheduler.config import load_config, read_analysis_data
from scheduler.evaluate import evaluate, load_devset, score_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args(argv)
    config = load_config(None)
    speakers, topics = read_analysis_data(config.analysis)
    articles = load_devset(config.analysis.devset_path)
    summary = evaluate(Analyzer.from_data(speakers, topics), articles).summary()
    rows = [" | ".join(str(cell) for cell in row) for row in score_rows(summary)]
    table = "\n".join(f"| {row} |" for row in rows)
    section = f"""## Statement, speaker and topic accuracy (dev set)

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Command: `.venv/bin/peacewatch eval` (or
`.venv/bin/python -m benchmarks.accuracy --write BENCHMARKS.md`). Dev set: {summary["articles"]}
articles {summary["by_language"]} in `seeds/devset`, written by us, with hard negatives.

| measure | precision | recall | F1 / accuracy |
|---|---|---|---|
{table}
"""
    print(section)
    if args.write:
        write_section(args.write, section, "accuracy-bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
