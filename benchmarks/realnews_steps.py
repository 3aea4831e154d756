"""One row of BENCHMARKS.md "Real news, rule by rule": the analysis of another checkout
(a commit's worktree) scored on this checkout's labels and the real-news texts.

    git worktree add ../wt COMMIT
    python -m benchmarks.realnews_steps --code ../wt [TEXTS_DIR]

The worktree's own ``crawler`` and ``scheduler`` (and its gazetteer and lexicon) do the
analysis; the labels are always this checkout's, so every commit is measured on the same set.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
DEFAULT_TEXTS = HERE / "data" / "realnews" / "texts"
DEFAULT_LABELS = HERE / "seeds" / "realnews"


def _f(score: dict[str, Any]) -> str:
    return f"{score['precision']:.2f} / {score['recall']:.2f} / {score['f1']:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("texts", nargs="?", type=Path, default=DEFAULT_TEXTS)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--code", type=Path, required=True, help="the checkout to measure")
    args = parser.parse_args(argv)
    if not args.texts.is_dir():
        print(f"benchmarks.realnews_steps: no texts folder at {args.texts}; nothing measured.")
        return 0
    # the measured checkout's modules, not this one's: imported only after the path is set
    sys.path.insert(0, str(args.code.resolve()))
    from crawler.analysis.analyzer import Analyzer
    from scheduler.config import SEEDS_DIR, load_config, read_analysis_data
    from scheduler.evaluation.devset import evaluate, load_devset
    from scheduler.evaluation.realnews import load_realnews

    analyzer = Analyzer.from_data(*read_analysis_data(load_config(None).analysis))
    found = load_realnews(args.labels.resolve(), args.texts.resolve())
    cells: list[str] = []
    for split in ("dev", "test"):
        articles = found.select(split)
        result = evaluate(analyzer, articles)
        hard = [a for a in articles if a.negative]
        wrong = evaluate(analyzer, hard).articles.fp
        cells += [_f(result.articles.scores()), _f(result.pairs.scores())]
        if split == "dev":
            cells.append(_f(result.statements.scores()))
        cells += [f"{result.summary()['speaker_accuracy']:.2f}", f"{wrong} of {len(hard)}"]
    devset = evaluate(analyzer, load_devset(SEEDS_DIR / "devset"))
    cells.append(_f(devset.pairs.scores()))
    print(" | ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
