"""A loopback replay: many synthetic archive articles recombined from the real archive's text.

Each synthetic article takes the outlet, section, author and lead of one of that outlet's real
articles and a random selection of paragraphs from all of that outlet's articles (so the
language, the encoding quirks and the page furniture stay the outlet's), with a distinct slug
and title and a publication time spread over a few days. Everything stays in memory.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from scheduler.config import ARCHIVE_DIR
from scheduler.demo.articles import ArchiveArticle, load_archive
from scheduler.demo.outlets import OUTLETS
from scheduler.demo.render import article_path

_MARKERS = ("{{related}}", "{{video}}")
_MIN_PARAGRAPH = 40


def _paragraph_pool(articles: list[ArchiveArticle]) -> list[str]:
    seen: set[str] = set()
    pool: list[str] = []
    for article in articles:
        for block in article.blocks:
            if block in _MARKERS or block.startswith("## ") or len(block) < _MIN_PARAGRAPH:
                continue
            if block not in seen:
                seen.add(block)
                pool.append(block)
    return pool


def build_replay(
    total: int,
    outlets: int,
    *,
    days: int = 3,
    seed: int = 2026,
    archive_dir: Path = ARCHIVE_DIR,
) -> list[ArchiveArticle]:
    """At least ``total`` articles spread evenly over the first ``outlets`` archive outlets."""
    real = load_archive(archive_dir)
    by_outlet: dict[str, list[ArchiveArticle]] = {}
    for article in real:
        by_outlet.setdefault(article.outlet, []).append(article)
    chosen = sorted(by_outlet)[:outlets]
    if len(chosen) < outlets:
        raise ValueError(f"the archive has {len(chosen)} outlets, {outlets} were asked for")
    per_outlet = -(-total // len(chosen))
    rng = random.Random(seed)
    start = min(a.published for a in real)
    span = timedelta(days=days)
    replay: list[ArchiveArticle] = []
    for index, outlet_id in enumerate(chosen):
        outlet = OUTLETS[outlet_id]
        templates = by_outlet[outlet_id]
        pool = _paragraph_pool(templates)
        headings = sorted({b for t in templates for b in t.blocks if b.startswith("## ")})
        paths: set[str] = set()
        for j in range(per_outlet):
            template = templates[j % len(templates)]
            blocks = rng.sample(pool, min(len(pool), rng.randint(4, 8)))
            blocks.insert(min(2, len(blocks)), "{{related}}")
            if headings and j % 3 == 0:
                blocks.insert(len(blocks) - 1, rng.choice(headings))
            if j % 5 == 0:
                blocks.append("{{video}}")
            published = start + span * (j / per_outlet) + timedelta(minutes=7 * index)
            published = published.replace(microsecond=0)
            stem = template.slug.split("-", 1)[-1]
            article = ArchiveArticle(
                outlet=outlet_id,
                slug=f"{j:04d}-{stem}-r{j}",
                title=f"{template.title} ({j + 1})",
                published=published,
                day=1,
                topic=template.topic,
                section=template.section,
                blocks=blocks,
                author=template.author,
                lead=template.lead,
            )
            attempt = 0
            # Outlets whose URLs carry only the article number can collide: re-slug.
            while article_path(outlet, article) in paths:
                attempt += 1
                article.slug = f"{j:04d}-{stem}-r{j}x{attempt}"
            paths.add(article_path(outlet, article))
            replay.append(article)
    return replay
