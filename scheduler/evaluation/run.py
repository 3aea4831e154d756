"""``peacewatch eval`` as a whole: the dev set's statement, speaker and topic scores, and the
statement clusters the diff makes of the dev set and of the demo archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import SentenceEncoder
from scheduler.config import ARCHIVE_DIR, Config
from scheduler.cycle import diff_params
from scheduler.demo.articles import load_archive
from scheduler.evaluation.clusters import (
    archive_docs,
    cluster_rows,
    devset_docs,
    evaluate_clusters,
)
from scheduler.evaluation.devset import evaluate, load_devset, score_rows
from scheduler.output import table


def evaluate_everything(
    analyzer: Analyzer, config: Config, devset: Path | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The summary and every disagreement with the labels; ValueError when the set is empty."""
    articles = load_devset(devset or config.analysis.devset_path)
    if not articles:
        raise ValueError("the dev set is empty")
    result = evaluate(analyzer, articles)
    summary = result.summary()
    encoder = SentenceEncoder() if config.diff.encoder else None
    params = diff_params(config)
    clusters = evaluate_clusters(analyzer, devset_docs(articles), params, encoder)
    summary["clusters"] = clusters.summary()
    archive = evaluate_clusters(analyzer, archive_docs(load_archive(ARCHIVE_DIR)), params, encoder)
    summary["archive_clusters"] = archive.summary()
    return summary, result.errors + clusters.errors


def summary_text(summary: dict[str, Any]) -> str:
    rows = zip(
        cluster_rows(summary["clusters"]), cluster_rows(summary["archive_clusters"]), strict=True
    )
    return "\n".join(
        [
            f"dev set: {summary['articles']} articles {summary['by_language']}",
            table(("measure", "precision", "recall", "F1 / accuracy"), score_rows(summary)),
            "",
            "statement clusters (the diff), dev set | demo archive:",
            table(("measure", "dev set", "archive"), [(a[0], a[1], b[1]) for a, b in rows]),
        ]
    )
