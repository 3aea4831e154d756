"""What one crawl subprocess is asked to do, and what it reports back, as JSON files.

The scheduler writes the job, starts ``python -m crawler.run JOB``, and reads the result. The
scrapyd backend (DESIGN §11) hands the same job to the spider as one argument (``encode``).
"""

from __future__ import annotations

import base64
import json
import zlib
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
    #: a remote crawl (scrapyd): no store; what the store knows comes as this snapshot
    #: (storage/snapshot.py) and everything learnt goes out as records in the feed export
    snapshot: str = ""

    @property
    def remote(self) -> bool:
        return not self.db_path

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["sources"] = [source.to_json() for source in self.sources]
        return data

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CrawlJob:
        data = {**data, "sources": [Source.from_json(item) for item in data["sources"]]}
        return cls(**data)

    @classmethod
    def read(cls, path: Path | str) -> CrawlJob:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    def encode(self) -> str:
        """The job as one spider argument (scrapyd passes arguments on a command line)."""
        packed = zlib.compress(json.dumps(self.to_json(), separators=(",", ":")).encode(), 9)
        return base64.urlsafe_b64encode(packed).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> CrawlJob:
        try:
            data = json.loads(zlib.decompress(base64.urlsafe_b64decode(text)))
        except (ValueError, zlib.error) as exc:
            raise ValueError(f"the crawl job argument does not decode: {exc}") from exc
        return cls.from_json(data)


def write_result(path: Path | str, stats: list[SourceRunStats], *, finished: bool) -> None:
    payload = {"finished": finished, "sources": [asdict(s) for s in stats]}
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def read_result(path: Path | str) -> tuple[bool, list[SourceRunStats]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["finished"], [SourceRunStats(**item) for item in data["sources"]]
