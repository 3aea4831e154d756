"""Scoring the diff against labelled statement clusters: one alert per real statement?

Every article is analysed and stored in a scratch SQLite file in publication order, exactly as
a crawl would store it; then the real diff decides. Each label is aligned with its report —
in the dev set by its evidence snippet, in the demo archive (whose labels have none) by the
order of speakers in the article — and the scores compare the diff's statements with the
labelled clusters (``statement = "…"`` in the dev set, ``story = "…"`` in the archive):

- alerts per real statement: alerting statements per real peace-talk statement (aim 1.00);
- wrongly merged: diff statements holding reports of two or more real statements (aim 0);
- wrongly split: extra diff statements a real statement was spread over;
- pair precision/recall: over pairs of aligned reports, "same statement?" as a yes/no call.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import SentenceEncoder
from crawler.reports import to_reports
from scheduler.demo.articles import ArchiveArticle
from scheduler.demo.outlets import OUTLETS
from scheduler.evaluation.devset import Counts, DevArticle, GoldStatement, match_gold
from storage.db import open_db
from storage.diff import DiffParams, decide_pending
from storage.models import Article, Report, Source
from storage.queries import save_article, upsert_sources

EVAL_CHANNEL = "eval"


@dataclass
class ClusterEvaluation:
    real_peace_statements: int = 0
    alerts: int = 0
    missed: int = 0
    wrongly_merged: int = 0
    wrongly_split: int = 0
    pairs: Counts = field(default_factory=Counts)
    aligned_reports: int = 0
    multi_report_clusters: int = 0
    #: occasions (DESIGN §2): fresh ones (some label not a recap) and background ones
    fresh_occasions: int = 0
    fresh_alerts: int = 0
    fresh_missed: int = 0
    background_occasions: int = 0
    background_alerted: int = 0
    #: statements holding aligned reports, and alerting statements that match no labelled
    #: peace-talk occasion (noise)
    statements: int = 0
    alerting: int = 0
    noise: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        def share(part: int, whole: int) -> float:
            return round(part / whole, 3) if whole else 0.0

        return {
            "real_peace_statements": self.real_peace_statements,
            "alerts_per_real_statement": share(self.alerts, self.real_peace_statements),
            "real_statements_without_alert": self.missed,
            "statements_wrongly_merged": self.wrongly_merged,
            "reports_wrongly_split": self.wrongly_split,
            "same_statement_pairs": self.pairs.scores(),
            "aligned_reports": self.aligned_reports,
            "clusters_with_several_reports": self.multi_report_clusters,
            "fresh_occasions": self.fresh_occasions,
            "alerts_per_fresh_occasion": share(self.fresh_alerts, self.fresh_occasions),
            "fresh_occasions_alerted": share(
                self.fresh_occasions - self.fresh_missed, self.fresh_occasions
            ),
            "background_occasions": self.background_occasions,
            "background_occasions_alerted": self.background_alerted,
            "wrong_merges_share": share(self.wrongly_merged, self.statements),
            "alerts": self.alerting,
            "noise_alerts": self.noise,
            "noise_share": share(self.noise, self.alerting),
        }


@dataclass
class ClusterLabel:
    statement: str
    speaker: str
    about_peace_talks: bool
    evidence: str = ""  # a verbatim snippet of the statement, when the labels have one
    recap: bool = False


@dataclass
class ClusterDoc:
    key: str
    source: str
    language: str
    title: str
    published: datetime | None
    text: str
    labels: list[ClusterLabel]


#: The dev set's statement ids name speaker, event and the day they spoke, then the claim
#: ("umerov-istanbul-2025-05-16-exchange-1000-for-1000-soon"): the part through the day is the
#: occasion (DESIGN §2). An id with no full day is an occasion of its own.
_DATED_ID = re.compile(r"^(.*?\d{4}-\d{2}-\d{2})")


def devset_occasion(statement: str) -> str:
    match = _DATED_ID.match(statement)
    return match.group(1) if match else statement


def devset_docs(articles: list[DevArticle]) -> list[ClusterDoc]:
    """The dev set scored by occasion: its claim-level statement ids folded to their day."""
    return [
        ClusterDoc(
            key=f"{a.path.parent.name}/{a.path.stem}",
            source=f"devset-{a.language}",
            language=a.language,
            title=a.title,
            published=a.published,
            text=a.text,
            labels=[
                ClusterLabel(
                    devset_occasion(g.statement),
                    g.speaker,
                    g.about_peace_talks,
                    g.evidence,
                    g.recap,
                )
                for g in a.statements
            ],
        )
        for a in articles
    ]


def archive_occasions(articles: list[ArchiveArticle]) -> dict[str, str]:
    """Story → occasion for the demo archive, whose labels name stories (one claim each): the
    stories of one speaker on one subject first told fresh on one day are one occasion; a story
    never told fresh (only in recaps) is a background occasion of its own."""
    first: dict[str, tuple[str, str, bool]] = {}
    for article in sorted(articles, key=lambda a: a.published):
        for label in article.statements:
            if label.get("recap") or label["story"] in first:
                continue
            day = article.published.astimezone(UTC).date().isoformat()
            first[label["story"]] = (label["speaker"], day, bool(label.get("about_peace_talks")))
    return {
        story: f"{speaker or story}@{day}{'' if peace else '/other'}"
        for story, (speaker, day, peace) in first.items()
    }


def archive_docs(articles: list[ArchiveArticle]) -> list[ClusterDoc]:
    occasions = archive_occasions(articles)
    docs = []
    for article in articles:
        blocks = [b.removeprefix("## ") for b in article.blocks if not b.startswith("{{")]
        docs.append(
            ClusterDoc(
                key=f"{article.outlet}/{article.slug}",
                source=article.outlet,
                language=OUTLETS[article.outlet].language,
                title=article.title,
                published=article.published,
                text="\n\n".join(blocks),
                labels=[
                    ClusterLabel(
                        occasions.get(s["story"], s["story"]),
                        s["speaker"],
                        bool(s.get("about_peace_talks")),
                        recap=bool(s.get("recap")),
                    )
                    for s in article.statements
                ],
            )
        )
    return docs


def align_labels(doc: ClusterDoc, reports: list[Report]) -> dict[int, str]:
    """Report position → labelled statement, by evidence or else by the order of speakers."""
    aligned: dict[int, str] = {}
    if all(label.evidence for label in doc.labels):
        for label in doc.labels:
            gold = GoldStatement(label.speaker, "", False, label.about_peace_talks, label.evidence)
            found = match_gold(gold, doc.text, reports)
            if found is not None:
                aligned[reports.index(found)] = label.statement
        return aligned
    # longest common subsequence of the speaker sequences
    labels, n, m = doc.labels, len(doc.labels), len(reports)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if labels[i].speaker == reports[j].speaker:
                table[i][j] = table[i + 1][j + 1] + 1
            else:
                table[i][j] = max(table[i + 1][j], table[i][j + 1])
    i = j = 0
    while i < n and j < m:
        if labels[i].speaker == reports[j].speaker:
            aligned[j] = labels[i].statement
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return aligned


def evaluate_clusters(
    analyzer: Analyzer,
    docs: list[ClusterDoc],
    params: DiffParams,
    encoder: SentenceEncoder | None = None,
) -> ClusterEvaluation:
    params = DiffParams(
        window_hours=params.window_hours,
        recap_window_days=params.recap_window_days,
        threshold=params.threshold,
        use_embeddings=params.use_embeddings and encoder is not None,
        channels=(EVAL_CHANNEL,),
        background_after_days=params.background_after_days,
        occasion_hours=params.occasion_hours,
    )
    ordered = sorted(docs, key=lambda a: a.published or datetime.min.replace(tzinfo=UTC))
    with tempfile.TemporaryDirectory(prefix="peacewatch-eval-") as scratch:
        db = open_db(Path(scratch) / "eval.db")
        try:
            aligned = store_labelled(db, analyzer, ordered, encoder)
            gold_peace: dict[str, bool] = {}
            gold_fresh: dict[str, bool] = {}
            for article in ordered:
                for label in article.labels:
                    gold_peace[label.statement] = (
                        gold_peace.get(label.statement, False) or label.about_peace_talks
                    )
                    gold_fresh[label.statement] = gold_fresh.get(label.statement, False) or (
                        label.about_peace_talks and not label.recap
                    )
            decide_pending(db, params)
            return _score(db, aligned, gold_peace, gold_fresh)
        finally:
            db.close()


def store_labelled(
    db: Any, analyzer: Analyzer, docs: list[ClusterDoc], encoder: SentenceEncoder | None
) -> dict[tuple[int, int], str]:
    """Analyse and store each document as a crawl would; (article id, position) → its label."""
    upsert_sources(db, [Source(d.source, d.source, d.language, ()) for d in docs])
    aligned: dict[tuple[int, int], str] = {}
    for article in docs:
        published = article.published.astimezone(UTC) if article.published else None
        findings = analyzer.analyze(
            article.text,
            language=article.language,
            published=published.date() if published else None,
            title=article.title,
        )
        reports = to_reports(findings, encoder)
        when = (published or datetime.now(UTC)).isoformat(timespec="seconds")
        article_id = save_article(
            db,
            Article(
                url=f"https://eval.invalid/{article.key}",
                fetched_url="",
                source_id=article.source,
                title=article.title,
                published_at=when,
                published_from="eval",
                language=article.language,
                text=article.text,
                content_hash=hashlib.sha1(article.text.encode()).hexdigest(),
                fetched_at=when,
            ),
            reports,
        )
        if article_id is not None:
            for position, statement in align_labels(article, reports).items():
                aligned[(article_id, position)] = statement
    return aligned


def _score(
    db: Any,
    aligned: dict[tuple[int, int], str],
    gold_peace: dict[str, bool],
    gold_fresh: dict[str, bool] | None = None,
) -> Any:
    result = ClusterEvaluation()
    gold_fresh = gold_peace if gold_fresh is None else gold_fresh
    predicted: dict[tuple[int, int], int] = {}
    alerting: set[int] = set()
    for article_id, position, statement_id, alerted in db.execute(
        "SELECT r.article_id, r.position, r.statement_id, "
        "EXISTS(SELECT 1 FROM alerts WHERE statement_id = r.statement_id) "
        "FROM reports r"
    ).fetchall():
        predicted[(article_id, position)] = statement_id
        if alerted:
            alerting.add(statement_id)
    by_gold: dict[str, set[int]] = defaultdict(set)
    by_predicted: dict[int, set[str]] = defaultdict(set)
    keys = [key for key in aligned if key in predicted]
    result.aligned_reports = len(keys)
    for key in keys:
        by_gold[aligned[key]].add(predicted[key])
        by_predicted[predicted[key]].add(aligned[key])
    for gold, statements in sorted(by_gold.items()):
        if sum(1 for k in keys if aligned[k] == gold) > 1:
            result.multi_report_clusters += 1
        if len(statements) > 1:
            result.wrongly_split += len(statements) - 1
            result.errors.append({"error": "split", "statement": gold, "into": sorted(statements)})
        if gold_peace.get(gold):
            result.real_peace_statements += 1
            alerts = len(statements & alerting)
            result.alerts += alerts
            if alerts == 0:
                result.missed += 1
                result.errors.append({"error": "no alert", "statement": gold})
            if gold_fresh.get(gold):
                result.fresh_occasions += 1
                result.fresh_alerts += alerts
                result.fresh_missed += alerts == 0
            else:
                # alerted about it: in an alerting statement that renders no fresh occasion (one
                # that does is a merge, counted as such)
                about_it = [
                    s
                    for s in statements & alerting
                    if not any(gold_fresh.get(g) for g in by_predicted[s])
                ]
                result.background_occasions += 1
                result.background_alerted += bool(about_it)
                if about_it:
                    result.errors.append(
                        {
                            "error": "background alerted",
                            "statement": gold,
                            "with": sorted(
                                {g for s in statements & alerting for g in by_predicted[s]} - {gold}
                            ),
                        }
                    )
    result.statements = len(by_predicted)
    result.alerting = len(alerting)
    # an alert that renders no labelled peace-talk occasion is noise (its reports are another
    # subject, another speaker, or no statement the labels know)
    result.noise = sum(
        1 for s in alerting if not any(gold_peace.get(g) for g in by_predicted.get(s, ()))
    )
    for statement_id, golds in sorted(by_predicted.items()):
        if len(golds) > 1:
            result.wrongly_merged += 1
            result.errors.append(
                {"error": "merged", "diff_statement": statement_id, "real": sorted(golds)}
            )
    for a, b in combinations(keys, 2):
        same_gold = aligned[a] == aligned[b]
        same_predicted = predicted[a] == predicted[b]
        if same_gold and same_predicted:
            result.pairs.tp += 1
        elif same_predicted:
            result.pairs.fp += 1
        elif same_gold:
            result.pairs.fn += 1
    return result


def cluster_rows(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    pairs = summary["same_statement_pairs"]
    return [
        ("real peace-talk statements", summary["real_peace_statements"]),
        ("alerts per real statement (aim 1.00)", summary["alerts_per_real_statement"]),
        ("real statements without an alert", summary["real_statements_without_alert"]),
        ("statements wrongly merged (aim 0)", summary["statements_wrongly_merged"]),
        ("reports wrongly split", summary["reports_wrongly_split"]),
        (
            "same-statement pairs P / R / F1",
            f"{pairs['precision']} / {pairs['recall']} / {pairs['f1']}",
        ),
    ]
