"""Diff cost per report as the store grows, and the sentence encoder's cost.

``python -m benchmarks.diff --sizes 10000,100000,1000000 --reports 300 --write BENCHMARKS.md``

1. The encoder, first, while nothing else is loaded: the first ``encode`` of one sentence
   (model load + encode) against a warm one, the process's peak RSS before and after, and a
   warm batch of 10 sentences.
2. For each size N, a scratch database in a temporary directory (deleted afterwards) holding
   N articles, N reports and N statements, already decided, written with bulk SQL: speakers
   from the gazetteer with a Zipf skew (the most quoted first), ``said_at`` spread over three
   years, random unit vectors as embeddings, claims with entities, numbers and word stems.
3. ``--reports`` new articles, one statement each, made from our template sentences by the
   real analyzer and encoder and stored with ``save_article``, published inside the generated
   range; then ``decide_pending`` is timed ``--rounds`` times (the reports made undecided
   again in between), with ``decide_report``, ``best_match`` and the two candidate queries
   wrapped to time each report and each step.
4. Control rows: the smaller sizes again with the largest size's density (the time span
   shrunk in proportion), so the store grows while a report's neighbourhood stays the same.
5. EXPLAIN QUERY PLAN of the diff's queries on the largest store.
"""

from __future__ import annotations

import argparse
import json
import resource
import shlex
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

import storage.diff as diff_module
from benchmarks.machine import machine_info
from benchmarks.markdown import table, write_section
from benchmarks.synthetic_store import (
    PUBLISHED_RANGE,
    SPAN_DAYS,
    ZIPF_EXPONENT,
    NewArticles,
    Vocabulary,
    generate,
)
from benchmarks.synthetic_text import TEMPLATES
from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import SentenceEncoder
from scheduler.config import PROJECT_ROOT, load_config, read_analysis_data
from storage.db import open_db, write_transaction
from storage.diff import DiffParams, decide_pending
from storage.queries import save_article


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def _span_label(days: float) -> str:
    return f"{days / 365.25:.0f} years" if days >= 730 else f"{days:.0f} days"


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


# -- the encoder --------------------------------------------------------------------------


@dataclass
class EncoderCost:
    first_s: float
    warm_s: float
    rss_before_mb: float
    rss_after_mb: float
    batch_ms_per_sentence: float

    @property
    def load_s(self) -> float:
        return self.first_s - self.warm_s


def measure_encoder(encoder: SentenceEncoder) -> EncoderCost:
    """Must run before anything else big is loaded: it reads the peak RSS before and after."""
    texts = [text for _, text in TEMPLATES]
    before = _maxrss_mb()
    started = time.perf_counter()
    encoder.encode([texts[0]])
    first = time.perf_counter() - started
    after = _maxrss_mb()
    warm: list[float] = []
    for text in texts[1:] + texts[:1]:
        started = time.perf_counter()
        encoder.encode([text])
        warm.append(time.perf_counter() - started)
    batch: list[float] = []
    for offset in range(10):
        chunk = (texts[offset:] + texts[:offset])[:10]
        started = time.perf_counter()
        encoder.encode(chunk)
        batch.append((time.perf_counter() - started) * 1000 / len(chunk))
    return EncoderCost(first, statistics.median(warm), before, after, statistics.median(batch))


# -- timing the diff ----------------------------------------------------------------------


class StepTimer:
    """Wraps functions of ``storage.diff`` for the duration of one run, timing every call.

    Each wrapped function runs once per report, so the lists line up with ``recap``.
    """

    STEPS = ("decide_report", "best_match", "_candidates", "_candidate_reports")

    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = defaultdict(list)
        self.recap: list[bool] = []

    @contextmanager
    def installed(self) -> Iterator[StepTimer]:
        originals = {name: getattr(diff_module, name) for name in self.STEPS}

        def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if name == "decide_report":
                    self.recap.append(bool(args[1]["recap"]))
                started = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.spent[name].append(time.perf_counter() - started)

            return wrapper

        for name, function in originals.items():
            setattr(diff_module, name, timed(name, function))
        try:
            yield self
        finally:
            for name, function in originals.items():
                setattr(diff_module, name, function)

    def ms(self, name: str, recap: bool | None = None) -> list[float]:
        """Milliseconds per call, all reports or only fresh (False) or recap (True) ones."""
        return [
            1000 * spent
            for spent, flag in zip(self.spent[name], self.recap, strict=True)
            if recap is None or flag == recap
        ]


def _fmean(values: list[float] | list[int]) -> float:
    return statistics.fmean(values) if values else 0.0


@dataclass
class SizeResult:
    size: int
    span_days: float
    control: bool
    top_per_day: float
    generate_s: float
    db_mb: float
    reports: int
    totals: list[float]  # seconds of decide_pending, one per round
    timer: StepTimer
    candidates_fresh: list[int]
    candidates_recap: list[int]
    joined: int
    save_ms: float

    @property
    def label(self) -> str:
        return f"{_size_label(self.size)} over {_span_label(self.span_days)}"

    @property
    def ms_per_report(self) -> float:
        """The median round's total over the reports it decided."""
        return 1000 * statistics.median(self.totals) / self.reports

    @property
    def per_report_ms(self) -> list[float]:
        return self.timer.ms("decide_report")

    def mean_ms(self, recap: bool | None = None) -> float:
        return _fmean(self.timer.ms("decide_report", recap))

    @property
    def candidates(self) -> list[int]:
        return self.candidates_fresh + self.candidates_recap

    def steps(self) -> dict[str, float]:
        """Mean milliseconds per report in each step of the diff."""
        decide, best, lookup, fetch = (_fmean(self.timer.ms(name)) for name in StepTimer.STEPS)
        return {
            "lookup": lookup,
            "fetch": fetch,
            "scoring": best - lookup - fetch,
            "writes": decide - best,
            "per_article": 1000 * statistics.fmean(self.totals) / self.reports - decide,
        }

    @property
    def us_per_candidate(self) -> float:
        """Fetching and scoring, per candidate, over the reports that had any."""
        work = sum(self.timer.ms("_candidate_reports")) + sum(
            b - a - f
            for b, a, f in zip(
                self.timer.ms("best_match"),
                self.timer.ms("_candidates"),
                self.timer.ms("_candidate_reports"),
                strict=True,
            )
        )
        total = sum(self.candidates) * len(self.totals)  # the timings cover every round
        return 1000 * work / total if total else 0.0


QUERIES = {
    "undecided articles (`undecided_article_ids`)": (
        """
        SELECT a.id FROM articles a
        WHERE a.id IN (SELECT article_id FROM reports WHERE statement_id IS NULL)
        ORDER BY a.published_at, a.id
        """,
        [],
    ),
    "an article's undecided reports": (
        "SELECT r.id FROM reports r JOIN articles a ON a.id = r.article_id "
        "WHERE r.article_id = ? AND r.statement_id IS NULL ORDER BY r.position",
        [1],
    ),
    "candidate statements (`_candidates`)": (
        "SELECT id, said_at, about_peace_talks, background FROM statements "
        "WHERE speaker = ? AND said_at BETWEEN ? AND ? ORDER BY said_at",
        ["Volodymyr Zelensky", "2024-01-01T00:00:00+00:00", "2024-01-07T00:00:00+00:00"],
    ),
    "their reports (`_candidate_reports`)": (
        """
        SELECT r.id, r.statement_id, r.article_id, r.claim, r.embedding, r.topic_concepts,
               a.language, a.published_at
        FROM reports r JOIN articles a ON a.id = r.article_id
        WHERE r.statement_id IN (?, ?, ?)
        ORDER BY r.statement_id, r.id
        """,
        [1, 2, 3],
    ),
}


def undo_decisions(db: Any, size: int) -> None:
    """Make the new reports undecided again, for another round (their statements go)."""
    with write_transaction(db):
        db.execute(
            "UPDATE reports SET statement_id = NULL, match_score = NULL, match_reason = NULL "
            "WHERE id > ?",
            [size],
        )
        db.execute("DELETE FROM alerts")
        db.execute("DELETE FROM statements WHERE id > ?", [size])


def query_plans(db: Any) -> dict[str, str]:
    plans = {}
    for label, (sql, params) in QUERIES.items():
        rows = db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        plans[label] = "; ".join(row[-1] for row in rows)
    return plans


def measure_size(
    size: int,
    span_days: float,
    control: bool,
    vocab: Vocabulary,
    new: NewArticles,
    seed: int,
    rounds: int,
    want_plans: bool,
) -> tuple[SizeResult, dict[str, str]]:
    label = f"{_size_label(size)} statements over {_span_label(span_days)}"
    _say(f"{label}: generating")
    with tempfile.TemporaryDirectory(prefix="peacewatch-diff-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        generate_s = generate(path, size, span_days, vocab, np.random.default_rng(seed + size))
        db_mb = path.stat().st_size / 2**20
        _say(f"{label}: generated in {generate_s:.0f} s, {db_mb:.0f} MB; storing new articles")
        articles = new.build(span_days)
        db = open_db(path)
        try:
            started = time.perf_counter()
            for article, reports in articles:
                save_article(db, article, reports)
            save_ms = 1000 * (time.perf_counter() - started) / len(articles)
            timer = StepTimer()
            totals: list[float] = []
            for round_number in range(rounds):
                if round_number:
                    undo_decisions(db, size)
                with timer.installed():
                    started = time.perf_counter()
                    outcome = decide_pending(db, DiffParams(channels=("log",)))
                    totals.append(time.perf_counter() - started)
            fresh, recap, joined = [], [], 0
            for recap_flag, reason in db.execute(
                "SELECT recap, match_reason FROM reports WHERE id > ? ORDER BY id", [size]
            ).fetchall():
                info = json.loads(reason)
                (recap if recap_flag else fresh).append(int(info["candidates"]))
                joined += info["decision"] == "joined"
            top = db.execute(
                "SELECT COUNT(*) FROM statements WHERE speaker = ? AND id <= ?",
                [vocab.speakers[0], size],
            ).fetchone()[0]
            plans = query_plans(db) if want_plans else {}
        finally:
            db.close()
    result = SizeResult(
        size=size,
        span_days=span_days,
        control=control,
        top_per_day=top / span_days,
        generate_s=generate_s,
        db_mb=db_mb,
        reports=outcome.reports_decided,
        totals=totals,
        timer=timer,
        candidates_fresh=fresh,
        candidates_recap=recap,
        joined=joined,
        save_ms=save_ms,
    )
    _say(
        f"{label}: {result.reports} reports in "
        f"{', '.join(f'{t:.2f}' for t in totals)} s ({rounds} rounds), "
        f"{result.ms_per_report:.2f} ms/report (fresh {result.mean_ms(False):.2f}, recap "
        f"{result.mean_ms(True):.2f}), p95 {_p95(result.per_report_ms):.2f} ms, candidates "
        f"mean {_fmean(fresh):.0f} fresh / {_fmean(recap):.0f} recap, {joined} joined, "
        f"save_article {save_ms:.2f} ms/article"
    )
    return result, plans


# -- the report ---------------------------------------------------------------------------


def _mean(values: list[int]) -> str:
    return f"{statistics.fmean(values):.0f}" if values else "–"


def verdict(results: list[SizeResult]) -> str:
    main = [r for r in results if not r.control]
    small, large = main[0], main[-1]
    if small is large:
        return (
            f"One size only ({_size_label(large.size)}): {large.ms_per_report:.2f} ms per "
            "report; give several sizes to see how the cost grows."
        )
    ratio = large.ms_per_report / small.ms_per_report
    fresh_ratio = large.mean_ms(False) / small.mean_ms(False)
    flat = "flat" if ratio <= 1.5 else "not flat"
    meets = "meets" if large.ms_per_report <= 5 else "misses"
    growth = _fmean(large.candidates_fresh) / max(_fmean(small.candidates_fresh), 1e-9)
    recap_share = sum(large.candidates_recap) / max(1, sum(large.candidates))
    per_candidate = large.us_per_candidate / max(small.us_per_candidate, 1e-9)
    lookup = f"{small.steps()['lookup']:.2f}–{large.steps()['lookup']:.2f} ms per report"
    cost = (
        f"({small.us_per_candidate:.0f} µs at {_size_label(small.size)}, "
        f"{large.us_per_candidate:.0f} µs at {_size_label(large.size)})"
    )
    if per_candidate <= 1.5:
        queries = (
            "The queries are not the cause: each uses its index (plans below), looking the "
            f"candidates up costs {lookup}, and fetching and scoring cost about the same per "
            f"candidate at every size {cost}."
        )
    else:
        queries = (
            "Each query uses its index (plans below) and looking the candidates up costs "
            f"{lookup}, but fetching and scoring one candidate grow with the store {cost}."
        )
    text = (
        f"With three years of statements the diff is **{flat}**: "
        f"{large.ms_per_report:.2f} ms per report at {_size_label(large.size)} against "
        f"{small.ms_per_report:.2f} ms at {_size_label(small.size)}, a ratio of "
        f"**{ratio:.1f}** (aim ≤ 1.5; {fresh_ratio:.1f} for fresh reports alone), and it "
        f"{meets} the aim of ≤ 5 ms per report at {_size_label(large.size)} (p95 "
        f"{_p95(large.per_report_ms):.1f} ms, slowest {max(large.per_report_ms):.0f} ms). "
        f"{queries} The cost follows the "
        "number of candidates: with the span fixed at three years, a speaker's statements "
        "per day grow with the store (the most quoted speaker has "
        f"{small.top_per_day:.1f} a day at {_size_label(small.size)}, "
        f"{large.top_per_day:.0f} at {_size_label(large.size)}), so a fresh report meets "
        f"{growth:.0f}× more candidates, and each is fetched (claim JSON, 1 KiB vector) and "
        "scored in Python — up to the diff's cap of "
        f"{diff_module.MAX_CANDIDATES_EACH_SIDE} statements nearest in time on each side "
        f"({diff_module.MAX_CANDIDATES_RECAP} back for a recap), which bounds the cost of a "
        "decision whatever the density. Recaps look 400 days back: "
        f"{len(large.candidates_recap)} of the {large.reports} reports, "
        f"{recap_share:.0%} of all candidates at {_size_label(large.size)}, mean "
        f"{large.mean_ms(True):.0f} ms each against {large.mean_ms(False):.1f} ms for a "
        f"fresh one; the largest set, {max(large.candidates):,} statements, goes into one "
        "`IN (…)` list of as many SQL variables. Two things make a real store differ: here "
        "every statement has one report, while a real one has several (up to "
        f"{diff_module.MAX_REPORTS_PER_STATEMENT} are fetched and scored per candidate), "
        "and whether one speaker reaches the densities above depends on how many outlets "
        "are crawled."
    )
    controls = [r for r in results if r.control]
    if controls:
        control = min(controls, key=lambda r: r.size)
        control_ratio = large.mean_ms(False) / control.mean_ms(False)
        text += (
            " The control rows keep the largest store's density with fewer statements (the "
            "span shrunk in proportion, so a recap's 400-day window sees a different share "
            "of the store; compare fresh reports): a fresh report costs "
            f"{control.mean_ms(False):.2f} ms with {_size_label(control.size)} statements "
            f"stored and {large.mean_ms(False):.2f} ms with {_size_label(large.size)} "
            f"(ratio {control_ratio:.2f}) for {_mean(control.candidates_fresh)} and "
            f"{_mean(large.candidates_fresh)} candidates: at equal density the size of the "
            f"store {'hardly matters' if control_ratio <= 1.5 else 'matters too'}."
        )
    return text


def render(
    results: list[SizeResult],
    encoder: EncoderCost,
    plans: dict[str, str],
    vocab: Vocabulary,
    recaps: int,
    command: str,
    args: argparse.Namespace,
    total_s: float,
) -> str:
    rows = []
    for r in results:
        steps = r.steps()
        rows.append(
            [
                f"{r.size:,}" + (" (control)" if r.control else ""),
                _span_label(r.span_days),
                f"{r.top_per_day:.1f}",
                f"{r.generate_s:.0f} s / {r.db_mb:,.0f} MB",
                str(r.reports),
                f"**{r.ms_per_report:.2f}**",
                f"{r.mean_ms(False):.2f} / {r.mean_ms(True):.1f}",
                f"{statistics.median(r.per_report_ms):.2f}",
                f"{_p95(r.per_report_ms):.2f}",
                f"{max(r.per_report_ms):.0f}",
                f"{_mean(r.candidates_fresh)} / {_mean(r.candidates_recap)} "
                f"({max(r.candidates, default=0):,})",
                f"{steps['lookup']:.2f} / {steps['fetch']:.2f} / {steps['scoring']:.2f} / "
                f"{steps['writes']:.2f} / {steps['per_article']:.2f}",
                f"{r.us_per_candidate:.0f}",
            ]
        )
    header = [
        "statements stored",
        "`said_at` span",
        "most quoted speaker, statements/day",
        "generation / DB size",
        "reports decided",
        "ms per report (total / count)",
        "mean ms, fresh / recap",
        "p50 ms",
        "p95 ms",
        "max ms",
        "candidates, mean: fresh / recap (max)",
        "ms per report: lookup / candidate reports / scoring / writes / per article",
        "µs per candidate",
    ]
    encoder_rows = [
        ["model load (first `encode` of one sentence minus a warm one)", f"{encoder.load_s:.2f} s"],
        ["first `encode` of one sentence, load included", f"{encoder.first_s:.2f} s"],
        ["warm `encode` of one sentence (median of 20)", f"{1000 * encoder.warm_s:.1f} ms"],
        [
            "warm `encode`, batch of 10, per sentence (median of 10 batches)",
            f"{encoder.batch_ms_per_sentence:.1f} ms",
        ],
        [
            "peak RSS of the process before → after the first `encode`",
            f"{encoder.rss_before_mb:.0f} → {encoder.rss_after_mb:.0f} MB "
            f"(+{encoder.rss_after_mb - encoder.rss_before_mb:.0f} MB)",
        ],
    ]
    machine = "; ".join(f"{k} {v}" for k, v in machine_info().items())
    parts = [
        "## Diff cost",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {total_s:.0f} s in all. Command "
        "(`make bench`), from the project root:",
        "",
        f"```\n{command}\n```",
        "",
        f"Machine: {machine}.",
        "",
        "Each store is a scratch SQLite file (schema by `open_db`, deleted afterwards) with N "
        "articles, N reports and N statements already decided, one report per statement, "
        f"written with bulk SQL: {len(vocab.speakers)} gazetteer speakers with a Zipf skew "
        f"(exponent {ZIPF_EXPONENT:g}; the most quoted, {vocab.speakers[0]}, says "
        f"{vocab.weights[0]:.0%} of all statements), `said_at` uniform over the span, 5% "
        "recaps, claims with 4–8 word stems, 0–2 entities and sometimes a number, random unit "
        f"vectors as float16 embeddings. Then {args.reports} new articles, one statement "
        f"each from {len(TEMPLATES)} template sentences (ru/uk/en, {recaps} of them recaps, "
        "speakers among the most quoted), analysed and encoded by the real analyzer and "
        f"encoder, published between {PUBLISHED_RANGE[0]:.0%} and {PUBLISHED_RANGE[1]:.1%} "
        "of the span and stored with `save_article`; "
        "`decide_pending(db, DiffParams(channels=('log',)))` is timed over them on a freshly "
        f"opened connection, {args.rounds} rounds (before each later round the new reports "
        "are made undecided again and their statements deleted); the total is the median "
        "round's. Per-report figures time each `decide_report` call (wrapped by the "
        "benchmark), pooled over the rounds; the step columns are means per report of "
        "`_candidates` (statements by speaker and time), `_candidate_reports` (their "
        "reports with claims and vectors), the rest of `best_match` (decoding and "
        "`compare`), the rest of `decide_report` (statement insert or update, the report's "
        "update, alerts) and the rest of `decide_pending` (the per-article select and "
        "commit). Candidates are the stored `match_reason` counts. Control rows: the same "
        "density as the largest store, the span shrunk in proportion.",
        "",
        table(header, rows),
        "",
        verdict(results),
        "",
        "Query plans on the largest store (`EXPLAIN QUERY PLAN`):",
        "",
        *[f"- {label}: `{plan}`" for label, plan in plans.items()],
        "",
        "Sentence encoder (`SentenceEncoder`, USE multilingual v3 in numpy), measured first "
        "in the process, before the analyzer or any store is loaded:",
        "",
        table(["measure", "value"], encoder_rows),
    ]
    return "\n".join(parts)


# -- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diff", description=__doc__)
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="statements stored, comma-separated"
    )
    parser.add_argument("--reports", type=int, default=300, help="new reports to decide")
    parser.add_argument("--rounds", type=int, default=3, help="times the reports are decided")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", type=Path, help="write the results into this Markdown file")
    return parser.parse_args(argv)


def _interpreter() -> str:
    path = Path(sys.executable)
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    command = shlex.join(
        [_interpreter(), "-m", "benchmarks.diff", *(sys.argv[1:] if argv is None else argv)]
    )
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())

    encoder = SentenceEncoder()
    encoder_cost = measure_encoder(encoder)
    _say(
        f"encoder: load {encoder_cost.load_s:.2f} s, peak RSS +"
        f"{encoder_cost.rss_after_mb - encoder_cost.rss_before_mb:.0f} MB"
    )

    speakers, topics = read_analysis_data(load_config(None).analysis)
    analyzer = Analyzer.from_data(speakers, topics)
    recaps = 0
    for lang, text in TEMPLATES:
        found = analyzer.analyze(text, language=lang, published=date(2025, 1, 1))
        if len(found) != 1:
            raise RuntimeError(f"template gives {len(found)} statements, not 1: {text}")
        recaps += found[0].recap
    rng = np.random.default_rng(args.seed)
    vocab = Vocabulary.build(speakers, analyzer, rng)
    picks = [int(p) for p in rng.integers(0, len(TEMPLATES), args.reports)]
    fractions = [float(f) for f in rng.uniform(*PUBLISHED_RANGE, args.reports)]
    new = NewArticles(picks, fractions, analyzer, encoder)

    results: list[SizeResult] = []
    plans: dict[str, str] = {}
    for size in sizes:
        result, found_plans = measure_size(
            size, SPAN_DAYS, False, vocab, new, args.seed, args.rounds, size == sizes[-1]
        )
        results.append(result)
        plans = found_plans or plans
    for size in sizes[:-1]:
        span = SPAN_DAYS * size / sizes[-1]
        result, _ = measure_size(size, span, True, vocab, new, args.seed, args.rounds, False)
        results.append(result)

    text = render(
        results, encoder_cost, plans, vocab, recaps, command, args, time.perf_counter() - began
    )
    print(text)
    if args.write:
        write_section(args.write, text, "diff-bench")
        _say(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
