"""Analysis and the diff on real published news: ``python -m benchmarks.realnews [TEXTS_DIR]``.

The labels are in ``seeds/realnews`` (no article text: see its README); the texts in a
git-ignored folder, by default ``data/realnews/texts``. Scores as ``peacewatch eval`` does,
for the dev split (rules may be tuned on it) and the test split (never), beside the team's
own dev set and the demo archive. ``--write BENCHMARKS.md`` updates its section.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.markdown import table, write_section
from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import SentenceEncoder
from scheduler.config import ARCHIVE_DIR, PROJECT_ROOT, SEEDS_DIR, load_config, read_analysis_data
from scheduler.cycle import diff_params
from scheduler.demo.articles import load_archive
from scheduler.evaluation.clusters import (
    ClusterDoc,
    ClusterLabel,
    archive_docs,
    devset_docs,
    evaluate_clusters,
)
from scheduler.evaluation.devset import DevArticle, evaluate, load_devset
from scheduler.evaluation.realnews import RealSet, load_realnews

DEFAULT_TEXTS = PROJECT_ROOT / "data" / "realnews" / "texts"
DEFAULT_LABELS = SEEDS_DIR / "realnews"


def real_docs(found: RealSet, split: str) -> list[ClusterDoc]:
    return [
        ClusterDoc(
            key=r.id,
            source=r.outlet,
            language=r.article.language,
            title="",
            published=r.article.published,
            text=r.article.text,
            labels=[
                ClusterLabel(g.statement, g.speaker, g.about_peace_talks, g.evidence, g.recap)
                for g in r.article.statements
            ],
        )
        for r in found.articles
        if split in ("all", r.split)
    ]


def _f(score: dict[str, Any]) -> str:
    return f"{score['precision']:.2f} / {score['recall']:.2f} / {score['f1']:.2f}"


def analysis_column(analyzer: Analyzer, articles: list[DevArticle]) -> dict[str, str]:
    if not articles:
        return {}
    summary = evaluate(analyzer, articles).summary()
    column = {
        "articles": f"{summary['articles']} {summary['by_language']}",
        "fresh peace statement in article (P / R / F1)": _f(
            summary["fresh_peace_statement_in_article"]
        ),
        "(article, speaker) pairs (P / R / F1)": _f(
            summary["peace_statement_article_speaker_pairs"]
        ),
        "statements found (P / R / F1)": _f(summary["statements_found"]),
        "speaker accuracy (matched statements)": f"{summary['speaker_accuracy']:.2f}",
        "recap accuracy (matched statements)": f"{summary['recap_accuracy']:.2f}",
    }
    hard = [a for a in articles if a.negative]
    if hard:
        result = evaluate(analyzer, hard).summary()["fresh_peace_statement_in_article"]
        right = 1 - result["fp"] / len(hard)
        column["hard negatives: articles / wrongly found a fresh one / share right"] = (
            f"{len(hard)} / {result['fp']} / {right:.2f}"
        )
    for language in ("ru", "uk", "en"):
        subset = [a for a in articles if a.language == language]
        if subset:
            score = evaluate(analyzer, subset).summary()["fresh_peace_statement_in_article"]
            column[f"fresh-article F1, {language}"] = f"{score['f1']:.2f}"
    return column


def cluster_column(analyzer: Analyzer, docs: list[ClusterDoc], config: Any) -> dict[str, str]:
    if not docs:
        return {}
    summary = evaluate_clusters(analyzer, docs, diff_params(config), SentenceEncoder()).summary()
    return {
        "fresh peace-talk occasions": str(summary["fresh_occasions"]),
        "alerts per fresh occasion (aim ≤ 1.10)": f"{summary['alerts_per_fresh_occasion']:.2f}",
        "fresh occasions alerted (aim ≥ 95%)": f"{summary['fresh_occasions_alerted']:.0%}",
        "background occasions / alerted (aim 0)": (
            f"{summary['background_occasions']} / {summary['background_occasions_alerted']}"
        ),
        "wrong merges, share of statements (aim ≤ 2%)": (
            f"{summary['statements_wrongly_merged']} ({summary['wrong_merges_share']:.1%})"
        ),
        "alerts / noise, share (aim ≤ 5%)": (
            f"{summary['alerts']} / {summary['noise_alerts']} ({summary['noise_share']:.0%})"
        ),
        "reports wrongly split": str(summary["reports_wrongly_split"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("texts", nargs="?", type=Path, default=DEFAULT_TEXTS)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args(argv)
    if not args.texts.is_dir():
        print(
            f"benchmarks.realnews: no texts folder at {args.texts}: the real-news texts are "
            f"not part of the project; fetch them as {args.labels / 'README.md'} says. "
            "Nothing measured."
        )
        return 0
    found = load_realnews(args.labels, args.texts)
    for line in found.problems:
        print(f"label problem: {line}", file=sys.stderr)
    if found.missing_texts:
        print(f"{len(found.missing_texts)} labelled articles have no text in {args.texts}")
    if not found.articles:
        print("benchmarks.realnews: no labelled article has its text; nothing measured.")
        return 0
    config = load_config(None)
    speakers, topics = read_analysis_data(config.analysis)
    analyzer = Analyzer.from_data(speakers, topics)
    devset = load_devset(config.analysis.devset_path)
    archive = archive_docs(load_archive(ARCHIVE_DIR))
    columns = {
        "real set, dev split": analysis_column(analyzer, found.select("dev"))
        | cluster_column(analyzer, real_docs(found, "dev"), config),
        "real set, test split": analysis_column(analyzer, found.select("test"))
        | cluster_column(analyzer, real_docs(found, "test"), config),
        "our dev set": analysis_column(analyzer, devset)
        | cluster_column(analyzer, devset_docs(devset), config),
        "demo archive": cluster_column(analyzer, archive, config),
    }
    measures: list[str] = []
    for column in columns.values():
        measures += [m for m in column if m not in measures]
    rows = [[m] + [columns[c].get(m, "") for c in columns] for m in measures]
    outlets = Counter(r.outlet for r in found.articles)
    hard = Counter(r.hard for r in found.articles if r.hard)
    languages = dict(Counter(r.article.language for r in found.articles))
    hard_kinds = ", ".join(f"{k} {v}" for k, v in sorted(hard.items()))
    missing = (
        f"{len(found.missing_texts)} labelled articles had no text at hand and are not counted."
        if found.missing_texts
        else ""
    )
    section = f"""## Accuracy on real news (the real-news set)

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Command: `.venv/bin/python -m benchmarks.realnews
data/realnews/texts --write BENCHMARKS.md`. {len(found.articles)} real articles published
2025–2026 by {len(outlets)} outlets ({languages}),
{sum(hard.values())} of them hard negatives ({hard_kinds});
labels in `seeds/realnews` (no text), texts fetched again by each label's query (see its
README). The test split (a third, by article id) is never used to tune a rule.
{missing}
Measures as `peacewatch eval`: an article counts as having a fresh peace-talk statement when
one is labelled (not a recap); pairs are (article, speaker) of such statements; statements are
matched by the overlap of their words with the labelled span.

Occasions (DESIGN §2, issue 13): every article of the column is analysed and stored in
publication order and the real diff decides, as a crawl would. An occasion is fresh when one of
its labels is not a recap, background otherwise. Alerts per fresh occasion counts the alerting
statements holding its reports; a background occasion is alerted when an alerting statement
holds it and no fresh occasion; a wrong merge is a statement holding two occasions (share of
all statements); noise is an alert whose statement holds no labelled peace-talk occasion. The
real set's labels give occasion ids; the dev set's claim-level ids are folded to their day
(`umerov-istanbul-2025-05-16-…` → `umerov-istanbul-2025-05-16`); the archive's stories to
speaker, subject and the day they were first told fresh (`scheduler/evaluation/clusters.py`).
Some real-set merges are labels that date one occasion on two days.

{table(["measure", *columns], rows)}
"""
    print(section)
    if args.write:
        write_section(args.write, section, "realnews-bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
