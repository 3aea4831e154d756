"""What one crawl subprocess is asked to do, and what it reports back, as JSON files.

The scheduler writes the job, starts ``python -m crawler.run JOB``, and reads the result;
a scrapyd backend could take the same job (DESIGN §11).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from storage.models import Source, SourceRunStats


@dataclass
class CrawlJob:
    db_path: str
    sources: list[Source]
    result_path: str
    settings: dict[str, Any] = field(default_factory=dict)
    max_articles_per_source: int = 500
    speakers_path: str = ""
    topics_path: str = ""
    topic_threshold: float | None = None
    encoder: bool = False
    analysis_worker: bool = False  # analyse in a worker process alongside the crawl
    busy_timeout_seconds: float = 30.0  # [storage] busy_timeout_seconds
    crash_at: list[str] = field(default_factory=list)  # [testing] crash_at (fault tests only)
    parent_pid: int = 0  # the crawl ends when this process does (crawler/lifeline.py); 0: never

    def write(self, path: Path) -> None:
        data = asdict(self)
        data["sources"] = [source.to_json() for source in self.sources]
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def read(cls, path: Path | str) -> CrawlJob:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data["sources"] = [Source.from_json(item) for item in data["sources"]]
        return cls(**data)


def write_result(path: Path | str, stats: list[SourceRunStats], *, finished: bool) -> None:
    payload = {"finished": finished, "sources": [asdict(s) for s in stats]}
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def read_result(path: Path | str) -> tuple[bool, list[SourceRunStats]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["finished"], [SourceRunStats(**item) for item in data["sources"]]
