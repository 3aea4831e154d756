"""Entry point of one crawl subprocess: ``python -m crawler.run JOB.json``.

A fresh process per crawl because the Twisted reactor cannot be restarted (DESIGN §12). The
outcome is judged by the result file the spider writes, not by the exit code, since Scrapy
exits 0 even when callbacks raised.
"""

from __future__ import annotations

import sys

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.job import CrawlJob
from crawler.lifeline import die_with_parent
from crawler.spiders.news import NewsSpider
from storage import crashpoints
from storage import db as storage_db


def crawl(job_path: str) -> int:
    job = CrawlJob.read(job_path)
    die_with_parent(job.parent_pid)  # a killed scheduler takes its crawl with it
    storage_db.configure(busy_timeout=job.busy_timeout_seconds)
    crashpoints.configure(job.crash_at)
    settings = get_project_settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in job.settings.items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(NewsSpider, job=job_path)
    process.start()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m crawler.run JOB.json", file=sys.stderr)
        return 2
    return crawl(args[0])


if __name__ == "__main__":
    sys.exit(main())
