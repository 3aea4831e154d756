"""Fit the diff's same-statement weights on labelled pairs: ``python -m benchmarks.diff_weights``.

Every labelled article of the dev set and of the demo archive is analysed, stored and aligned
with its labels as ``peacewatch eval`` does; every pair of aligned reports by one speaker that
the diff could compare (within the window, or a recap) becomes one example, its features as
``storage.match_score.compare`` computes them, its answer whether the labels say "same
statement". A logistic regression (plain gradient descent, both sets weighted equally) gives
the weights; they are printed for a person to round into ``storage/match_score.py`` — never
applied automatically.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import SentenceEncoder
from scheduler.config import ARCHIVE_DIR, load_config, read_analysis_data
from scheduler.demo.articles import load_archive
from scheduler.evaluation.clusters import ClusterDoc, archive_docs, devset_docs, store_labelled
from scheduler.evaluation.devset import load_devset
from storage.db import open_db
from storage.match_score import WEIGHTS, Claim, compare

WINDOW_HOURS = 72


def labelled_pairs(
    docs: list[ClusterDoc], analyzer: Analyzer, encoder: SentenceEncoder, scratch: Path
) -> tuple[np.ndarray, np.ndarray]:
    db = open_db(scratch)
    labels = store_labelled(db, analyzer, sorted(docs, key=lambda d: str(d.published)), encoder)
    cursor = db.execute(
        "SELECT r.id, r.article_id, r.position, r.recap, r.claim, r.embedding, r.topic_concepts,"
        " r.speaker, a.language, a.published_at FROM reports r JOIN articles a"
        " ON a.id = r.article_id"
    )
    names = [d[0] for d in cursor.description]
    rows: list[dict[str, Any]] = [dict(zip(names, row, strict=True)) for row in cursor]
    db.close()
    items = [
        (labels[(r["article_id"], r["position"])], r["speaker"], Claim.from_row(r))
        for r in rows
        if (r["article_id"], r["position"]) in labels
    ]
    features, answers = [], []
    for (label_a, speaker_a, a), (label_b, speaker_b, b) in itertools.combinations(items, 2):
        if speaker_a != speaker_b or a.published is None or b.published is None:
            continue
        hours = abs((a.published - b.published).total_seconds()) / 3600
        if hours > WINDOW_HOURS and not (a.recap or b.recap):
            continue
        parts = compare(a, b).parts
        features.append([parts.get(name, 0.0) / WEIGHTS[name] for name in WEIGHTS])
        answers.append(label_a == label_b)
    return np.array(features), np.array(answers, dtype=float)


def fit(features: np.ndarray, answers: np.ndarray, weights: np.ndarray) -> np.ndarray:
    with_bias = np.hstack([features, np.ones((len(features), 1))])
    coefficients = np.zeros(with_bias.shape[1])
    for _ in range(60000):
        predicted = 1 / (1 + np.exp(-with_bias @ coefficients))
        coefficients -= 3.0 * with_bias.T @ ((predicted - answers) * weights) / weights.sum()
    return coefficients


def main() -> int:
    config = load_config(None)
    speakers, topics = read_analysis_data(config.analysis)
    analyzer = Analyzer.from_data(speakers, topics)
    encoder = SentenceEncoder()
    with tempfile.TemporaryDirectory() as scratch:
        dev = labelled_pairs(
            devset_docs(load_devset(config.analysis.devset_path)),
            analyzer,
            encoder,
            Path(scratch) / "dev.db",
        )
        archive = labelled_pairs(
            archive_docs(load_archive(ARCHIVE_DIR)), analyzer, encoder, Path(scratch) / "a.db"
        )
    features = np.vstack([dev[0], archive[0]])
    answers = np.concatenate([dev[1], archive[1]])
    balance = np.concatenate(
        [np.full(len(dev[1]), len(archive[1]) / len(dev[1])), np.ones(len(archive[1]))]
    )
    coefficients = fit(features, answers, balance)
    for name, (_, same) in (("dev set", dev), ("archive", archive)):
        print(f"{name}: {len(same)} pairs, {int(same.sum())} of them one statement")
    for name, value in zip([*WEIGHTS, "bias"], coefficients, strict=True):
        print(f"{name:16} {value:+.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
