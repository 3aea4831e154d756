"""Scoring for the diff: how likely a report renders the same utterance as a known statement.

A pure function apart from the diff's SQL (DESIGN §3): values in, a score and its parts out, no
database. Two reports are compared on what survives translation — the encoder's cosine (ru/en),
shared word stems (same language, or ru↔uk), the lexicon's concepts, named entities and
numbers, their distance in time and place — each feature weighted, summed and put through a
logistic. The weights, the bias and the threshold are data here; every weighted contribution
(and the words, concepts, entities and numbers shared) comes back with the score, so a stored
decision can say why it was made. ``storage.diff`` reads the candidates and stores the outcome.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

#: The encoder's languages among ours; Ukrainian is not one of them (DESIGN §12).
ENCODER_LANGUAGES = frozenset({"ru", "en"})
#: Language pairs whose word stems are comparable (ru↔uk share many roots once folded).
STEM_PAIRS = frozenset({frozenset({"ru", "uk"})})
#: A logistic model of "same statement?" over the evidence two reports share. The weights were
#: fitted on 11k labelled same-speaker pairs — the dev set's (claims) and the demo archive's
#: (occasions), balanced — by ``python -m benchmarks.diff_weights``, and rounded. Every
#: contribution is stored with the decision, so ``peacewatch show`` can say why.
WEIGHTS = {
    "cosine": 3.5,  # encoder cosine, both languages the encoder knows (or the same language)
    "cosine_uk": 5.0,  # encoder cosine with Ukrainian on one side: lower values, still telling
    "words": 1.8,  # shared word stems (same language, or ru↔uk), 2×Dice capped at 1
    "concepts": 1.8,  # Jaccard of the lexicon's concepts
    "entities": 0.7,  # Jaccard of the people and bodies named
    "numbers": 5.0,  # Jaccard of the numbers
    "numbers_differ": -1.5,  # both carry numbers, none shared
    "hours_apart": -3.0,  # log(1 + hours) / log(1 + 72): far apart in time, less likely one
    "same_article": -2.0,  # one article rarely renders one utterance twice…
    "continues": 1.2,  # …except as the same speaker's very next report: one set of remarks
}
BIAS = -1.2
#: Hours apart at which the ``hours_apart`` feature reaches its full weight.
HOURS_APART_FULL = 72
#: A report joins the best statement scoring at least this (``DiffParams.threshold``'s default).
THRESHOLD = 0.5
#: With more candidate statements than this, only a shortlist gets the full comparison.
SHORTLIST_STATEMENTS = 8


def parse_time(value: str) -> datetime:
    """A stored ISO time (``Z`` or an offset) as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Claim:
    """What the diff compares: one report's language, features and vector."""

    report_id: int
    language: str
    concepts: frozenset[str]
    entities: frozenset[str]
    numbers: frozenset[str]
    stems: frozenset[str]
    vector: np.ndarray | None = None
    article_id: int = 0
    published: datetime | None = None
    position: int = -1
    recap: bool = False

    @classmethod
    def from_row(cls, row: dict[str, Any], use_embeddings: bool = True) -> Claim:
        """Decode a report's stored columns (JSON features, a float16 vector) into a claim."""
        claim = json.loads(row["claim"] or "{}")
        concepts = {
            c for c in json.loads(row["topic_concepts"] or "[]") if c != "context" and c[:1] != "-"
        }
        vector = None
        if use_embeddings and row.get("embedding"):
            vector = np.frombuffer(row["embedding"], dtype=np.float16).astype(np.float32)
        return cls(
            report_id=row["id"],
            language=row["language"],
            concepts=frozenset(concepts),
            entities=frozenset(claim.get("entities", ())),
            numbers=frozenset(claim.get("numbers", ())),
            stems=frozenset(claim.get("stems", ())),
            vector=vector,
            article_id=row.get("article_id", 0),
            position=row.get("position", -1),
            recap=bool(row.get("recap", False)),
            published=parse_time(row["published_at"]) if row.get("published_at") else None,
        )


@dataclass
class Match:
    """A pair's score (0–1), each feature's weighted contribution, and what the two share."""

    score: float
    parts: dict[str, float] = field(default_factory=dict)
    shared: dict[str, list[str]] = field(default_factory=dict)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def compare(report: Claim, other: Claim) -> Match:
    """How likely two reports render one utterance (0–1), with each piece of evidence's part."""
    features: dict[str, float] = {}
    shared: dict[str, list[str]] = {}
    languages = {report.language, other.language}
    if report.vector is not None and other.vector is not None:
        cosine = round(float(np.dot(report.vector, other.vector)), 3)
        features[
            "cosine" if languages <= ENCODER_LANGUAGES or len(languages) == 1 else "cosine_uk"
        ] = cosine
    stems_comparable = len(languages) == 1 or frozenset(languages) in STEM_PAIRS
    if stems_comparable and report.stems and other.stems:
        features["words"] = min(1.0, 2 * _dice(report.stems, other.stems))
        if report.stems & other.stems:
            shared["words"] = sorted(report.stems & other.stems)
    for name in ("concepts", "entities", "numbers"):
        mine, theirs = getattr(report, name), getattr(other, name)
        if mine and theirs:
            features[name] = _jaccard(mine, theirs)
            if mine & theirs:
                shared[name] = sorted(mine & theirs)
    if report.numbers and other.numbers and not report.numbers & other.numbers:
        features["numbers_differ"] = 1.0
    if report.published is not None and other.published is not None:
        hours = abs((report.published - other.published).total_seconds()) / 3600
        features["hours_apart"] = min(1.0, math.log1p(hours) / math.log1p(HOURS_APART_FULL))
    if report.article_id and report.article_id == other.article_id:
        features["same_article"] = 1.0
        if abs(report.position - other.position) == 1 and report.recap == other.recap:
            features["continues"] = 1.0
    parts = {name: round(WEIGHTS[name] * value, 3) for name, value in features.items()}
    logit = BIAS + sum(parts.values())
    score = 1 / (1 + math.exp(-logit))
    return Match(round(score, 3), parts, shared)


#: A candidate: (statement id, report id, that report's claim).
Pair = tuple[int, int, Claim]


def shortlist(claim: Claim, pairs: list[Pair]) -> list[Pair]:
    """The candidates worth a full comparison, when there are many: the statements whose
    reports are nearest by the encoder (one matrix product for all), and any that shares a
    number or a named entity with the report or stands in its article — the evidence that
    carries Ukrainian, where the encoder is weak."""
    statements = {statement_id for statement_id, _, _ in pairs}
    if len(statements) <= SHORTLIST_STATEMENTS or claim.vector is None:
        return pairs
    with_vectors = [(sid, other.vector) for sid, _, other in pairs if other.vector is not None]
    nearest: dict[int, float] = {}
    if with_vectors:
        cosines = np.stack([vector for _, vector in with_vectors]) @ claim.vector
        for (statement_id, _), cosine in zip(with_vectors, cosines, strict=True):
            nearest[statement_id] = max(nearest.get(statement_id, -1.0), float(cosine))
    keep = set(sorted(nearest, key=nearest.__getitem__, reverse=True)[:SHORTLIST_STATEMENTS])
    for statement_id, _, other in pairs:
        if (
            claim.numbers & other.numbers
            or claim.entities & other.entities
            or claim.article_id == other.article_id
        ):
            keep.add(statement_id)
    return [pair for pair in pairs if pair[0] in keep]


def choose(
    claim: Claim, pairs: Sequence[Pair], threshold: float = THRESHOLD
) -> tuple[int | None, Match | None, dict[str, Any]]:
    """The candidate statement a report most likely renders, if it scores at least
    ``threshold``, with the evidence; else None. The info says how close the choice was: the
    best other statement's score, and the best report (or, below the threshold, the best
    statement and its score)."""
    best: tuple[int, Match, int] | None = None
    runner_up = 0.0
    scores: dict[int, float] = {}
    for statement_id, report_id, other in shortlist(claim, list(pairs)):
        match = compare(claim, other)
        scores[statement_id] = max(scores.get(statement_id, 0.0), match.score)
        if best is None or match.score > best[1].score:
            best = (statement_id, match, report_id)
    if best is not None:
        runner_up = max((s for sid, s in scores.items() if sid != best[0]), default=0.0)
    info: dict[str, Any] = {"runner_up": round(runner_up, 3)}
    if best is None or best[1].score < threshold:
        if best is not None:
            info["best_score"] = best[1].score
            info["best_statement"] = best[0]
        return None, None, info
    info["best_report"] = best[2]
    return best[0], best[1], info
