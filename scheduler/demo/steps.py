"""The demo: the bundled archive served on loopback, crawled day by day by the real pipeline."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scheduler.config import ARCHIVE_DIR, DEFAULT_REGISTRY, Config, load_config, load_sources
from scheduler.cycle import CycleReport, run_cycle
from scheduler.demo.articles import load_archive
from scheduler.demo.server import ArchiveServer, ArchiveSite

DEFAULT_DEMO_PORT = 8765


def start_archive(port: int = DEFAULT_DEMO_PORT, day: int = 1) -> ArchiveServer:
    site = ArchiveSite(load_archive(ARCHIVE_DIR), day=day)
    return ArchiveServer(site, port=port).start()


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_demo_config(site: ArchiveSite, directory: Path, storage_path: Path) -> Path:
    """Write a source registry pointing at the served archive, and a config using it.

    Each archive outlet keeps the extraction rules of the real source with the same id, so
    the demo exercises the registry's per-source overrides.
    """
    directory.mkdir(parents=True, exist_ok=True)
    real = {s.id: s for s in load_sources(DEFAULT_REGISTRY)}
    lines = ["# Written by `peacewatch demo`: the offline archive's outlets on loopback.", ""]
    for outlet in site.outlets:
        rules = real[outlet.id].extract if outlet.id in real else None
        lines += [
            "[[sources]]",
            f"id = {_toml_string(outlet.id)}",
            f"name = {_toml_string(outlet.name + ' (archive)')}",
            f"language = {_toml_string(outlet.language)}",
            f"homepage = {_toml_string(site.base_url(outlet.id))}",
            "interval_minutes = 5",
        ]
        for url, kind in site.feed_urls(outlet.id):
            lines += [
                "",
                "[[sources.feeds]]",
                f"url = {_toml_string(url)}",
                f"kind = {_toml_string(kind)}",
            ]
        if rules is not None and (rules.drop_lines or rules.prune_xpaths or rules.encoding):
            lines += ["", "[sources.extract]"]
            lines.append(f"drop_lines = [{', '.join(_toml_string(x) for x in rules.drop_lines)}]")
            lines.append(
                f"prune_xpaths = [{', '.join(_toml_string(x) for x in rules.prune_xpaths)}]"
            )
        lines.append("")
    registry = directory / "sources.toml"
    registry.write_text("\n".join(lines), encoding="utf-8")
    config_path = directory / "peacewatch.toml"
    config_path.write_text(
        "# Written by `peacewatch demo --serve`: use with `peacewatch --config THIS run`.\n"
        "[storage]\n"
        f"path = {_toml_string(str(storage_path.resolve()))}\n\n"
        "[sources]\n"
        f'registry = "sources.toml"\n\n'
        "[crawl]\n"
        "timeout_seconds = 300\n"
        "download_timeout_seconds = 10\n"
        "download_delay_seconds = 0\n"
        "autothrottle = false\n"
        "concurrent_requests_per_site = 4\n"
        "retry_backoff_seconds = 0.5\n"
        "max_articles_per_source = 500\n\n"
        "[schedule]\n"
        "min_interval_minutes = 1\n\n"
        "[alerts]\n"
        f"atom_path = {_toml_string(str((storage_path.parent / 'alerts.atom').resolve()))}\n\n"
        "[alerts.log]\n"
        f"path = {_toml_string(str((storage_path.parent / 'alerts.jsonl').resolve()))}\n",
        encoding="utf-8",
    )
    return config_path


def demo_config(site: ArchiveSite, directory: Path, storage_path: Path) -> Config:
    return load_config(write_demo_config(site, directory, storage_path))


def crawl_days(site: ArchiveSite, config: Config) -> Iterator[tuple[int, CycleReport]]:
    """Serve the archive day by day, one cycle of the real pipeline per day."""
    for day in range(1, site.max_day + 1):
        site.day = day
        yield day, run_cycle(config, trigger="demo")


def wait_for_stop() -> None:
    """Block until SIGTERM or Ctrl-C."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass


#: the user's seed article: Rutte's remarks of 11 February 2026 (seeds/000_037014a95d8099d3.txt)
SEED_SPEAKER, SEED_DAY = "Mark Rutte", "2026-02-11"


def demo_summary(db: Any) -> dict[str, Any]:
    """What ``demo`` ends with: alerts per day (run), and the seed's statement."""
    per_run: dict[int, dict[str, int]] = {}
    for run_id, kind, count in db.execute(
        "SELECT run_id, type, COUNT(*) FROM alerts WHERE type IN ('statement', 'update') "
        "GROUP BY run_id, type ORDER BY run_id"
    ).fetchall():
        per_run.setdefault(run_id, {"statement": 0, "update": 0})[kind] = count
    seed = db.execute(
        "SELECT id, outlet_count, report_count, languages FROM statements "
        "WHERE speaker = ? AND said_at LIKE ? AND about_peace_talks = 1 AND background = 0 "
        "ORDER BY report_count DESC LIMIT 1",
        [SEED_SPEAKER, SEED_DAY + "%"],
    ).fetchone()
    return {
        "alerts_per_run": [
            {"run_id": run_id, "statements": kinds["statement"], "updates": kinds["update"]}
            for run_id, kinds in per_run.items()
        ],
        "seed_statement": None
        if seed is None
        else {
            "id": seed[0],
            "speaker": SEED_SPEAKER,
            "said_on": SEED_DAY,
            "outlet_count": seed[1],
            "report_count": seed[2],
            "languages": sorted(json.loads(seed[3])),
        },
    }
