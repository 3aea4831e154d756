"""One pipeline cycle in a fresh process: ``python -m benchmarks.pipeline_run CONFIG RESULT``.

A fresh process so that ``getrusage(RUSAGE_CHILDREN)`` afterwards is the crawl subprocess's
alone (``run_cycle`` starts exactly one child). Writes a JSON result: the wall time of
``run_cycle`` (from its call to its return, when the rows are stored and the run recorded),
the rows stored, the per-source statistics summed, and the child's peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scheduler.config import load_config
from scheduler.cycle import run_cycle
from storage.db import open_db

_SUMMED = (
    "requests",
    "not_modified",
    "feeds_ok",
    "feeds_failed",
    "items_seen",
    "skipped_known",
    "articles_new",
    "pages_failed",
    "errors",
)


def run_once(config_path: Path) -> dict[str, Any]:
    config = load_config(config_path)
    started = time.perf_counter()
    report = run_cycle(config, trigger="bench")
    wall = time.perf_counter() - started
    db = open_db(config.storage_path, migrate=False)
    try:
        stored = int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        failures = [
            str(row[0]) for row in db.execute("SELECT last_error FROM page_failures LIMIT 5")
        ]
    finally:
        db.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    sums = {key: sum(int(getattr(s, key)) for s in report.stats) for key in _SUMMED}
    return {
        "wall_s": wall,
        "status": report.status,
        "error": report.error,
        "stored": stored,
        "spider_s": max((s.duration_s or 0.0 for s in report.stats), default=0.0),
        "maxrss_kb": children.ru_maxrss,
        "cpu_s": children.ru_utime + children.ru_stime,
        "page_failures": failures,
        "sources": [asdict(s) for s in report.stats],
        **sums,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m benchmarks.pipeline_run CONFIG.toml RESULT.json", file=sys.stderr)
        return 2
    result = run_once(Path(args[0]))
    Path(args[1]).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
