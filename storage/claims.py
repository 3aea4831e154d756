"""A statement's claims (DESIGN §2): the propositions its speaker made on that occasion.

A report opens a claim when it created the statement or joined it as the same occasion without
matching any rendering already there; a report that matched a rendering is one more rendering
of a claim. Claims are listed in the order they were first published, each with the outlet and
link that first carried it and how many reports render the statement in all.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

#: claims listed at most per statement (an interview can run to dozens of sentences)
MAX_CLAIMS = 12


def statement_claims(db: Database, statement_id: int) -> list[dict[str, Any]]:
    cursor = db.execute(
        """
        SELECT r.text, r.kind, r.recap, a.language, a.source_id AS outlet,
               COALESCE(NULLIF(a.fetched_url, ''), a.url) AS url, a.published_at,
               r.match_reason
        FROM reports r JOIN articles a ON a.id = r.article_id
        WHERE r.statement_id = ? AND r.about_peace_talks = (
            SELECT about_peace_talks FROM statements WHERE id = ?)
        ORDER BY r.recap, a.published_at, a.url, r.position
        """,
        [statement_id, statement_id],
    )
    names = [d[0] for d in cursor.description]
    claims: list[dict[str, Any]] = []
    for row in cursor.fetchall():
        report = dict(zip(names, row, strict=True))
        why = json.loads(report.pop("match_reason") or "{}")
        if "score" in why:
            continue  # a rendering of a claim already listed
        report["recap"] = bool(report["recap"])
        claims.append(report)
        if len(claims) >= MAX_CLAIMS:
            break
    return claims
