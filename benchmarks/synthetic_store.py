"""Synthetic stores for the diff benchmark (``benchmarks.diff``).

The diff's cost per report depends on how many statements by the same speaker lie near the
report in time, so it has to be measured on stores far larger than a crawl gives (10k to 1M
statements) with a realistic skew of speakers. Running the analyzer and encoder over a
million texts would take hours, so the store is written with bulk SQL instead:

- ``Vocabulary``: what generated rows are made of: gazetteer speakers ranked with a Zipf
  skew (``PROMINENT`` first), their names per language, word stems (the templates' real
  ones plus made-up ones) and entities.
- ``generate``: a scratch database of N articles, N reports and N statements, already
  decided, one report per statement, ids in time order: ``said_at`` uniform over the span,
  sources by share, 5% recaps, claims with 4–8 stems, 0–2 entities and sometimes a number,
  random unit vectors as float16 embeddings.
- ``NewArticles``: the articles the diff is then timed on, template sentences published at
  fixed fractions of the span, analysed and encoded by the real analyzer and encoder.

Everything is drawn from the ``numpy`` generator passed in, so a seed gives the same store.
The wording lives in ``benchmarks.synthetic_text``.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.synthetic_text import (
    ALPHABETS,
    CLAUSES,
    OTHER_CONCEPTS,
    PEACE_CONCEPTS,
    PROMINENT,
    TAILS,
    TEMPLATES,
)
from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import DIMENSIONS, SentenceEncoder
from crawler.reports import to_reports
from storage.db import open_db, write_transaction
from storage.models import Article, Report, Source
from storage.queries import upsert_sources

START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_DAYS = 1096  # three years
ZIPF_EXPONENT = 1.0
CHUNK = 50_000
#: The new articles are published in this part of the generated range, so a recap's 400 days
#: back and a fresh report's 72 hours ahead both lie inside it.
PUBLISHED_RANGE = (0.4, 0.995)

SOURCES = [
    Source("bench-ru", "Bench RU", "ru", ()),
    Source("bench-ru2", "Bench RU 2", "ru", ()),
    Source("bench-uk", "Bench UK", "uk", ()),
    Source("bench-en", "Bench EN", "en", ()),
]
SOURCE_SHARES = [0.3, 0.15, 0.25, 0.3]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


# -- generating a store -------------------------------------------------------------------


@dataclass
class Vocabulary:
    """What generated rows are made of: speakers by rank with their names per language."""

    speakers: list[str]
    aliases: dict[str, dict[str, str]]
    weights: np.ndarray
    stems: dict[str, list[str]]
    entities: list[str]

    @classmethod
    def build(cls, gazetteer: dict[str, Any], analyzer: Analyzer, rng: np.random.Generator):
        entries = {entry["name"]: entry for entry in gazetteer["speakers"]}
        missing = [name for name in PROMINENT if name not in entries]
        if missing:
            raise RuntimeError(f"not in the gazetteer: {missing}")
        ordered = list(PROMINENT) + [name for name in entries if name not in PROMINENT]
        aliases = {
            name: {
                lang: (entries[name].get("aliases", {}).get(lang) or [name])[0]
                for lang in ("ru", "uk", "en")
            }
            for name in ordered
        }
        ranks = np.arange(1, len(ordered) + 1, dtype=np.float64)
        weights = ranks**-ZIPF_EXPONENT
        stems: dict[str, list[str]] = {}
        for lang, alphabet in ALPHABETS.items():
            real = {
                stem
                for text_lang, text in TEMPLATES
                if text_lang == lang
                for report in analyzer.analyze(text, language=lang)
                for stem in report.stems
            }
            letters = np.array(list(alphabet))
            made = {"".join(rng.choice(letters, 5)) for _ in range(1500)}
            stems[lang] = sorted(real | made)
        return cls(ordered, aliases, weights / weights.sum(), stems, ordered[:40])


def _unit_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, DIMENSIONS), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float16)


def generate(
    path: Path, n: int, span_days: float, vocab: Vocabulary, rng: np.random.Generator
) -> float:
    """N decided statements, one report and one article each, ids in time order; seconds."""
    started = time.perf_counter()
    db = open_db(path)
    upsert_sources(db, SOURCES)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA foreign_keys=OFF")  # consistent by construction
    db.execute("PRAGMA cache_size=-262144")
    seconds = np.sort(rng.uniform(0, span_days * 86400, n)).astype(np.int64)
    speaker_index = rng.choice(len(vocab.speakers), n, p=vocab.weights)
    source_index = rng.choice(len(SOURCES), n, p=SOURCE_SHARES)
    for low in range(0, n, CHUNK):
        high = min(n, low + CHUNK)
        count = high - low
        vectors = _unit_vectors(rng, count)
        kinds = rng.random(count) < 0.4
        recaps = rng.random(count) < 0.05
        peace = rng.random(count) < 0.3
        clause_pick = rng.integers(0, 12, count)
        tail_pick = rng.integers(0, 5, count)
        stem_counts = rng.integers(4, 9, count)
        entity_counts = rng.choice(3, count, p=[0.6, 0.3, 0.1])
        has_number = rng.random(count) < 0.25
        delays = rng.integers(60, 3600, count)
        articles, statements, reports = [], [], []
        for i in range(count):
            row_id = low + i + 1
            source = SOURCES[source_index[low + i]]
            lang = source.language
            speaker = vocab.speakers[speaker_index[low + i]]
            as_written = vocab.aliases[speaker][lang]
            said = START + timedelta(seconds=int(seconds[low + i]))
            said_at = _iso(said)
            fetched_at = _iso(said + timedelta(seconds=int(delays[i])))
            clause = CLAUSES[lang][clause_pick[i]] + TAILS[lang][tail_pick[i]]
            text = f"{as_written}: {clause}."
            url = f"https://{source.id}.example/news/{row_id:08d}"
            kind = "indirect" if kinds[i] else "direct"
            about = int(peace[i])
            if about:
                picked = rng.choice(len(PEACE_CONCEPTS), 2, replace=False)
                concepts = [PEACE_CONCEPTS[j] for j in picked] + ["context"]
                score = 1.5
            else:
                concepts = [OTHER_CONCEPTS[row_id % len(OTHER_CONCEPTS)]]
                score = 0.0
            stem_pool = vocab.stems[lang]
            picked_stems = rng.integers(0, len(stem_pool), stem_counts[i])
            entities = [vocab.entities[j] for j in rng.integers(0, 40, entity_counts[i])]
            claim = json.dumps(
                {
                    "entities": sorted(set(entities)),
                    "numbers": [str(int(seconds[low + i]) % 500 + 1)] if has_number[i] else [],
                    "stems": sorted({stem_pool[j] for j in picked_stems}),
                },
                ensure_ascii=False,
            )
            concepts_json = json.dumps(concepts)
            title = f"{as_written}: {clause}"[:90]
            articles.append(
                (
                    row_id,
                    url,
                    url,
                    source.id,
                    title,
                    said_at,
                    "json-ld",
                    lang,
                    text,
                    f"{row_id * 2654435761 % 2**64:016x}",
                    fetched_at,
                )
            )
            statements.append(
                (
                    row_id,
                    speaker,
                    as_written,
                    clause,
                    lang,
                    kind,
                    said_at,
                    fetched_at,
                    row_id,
                    row_id,
                    source.id,
                    url,
                    title,
                    json.dumps([source.id]),
                    json.dumps([lang]),
                    about,
                    int(recaps[i]),
                    score,
                    concepts_json,
                    claim,
                    fetched_at,
                )
            )
            reports.append(
                (
                    row_id,
                    row_id,
                    speaker,
                    as_written,
                    kind,
                    clause,
                    int(recaps[i]),
                    about,
                    score,
                    concepts_json,
                    len(as_written) + 2,
                    len(text) - 1,
                    claim,
                    vectors[i].tobytes(),
                    row_id,
                    '{"decision": "new", "candidates": 0, "runner_up": 0.0}',
                )
            )
        with write_transaction(db):
            db.conn.executemany(
                "INSERT INTO articles (id, url, fetched_url, source_id, title, published_at, "
                "published_from, language, text, content_hash, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                articles,
            )
            db.conn.executemany(
                "INSERT INTO statements (id, speaker, speaker_as_written, text, language, kind, "
                "said_at, first_seen_at, lead_report_id, first_article_id, first_outlet, "
                "first_url, title, outlets, outlet_count, report_count, languages, renderings, "
                "about_peace_talks, first_seen_via_recap, topic_score, topic_concepts, "
                "topic_terms, features, created_run_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, '', ?, ?, ?, ?, "
                "'[]', ?, NULL, ?)",
                statements,
            )
            db.conn.executemany(
                "INSERT INTO reports (id, article_id, position, speaker, speaker_as_written, "
                "speaker_resolution, kind, text, recap, about_peace_talks, topic_score, "
                'topic_concepts, topic_terms, start, "end", claim, embedding, statement_id, '
                "match_score, match_reason) "
                "VALUES (?, ?, 0, ?, ?, 'name', ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?, ?, NULL, ?)",
                reports,
            )
        if high % 200_000 == 0 or high == n:
            _say(f"  generated {high:,} of {n:,} ({time.perf_counter() - started:.0f} s)")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return time.perf_counter() - started


# -- the new reports ----------------------------------------------------------------------


@dataclass
class NewArticles:
    """The articles the diff is timed on: template sentences at fixed points of the span."""

    picks: list[int]
    fractions: list[float]
    analyzer: Analyzer
    encoder: SentenceEncoder
    vectors: dict[str, bytes] = field(default_factory=dict)

    def build(self, span_days: float) -> list[tuple[Article, list[Report]]]:
        out = []
        source_of = {lang: next(s for s in SOURCES if s.language == lang) for lang in ALPHABETS}
        for number, (pick, fraction) in enumerate(zip(self.picks, self.fractions, strict=True)):
            lang, text = TEMPLATES[pick]
            published = START + timedelta(seconds=int(fraction * span_days * 86400))
            reports = to_reports(
                self.analyzer.analyze(
                    text, language=lang, published=published.date(), title=text[:60]
                )
            )
            missing = [r.text for r in reports if r.text not in self.vectors]
            for report_text, vector in zip(
                missing, self.encoder.encode(missing) if missing else [], strict=True
            ):
                self.vectors[report_text] = vector
            for report in reports:
                report.embedding = self.vectors[report.text]
            url = f"https://{source_of[lang].id}.example/new/{number:05d}"
            article = Article(
                url=url,
                fetched_url=url,
                source_id=source_of[lang].id,
                title=text[:60],
                published_at=_iso(published),
                published_from="json-ld",
                language=lang,
                text=text,
                content_hash=f"new{number:013d}",
                fetched_at=_iso(published + timedelta(minutes=5)),
            )
            out.append((article, reports))
        return out
