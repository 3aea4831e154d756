"""The diff: every new report joins the statement it renders, or becomes a new statement.

One real-world utterance is reported by many outlets in three languages, in different words,
and repeated as background for months. A report is compared only with statements of the same
speaker said close to it in time (an index on ``(speaker, said_at)`` finds them; recaps look
further back). Within that small set, claims are compared on what survives translation — the
encoder's cosine (ru/en), shared word stems (same language, or ru↔uk), the lexicon's concepts,
named entities and numbers — and the report joins the best statement scoring above a
threshold. Every decision is stored with its score and the features that made it.

A new statement about peace talks queues one alert per channel in the same transaction, so a
crash can never leave a statement without its alert or an alert without its statement.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlite_utils import Database

from storage.db import write_transaction
from storage.queries import utc_now

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
#: Statements compared at most on each side of a report's time (nearest first); a recap looks
#: further back, at more of them. Beyond these, a speaker quoted this often within the window
#: is assumed to be saying something else: a bounded cost per decision, whatever the store.
MAX_CANDIDATES_EACH_SIDE = 40
MAX_CANDIDATES_RECAP = 120
#: Reports of one candidate statement compared at most (the earliest ones): a statement carried
#: by dozens of outlets is recognised by its first few renderings as well as by all of them.
MAX_REPORTS_PER_STATEMENT = 6
#: With more candidate statements than this, only a shortlist gets the full comparison.
SHORTLIST_STATEMENTS = 8
#: Decoded claims kept between decisions (a candidate's reports recur for every new report).
CLAIM_CACHE_SIZE = 20000


@dataclass(frozen=True)
class DiffParams:
    window_hours: float = 72
    recap_window_days: float = 400
    threshold: float = 0.5
    use_embeddings: bool = True
    channels: tuple[str, ...] = ()


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
            published=_parse_time(row["published_at"]) if row.get("published_at") else None,
        )


@dataclass
class Match:
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
        features["hours_apart"] = min(1.0, math.log1p(hours) / math.log1p(72))
    if report.article_id and report.article_id == other.article_id:
        features["same_article"] = 1.0
        if abs(report.position - other.position) == 1 and report.recap == other.recap:
            features["continues"] = 1.0
    parts = {name: round(WEIGHTS[name] * value, 3) for name, value in features.items()}
    logit = BIAS + sum(parts.values())
    score = 1 / (1 + math.exp(-logit))
    return Match(round(score, 3), parts, shared)


@dataclass
class DiffOutcome:
    reports_decided: int = 0
    statements_new: int = 0
    alerts_queued: int = 0
    statements_new_by_source: dict[str, int] = field(default_factory=dict)
    new_statement_ids: list[int] = field(default_factory=list)

    def add(self, other: DiffOutcome) -> None:
        self.reports_decided += other.reports_decided
        self.statements_new += other.statements_new
        self.alerts_queued += other.alerts_queued
        for source, count in other.statements_new_by_source.items():
            self.statements_new_by_source[source] = (
                self.statements_new_by_source.get(source, 0) + count
            )
        self.new_statement_ids += other.new_statement_ids


_REPORT_COLUMNS = """
    r.id, r.article_id, r.position, r.speaker, r.speaker_as_written, r.kind, r.text, r.recap,
    r.about_peace_talks, r.topic_score, r.topic_concepts, r.topic_terms, r.claim, r.embedding,
    a.language, a.source_id, a.url, a.title, a.published_at, a.fetched_at
"""


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _rows(db: Database, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def undecided_article_ids(db: Database) -> list[int]:
    """Articles with reports the diff has not decided yet, oldest publication first (ties by
    URL, so the same store gives the same decisions whatever order the crawl stored it in)."""
    return [
        row[0]
        for row in db.execute(
            """
            SELECT a.id FROM articles a
            WHERE a.id IN (SELECT article_id FROM reports WHERE statement_id IS NULL)
            ORDER BY a.published_at, a.url
            """
        ).fetchall()
    ]


def decide_pending(db: Database, params: DiffParams, run_id: int | None = None) -> DiffOutcome:
    """Decide every undecided report, one article per transaction (a crash loses nothing)."""
    outcome = DiffOutcome()
    cache: dict[int, Claim] = {}
    for article_id in undecided_article_ids(db):
        with write_transaction(db):
            reports = _rows(
                db,
                f"SELECT {_REPORT_COLUMNS} FROM reports r JOIN articles a ON a.id = r.article_id "
                "WHERE r.article_id = ? AND r.statement_id IS NULL ORDER BY r.position",
                [article_id],
            )
            for report in reports:
                decide_report(db, report, params, run_id, outcome, cache)
    return outcome


def _candidates(db: Database, report: dict[str, Any], params: DiffParams) -> list[dict[str, Any]]:
    """The speaker's statements nearest in time on either side, at most a fixed number.

    Two range reads of the ``(speaker, said_at)`` index, each stopping after ``limit`` rows:
    the cost of a decision does not grow with the store, nor with how often a speaker talks.
    """
    when = _parse_time(report["published_at"])
    after = timedelta(hours=params.window_hours)
    before = timedelta(days=params.recap_window_days) if report["recap"] else after
    limit = MAX_CANDIDATES_RECAP if report["recap"] else MAX_CANDIDATES_EACH_SIDE
    earlier = _rows(
        db,
        "SELECT id, said_at FROM statements WHERE speaker = ? AND said_at BETWEEN ? AND ? "
        "ORDER BY said_at DESC LIMIT ?",
        [report["speaker"], _iso(when - before), report["published_at"], limit],
    )
    later = _rows(
        db,
        "SELECT id, said_at FROM statements WHERE speaker = ? AND said_at > ? AND said_at <= ? "
        "ORDER BY said_at LIMIT ?",
        [report["speaker"], report["published_at"], _iso(when + after), MAX_CANDIDATES_EACH_SIDE],
    )
    return earlier[::-1] + later


def _candidate_reports(db: Database, statement_ids: Iterable[int]) -> list[dict[str, Any]]:
    ids = list(statement_ids)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return _rows(
        db,
        f"""
        SELECT r.id, r.statement_id, r.article_id, r.position, r.recap, r.claim, r.embedding,
               r.topic_concepts,
               a.language, a.published_at
        FROM reports r JOIN articles a ON a.id = r.article_id
        WHERE r.statement_id IN ({marks})
        ORDER BY r.statement_id, r.id
        """,
        ids,
    )


def _claim(row: dict[str, Any], params: DiffParams, cache: dict[int, Claim] | None) -> Claim:
    if cache is None:
        return Claim.from_row(row, params.use_embeddings)
    claim = cache.get(row["id"])
    if claim is None:
        if len(cache) >= CLAIM_CACHE_SIZE:
            cache.clear()
        claim = cache[row["id"]] = Claim.from_row(row, params.use_embeddings)
    return claim


def _shortlist(claim: Claim, pairs: list[tuple[int, int, Claim]]) -> list[tuple[int, int, Claim]]:
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


def best_match(
    db: Database,
    report: dict[str, Any],
    params: DiffParams,
    cache: dict[int, Claim] | None = None,
) -> tuple[int | None, Match | None, dict[str, Any]]:
    """The statement this report most likely renders, with the evidence, or None."""
    candidates = _candidates(db, report, params)
    claim = Claim.from_row(report, params.use_embeddings)
    best: tuple[int, Match, int] | None = None
    runner_up = 0.0
    per_statement: dict[int, int] = {}
    pairs: list[tuple[int, int, Claim]] = []
    for row in _candidate_reports(db, (c["id"] for c in candidates)):
        statement_id = row["statement_id"]
        per_statement[statement_id] = per_statement.get(statement_id, 0) + 1
        if per_statement[statement_id] <= MAX_REPORTS_PER_STATEMENT:
            pairs.append((statement_id, row["id"], _claim(row, params, cache)))
    scores: dict[int, float] = {}
    for statement_id, report_id, other in _shortlist(claim, pairs):
        match = compare(claim, other)
        scores[statement_id] = max(scores.get(statement_id, 0.0), match.score)
        if best is None or match.score > best[1].score:
            best = (statement_id, match, report_id)
    if best is not None:
        runner_up = max((s for sid, s in scores.items() if sid != best[0]), default=0.0)
    info: dict[str, Any] = {"candidates": len(candidates), "runner_up": round(runner_up, 3)}
    if best is None or best[1].score < params.threshold:
        if best is not None:
            info["best_score"] = best[1].score
            info["best_statement"] = best[0]
        return None, None, info
    info["best_report"] = best[2]
    return best[0], best[1], info


def decide_report(
    db: Database,
    report: dict[str, Any],
    params: DiffParams,
    run_id: int | None,
    outcome: DiffOutcome,
    cache: dict[int, Claim] | None = None,
) -> int:
    statement_id, match, info = best_match(db, report, params, cache)
    if statement_id is None or match is None:
        statement_id = _create_statement(db, report, run_id)
        reason = {"decision": "new", **info}
        outcome.statements_new += 1
        outcome.new_statement_ids.append(statement_id)
        source = report["source_id"]
        outcome.statements_new_by_source[source] = (
            outcome.statements_new_by_source.get(source, 0) + 1
        )
        score = None
        if report["about_peace_talks"]:
            outcome.alerts_queued += _queue_alerts(db, statement_id, params.channels, run_id)
    else:
        reason = {
            "decision": "joined",
            "statement": statement_id,
            "score": match.score,
            "parts": match.parts,
            "shared": match.shared,
            **info,
        }
        score = match.score
        became_peace = _join_statement(db, statement_id, report)
        if became_peace:
            outcome.alerts_queued += _queue_alerts(db, statement_id, params.channels, run_id)
    db.execute(
        "UPDATE reports SET statement_id = ?, match_score = ?, match_reason = ? WHERE id = ?",
        [statement_id, score, json.dumps(reason, ensure_ascii=False), report["id"]],
    )
    outcome.reports_decided += 1
    return statement_id


def _rank(report: dict[str, Any]) -> tuple[int, int, str]:
    """Which rendering speaks for a statement: fresh over recap, quoted over paraphrased."""
    return (int(report["recap"]), int(report["kind"] != "direct"), report["published_at"])


def _create_statement(db: Database, report: dict[str, Any], run_id: int | None) -> int:
    now = utc_now()
    features = json.loads(report["claim"] or "{}")
    cursor = db.execute(
        """
        INSERT INTO statements (speaker, speaker_as_written, text, language, kind, said_at,
            first_seen_at, lead_report_id, first_article_id, first_outlet, first_url, title,
            outlets, outlet_count, report_count, languages, renderings, about_peace_talks,
            first_seen_via_recap, topic_score, topic_concepts, topic_terms, features,
            created_run_id, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            report["speaker"],
            report["speaker_as_written"],
            report["text"],
            report["language"],
            report["kind"],
            report["published_at"],
            report["fetched_at"],
            report["id"],
            report["article_id"],
            report["source_id"],
            report["url"],
            report["title"],
            json.dumps([report["source_id"]]),
            json.dumps([report["language"]]),
            int(report["about_peace_talks"]),
            int(report["recap"]),
            report["topic_score"],
            report["topic_concepts"],
            report["topic_terms"],
            json.dumps(features, ensure_ascii=False),
            run_id,
            now,
        ],
    )
    statement_id = cursor.lastrowid
    assert statement_id is not None
    return statement_id


def _merge_list(current: str, new: Iterable[str]) -> str:
    values = list(json.loads(current or "[]"))
    for value in new:
        if value not in values:
            values.append(value)
    return json.dumps(values, ensure_ascii=False)


def _join_statement(db: Database, statement_id: int, report: dict[str, Any]) -> bool:
    """Fold one more report into its statement; True when that made it a peace-talk one."""
    row = _rows(db, "SELECT * FROM statements WHERE id = ?", [statement_id])[0]
    first = _rows(
        db,
        "SELECT r.recap, r.kind, a.published_at FROM reports r JOIN articles a "
        "ON a.id = r.article_id WHERE r.id = ?",
        [row["lead_report_id"]],
    )
    updates: dict[str, Any] = {
        "report_count": row["report_count"] + 1,
        "outlets": _merge_list(row["outlets"], [report["source_id"]]),
        "languages": _merge_list(row["languages"], [report["language"]]),
        "topic_concepts": _merge_list(
            row["topic_concepts"], json.loads(report["topic_concepts"] or "[]")
        ),
        "topic_terms": _merge_list(row["topic_terms"], json.loads(report["topic_terms"] or "[]")),
        "topic_score": max(row["topic_score"], report["topic_score"]),
        "updated_at": utc_now(),
    }
    updates["outlet_count"] = len(json.loads(updates["outlets"]))
    if report["language"] not in json.loads(row["languages"]):
        updates["renderings"] = (row["renderings"] + "\n" + report["text"]).strip()
    features = json.loads(row["features"] or "{}")
    for key, values in json.loads(report["claim"] or "{}").items():
        features[key] = sorted(set(features.get(key, [])) | set(values))
    updates["features"] = json.dumps(features, ensure_ascii=False)
    lead_is_recap = bool(first and first[0]["recap"])
    if not report["recap"] and (lead_is_recap or report["published_at"] < row["said_at"]):
        updates.update(
            said_at=report["published_at"],
            first_outlet=report["source_id"],
            first_url=report["url"],
            first_article_id=report["article_id"],
            title=report["title"],
        )
    if first and _rank(report) < _rank(first[0]):
        updates.update(
            text=report["text"],
            language=report["language"],
            kind=report["kind"],
            speaker_as_written=report["speaker_as_written"],
            lead_report_id=report["id"],
        )
    # a recap never makes a known statement alert (DESIGN §1): only a fresh report upgrades it
    became_peace = (
        bool(report["about_peace_talks"]) and not report["recap"] and not row["about_peace_talks"]
    )
    if became_peace:
        updates["about_peace_talks"] = 1
    assignments = ", ".join(f"{name} = ?" for name in updates)
    db.execute(
        f"UPDATE statements SET {assignments} WHERE id = ?", [*updates.values(), statement_id]
    )
    return became_peace


def _queue_alerts(
    db: Database, statement_id: int, channels: Sequence[str], run_id: int | None
) -> int:
    now = utc_now()
    queued = 0
    for channel in channels:
        cursor = db.execute(
            """
            INSERT OR IGNORE INTO alerts (key, channel, type, statement_id, status, created_at,
                                          next_attempt_at, run_id)
            VALUES (?, ?, 'statement', ?, 'pending', ?, ?, ?)
            """,
            [f"statement-{statement_id}-{channel}", channel, statement_id, now, now, run_id],
        )
        queued += cursor.rowcount
    return queued
