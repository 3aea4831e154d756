"""Scoring the analysis against the labelled dev set (``seeds/devset``): ``peacewatch eval``.

A gold statement is found when a report's span contains its ``evidence`` snippet. Scores:
- articles: does the article carry a fresh (non-recap) peace-talk statement? P/R/F1;
- pairs: (article, speaker) of peace-talk statements, P/R/F1;
- statements: gold statements found / reports that match a gold statement (P/R/F1);
- speaker, kind and recap accuracy over the gold statements that were found.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from crawler.analysis.analyzer import Analyzer


@dataclass
class GoldStatement:
    speaker: str
    kind: str
    recap: bool
    about_peace_talks: bool
    evidence: str
    statement: str = ""  # the real-world statement (cluster) this rendering belongs to


@dataclass
class DevArticle:
    path: Path
    language: str
    title: str
    published: datetime | None
    text: str
    negative: bool
    statements: list[GoldStatement]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def scores(self) -> dict[str, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class Evaluation:
    articles: Counts = field(default_factory=Counts)
    pairs: Counts = field(default_factory=Counts)
    statements: Counts = field(default_factory=Counts)
    speaker_right: int = 0
    kind_right: int = 0
    recap_right: int = 0
    matched: int = 0
    by_language: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        def accuracy(right: int) -> float:
            return round(right / self.matched, 3) if self.matched else 0.0

        return {
            "articles": sum(self.by_language.values()),
            "by_language": self.by_language,
            "fresh_peace_statement_in_article": self.articles.scores(),
            "peace_statement_article_speaker_pairs": self.pairs.scores(),
            "statements_found": self.statements.scores(),
            "speaker_accuracy": accuracy(self.speaker_right),
            "kind_accuracy": accuracy(self.kind_right),
            "recap_accuracy": accuracy(self.recap_right),
            "statements_matched": self.matched,
        }


def score_rows(summary: dict[str, Any]) -> list[tuple[str, Any, Any, Any]]:
    """(measure, precision, recall, F1 or accuracy) rows for a table of a summary."""
    rows: list[tuple[str, Any, Any, Any]] = []
    for key in (
        "fresh_peace_statement_in_article",
        "peace_statement_article_speaker_pairs",
        "statements_found",
    ):
        score = summary[key]
        rows.append((key, score["precision"], score["recall"], score["f1"]))
    for key in ("speaker_accuracy", "kind_accuracy", "recap_accuracy"):
        rows.append((key, "", "", summary[key]))
    return rows


def _fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("-", " ")


def load_devset(root: Path) -> list[DevArticle]:
    articles = []
    for path in sorted(root.glob("*/*.md")):
        raw = path.read_text(encoding="utf-8")
        _, front, body = raw.split("+++", 2)
        meta = tomllib.loads(front)
        text = "\n\n".join(" ".join(p.split()) for p in body.strip().split("\n\n") if p.strip())
        published = meta.get("published")
        articles.append(
            DevArticle(
                path=path,
                language=meta.get("language", path.parent.name),
                title=meta.get("title", ""),
                published=datetime.fromisoformat(published) if published else None,
                text=text,
                negative=bool(meta.get("negative", False)),
                statements=[
                    GoldStatement(
                        speaker=s["speaker"],
                        kind=s["kind"],
                        recap=bool(s.get("recap", False)),
                        about_peace_talks=bool(s.get("about_peace_talks", False)),
                        evidence=" ".join(s["evidence"].split()),
                        statement=s.get("statement") or f"{path.parent.name}/{path.stem}#{i}",
                    )
                    for i, s in enumerate(meta.get("statements", []), 1)
                ],
            )
        )
    return articles


class Span(Protocol):
    start: int
    end: int


S = TypeVar("S", bound=Span)


def match_gold(gold: GoldStatement, text: str, reports: Sequence[S]) -> S | None:
    """The report (a finding or a stored report) that covers the label's evidence."""
    position = text.find(gold.evidence)
    if position < 0:
        return None
    end = position + len(gold.evidence)
    for report in reports:
        if report.start <= position and end <= report.end + 2:
            return report
    for report in reports:  # a partly overlapping span still counts as found
        if report.start < end and position < report.end:
            return report
    return None


def evaluate(analyzer: Analyzer, articles: list[DevArticle]) -> Evaluation:
    result = Evaluation()
    for article in articles:
        result.by_language[article.language] = result.by_language.get(article.language, 0) + 1
        published = article.published.date() if article.published else None
        reports = analyzer.analyze(
            article.text, language=article.language, published=published, title=article.title
        )
        gold_fresh = any(s.about_peace_talks and not s.recap for s in article.statements)
        pred_fresh = any(r.about_peace_talks and not r.recap for r in reports)
        _count(result.articles, gold_fresh, pred_fresh)
        if gold_fresh != pred_fresh:
            result.errors.append(
                {
                    "article": article.path.name,
                    "error": "fresh peace statement",
                    "gold": gold_fresh,
                    "predicted": pred_fresh,
                }
            )
        gold_pairs = {_fold(s.speaker) for s in article.statements if s.about_peace_talks}
        pred_pairs = {_fold(r.speaker) for r in reports if r.about_peace_talks}
        result.pairs.tp += len(gold_pairs & pred_pairs)
        result.pairs.fp += len(pred_pairs - gold_pairs)
        result.pairs.fn += len(gold_pairs - pred_pairs)
        for extra in sorted(pred_pairs - gold_pairs):
            result.errors.append(
                {"article": article.path.name, "error": "extra pair", "speaker": extra}
            )
        for missing in sorted(gold_pairs - pred_pairs):
            result.errors.append(
                {"article": article.path.name, "error": "missing pair", "speaker": missing}
            )
        used: set[int] = set()
        for gold in article.statements:
            report = match_gold(gold, article.text, reports)
            if report is None:
                result.statements.fn += 1
                result.errors.append(
                    {
                        "article": article.path.name,
                        "error": "not found",
                        "speaker": gold.speaker,
                        "evidence": gold.evidence,
                    }
                )
                continue
            used.add(id(report))
            result.statements.tp += 1
            result.matched += 1
            result.speaker_right += _fold(report.speaker) == _fold(gold.speaker)
            result.kind_right += report.kind == gold.kind
            result.recap_right += report.recap == gold.recap
            if _fold(report.speaker) != _fold(gold.speaker):
                result.errors.append(
                    {
                        "article": article.path.name,
                        "error": "speaker",
                        "gold": gold.speaker,
                        "predicted": report.speaker,
                        "as_written": report.speaker_as_written,
                    }
                )
            if report.kind != gold.kind:
                result.errors.append(
                    {
                        "article": article.path.name,
                        "error": "kind",
                        "gold": gold.kind,
                        "evidence": gold.evidence,
                    }
                )
        spurious = [r for r in reports if id(r) not in used]
        result.statements.fp += len(spurious)
        for report in spurious:
            result.errors.append(
                {
                    "article": article.path.name,
                    "error": "spurious",
                    "speaker": report.speaker,
                    "text": report.text[:80],
                }
            )
    return result


def _count(counts: Counts, gold: bool, predicted: bool) -> None:
    if gold and predicted:
        counts.tp += 1
    elif predicted:
        counts.fp += 1
    elif gold:
        counts.fn += 1
