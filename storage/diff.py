"""The diff: every new report joins the statement it renders, or becomes a new statement.

This module is the diff's SQL: it reads the undecided reports, one article per transaction,
and looks up the candidates, the statements of the same speaker said close to a report in time
(an index on ``(speaker, said_at)`` finds them; recaps look further back), reading at most a
few reports of each. ``storage.match_score`` scores the pairs, a pure function; the report
joins the best statement scoring above the threshold, or becomes a new one, and every decision
is stored with its score and the features that made it.

A new statement about peace talks queues one alert per channel in the same transaction, so a
crash can never leave a statement without its alert or an alert without its statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from storage.db import write_transaction
from storage.filters import ChannelFilter
from storage.lemmas import lemma_text, merge_lemmas
from storage.match_score import THRESHOLD, Claim, Match, Pair, choose, parse_time
from storage.occasion import OccasionKey, is_background, occasion_key, said_at, same_occasion
from storage.outbox import queue_statement_alerts, queue_update_alerts
from storage.queries import utc_now

#: Statements compared at most on each side of a report's time (nearest first); a recap looks
#: further back, at more of them. Beyond these, a speaker quoted this often within the window
#: is assumed to be saying something else: a bounded cost per decision, whatever the store.
MAX_CANDIDATES_EACH_SIDE = 40
MAX_CANDIDATES_RECAP = 120
#: Reports of one candidate statement compared at most (the earliest ones): a statement carried
#: by dozens of outlets is recognised by its first few renderings as well as by all of them.
MAX_REPORTS_PER_STATEMENT = 6
#: Decoded claims kept between decisions (a candidate's reports recur for every new report).
CLAIM_CACHE_SIZE = 20000


@dataclass(frozen=True)
class DiffParams:
    window_hours: float = 72
    recap_window_days: float = 400
    threshold: float = THRESHOLD
    use_embeddings: bool = True
    channels: tuple[str, ...] = ()
    #: words said more than this many days before their first report are background (§2)
    background_after_days: float = 3
    #: reports of one speaker on one subject said at most this far apart are one occasion
    occasion_hours: float = 20
    #: channels that take an update when an alerted statement gains a new peace-talk claim
    update_channels: tuple[str, ...] = ()
    #: what each channel takes (DESIGN §7); a channel without one takes everything
    filters: Mapping[str, ChannelFilter] = field(default_factory=dict)


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
    r.said_on, a.language, a.source_id, a.url, a.title, a.published_at, a.fetched_at
"""


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
            occasions: dict[OccasionKey, int] = {}
            dated: dict[tuple[str, int, int], str] = {}
            for report in reports:
                # an article dates a speaker's remarks once ("заявил в среду, что …"); the
                # sentences after it that give no day of their own go on with that day
                same = (report["speaker"], int(report["about_peace_talks"]), int(report["recap"]))
                report["said_at"] = (
                    said_at(report) if report.get("said_on") or same not in dated else dated[same]
                )
                dated.setdefault(same, report["said_at"])
                decide_report(db, report, params, run_id, outcome, cache, occasions)
    return outcome


def _candidates(db: Database, report: dict[str, Any], params: DiffParams) -> list[dict[str, Any]]:
    """The speaker's statements nearest in time on either side, at most a fixed number.

    Two range reads of the ``(speaker, said_at)`` index, each stopping after ``limit`` rows:
    the cost of a decision does not grow with the store, nor with how often a speaker talks.
    """
    said = report.get("said_at") or report["published_at"]
    when = parse_time(said)
    after = timedelta(hours=params.window_hours)
    before = timedelta(days=params.recap_window_days) if report["recap"] else after
    limit = MAX_CANDIDATES_RECAP if report["recap"] else MAX_CANDIDATES_EACH_SIDE
    earlier = _rows(
        db,
        "SELECT id, said_at, about_peace_talks, background FROM statements "
        "WHERE speaker = ? AND said_at BETWEEN ? AND ? ORDER BY said_at DESC, id DESC LIMIT ?",
        [report["speaker"], _iso(when - before), said, limit],
    )
    later = _rows(
        db,
        "SELECT id, said_at, about_peace_talks, background FROM statements "
        "WHERE speaker = ? AND said_at > ? AND said_at <= ? ORDER BY said_at, id LIMIT ?",
        [report["speaker"], said, _iso(when + after), MAX_CANDIDATES_EACH_SIDE],
    )
    return earlier[::-1] + later


def _candidate_reports(db: Database, statement_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The candidates' reports in publication order (then URL and position), never in the
    order the crawl happened to store them: the same store gives the same decisions."""
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
        ORDER BY r.statement_id, a.published_at, a.url, r.position
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


def best_match(
    db: Database,
    report: dict[str, Any],
    params: DiffParams,
    cache: dict[int, Claim] | None = None,
) -> tuple[int | None, Match | None, dict[str, Any]]:
    """The statement this report most likely renders, with the evidence, or None."""
    candidates = _candidates(db, report, params)
    report["_candidates"] = candidates
    claim = Claim.from_row(report, params.use_embeddings)
    per_statement: dict[int, int] = {}
    pairs: list[Pair] = []
    for row in _candidate_reports(db, (c["id"] for c in candidates)):
        statement_id = row["statement_id"]
        per_statement[statement_id] = per_statement.get(statement_id, 0) + 1
        if per_statement[statement_id] <= MAX_REPORTS_PER_STATEMENT:
            pairs.append((statement_id, row["id"], _claim(row, params, cache)))
    statement_id, match, info = choose(claim, pairs, params.threshold)
    return statement_id, match, {"candidates": len(candidates), **info}


def decide_report(
    db: Database,
    report: dict[str, Any],
    params: DiffParams,
    run_id: int | None,
    outcome: DiffOutcome,
    cache: dict[int, Claim] | None = None,
    occasions: dict[OccasionKey, int] | None = None,
) -> int:
    report.setdefault("said_at", said_at(report))
    key = occasion_key(report)
    statement_id: int | None
    match: Match | None = None
    statement_id, match, info = best_match(db, report, params, cache)
    if match is None and occasions is not None and key in occasions:
        # the same speaker's other sentences in this article on this subject and day render
        # the same remarks: one statement (DESIGN §2), of which this is one more claim
        statement_id = occasions[key]
        info = {**info, "occasion": "same article"}
    elif match is None and not report["recap"]:
        statement_id = same_occasion(report, report.get("_candidates", []), params.occasion_hours)
        if statement_id is not None:
            info = {**info, "occasion": "same speaker, subject and day"}
    report.pop("_candidates", None)
    if statement_id is None:
        background = is_background(report, params.background_after_days)
        statement_id = _create_statement(db, report, run_id, background)
        reason = {"decision": "new", **info, **({"background": True} if background else {})}
        outcome.statements_new += 1
        outcome.new_statement_ids.append(statement_id)
        source = report["source_id"]
        outcome.statements_new_by_source[source] = (
            outcome.statements_new_by_source.get(source, 0) + 1
        )
        score = None
        if report["about_peace_talks"] and not background:
            outcome.alerts_queued += queue_statement_alerts(
                db, statement_id, params.channels, run_id, params.filters
            )
    elif match is None:
        reason = {"decision": "joined", "statement": statement_id, **info}
        score = None
        if _join_statement(db, statement_id, report):
            outcome.alerts_queued += queue_statement_alerts(
                db, statement_id, params.channels, run_id, params.filters
            )
        else:
            outcome.alerts_queued += _queue_grown(db, statement_id, params, run_id)
            if report["about_peace_talks"] and not report["recap"]:
                # a new point of an occasion already alerted, from another article: an update
                outcome.alerts_queued += queue_update_alerts(
                    db,
                    statement_id,
                    report["article_id"],
                    params.update_channels,
                    run_id,
                    params.filters,
                )
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
        if _join_statement(db, statement_id, report):
            outcome.alerts_queued += queue_statement_alerts(
                db, statement_id, params.channels, run_id, params.filters
            )
        else:
            outcome.alerts_queued += _queue_grown(db, statement_id, params, run_id)
    db.execute(
        "UPDATE reports SET statement_id = ?, match_score = ?, match_reason = ? WHERE id = ?",
        [statement_id, score, json.dumps(reason, ensure_ascii=False), report["id"]],
    )
    if occasions is not None:
        occasions.setdefault(key, statement_id)
    outcome.reports_decided += 1
    return statement_id


def _queue_grown(db: Database, statement_id: int, params: DiffParams, run_id: int | None) -> int:
    """A statement that grew (another outlet, language or a higher topic score) may now pass a
    channel's filter: its alert is queued then, once."""
    if not any(
        f.min_outlets > 1 or f.min_topic_score > 0 or f.languages for f in params.filters.values()
    ):
        return 0
    peace, background = db.execute(
        "SELECT about_peace_talks, background FROM statements WHERE id = ?", [statement_id]
    ).fetchone()
    if not peace or background:
        return 0
    return queue_statement_alerts(db, statement_id, params.channels, run_id, params.filters)


def _rank(report: dict[str, Any]) -> tuple[int, int, str]:
    """Which rendering speaks for a statement: fresh over recap, quoted over paraphrased."""
    return (int(report["recap"]), int(report["kind"] != "direct"), report["published_at"])


def _create_statement(
    db: Database, report: dict[str, Any], run_id: int | None, background: bool = False
) -> int:
    now = utc_now()
    features = json.loads(report["claim"] or "{}")
    cursor = db.execute(
        """
        INSERT INTO statements (speaker, speaker_as_written, text, language, kind, said_at,
            first_seen_at, lead_report_id, first_article_id, first_outlet, first_url, title,
            outlets, outlet_count, report_count, languages, renderings, about_peace_talks,
            first_seen_via_recap, topic_score, topic_concepts, topic_terms, features,
            created_run_id, updated_at, background, lemmas)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            report["speaker"],
            report["speaker_as_written"],
            report["text"],
            report["language"],
            report["kind"],
            report.get("said_at") or report["published_at"],
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
            int(background),
            lemma_text(report["text"], report["speaker_as_written"]),
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
        "lemmas": merge_lemmas(row["lemmas"], report["text"], report["speaker_as_written"]),
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
    said = report.get("said_at") or report["published_at"]
    if not report["recap"] and (lead_is_recap or said < row["said_at"]):
        updates["said_at"] = said
    first_published = db.execute(
        "SELECT published_at FROM articles WHERE id = ?", [row["first_article_id"]]
    ).fetchone()
    if not report["recap"] and (
        lead_is_recap or first_published is None or report["published_at"] < first_published[0]
    ):
        # the first outlet is the one that published it first, whatever day it says
        updates.update(
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
        bool(report["about_peace_talks"])
        and not report["recap"]
        and not row["about_peace_talks"]
        and not row["background"]
    )
    if became_peace:
        updates["about_peace_talks"] = 1
    assignments = ", ".join(f"{name} = ?" for name in updates)
    db.execute(
        f"UPDATE statements SET {assignments} WHERE id = ?", [*updates.values(), statement_id]
    )
    return became_peace
