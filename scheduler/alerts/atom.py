"""An Atom feed of new peace-talk statements, rewritten each cycle, for any feed reader.

It holds every peace-talk statement (background left out) seen or updated in the last
``keep_days``, newest change first; an entry keeps its id for good, so a statement that another
outlet carried later is one entry whose ``updated`` moves, never a second entry.
"""

from __future__ import annotations

import logging
import os
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storage.outbox import statement_payload
from storage.queries import utc_now
from storage.text import safe_line, safe_text

ATOM = "http://www.w3.org/2005/Atom"
FEED_ID = "urn:peacewatch:new-peace-talk-statements"
log = logging.getLogger("peacewatch.alerts")
#: Non-characters XML 1.0 cannot carry (the controls it cannot carry go with safe_text).
_NOT_XML = re.compile("[\ufffe\uffff]")


def _clean(text: str) -> str:
    """Scraped text as the feed carries it: no control or bidi-control character."""
    return _NOT_XML.sub(" ", safe_text(text))


def _one_line(text: str) -> str:
    return _NOT_XML.sub(" ", safe_line(text))


def _entry_summary(statement: dict[str, Any]) -> str:
    lines = [
        f"{statement['speaker']} ({statement['speaker_as_written']}), {statement['kind']}:",
        statement["text"],
        "",
        f"First: {statement['first_outlet_name'] or statement['first_outlet']} — "
        f"{statement['first_url']}",
        f"Carried by {statement['outlet_count']} outlet(s) in {', '.join(statement['languages'])}:",
    ]
    lines += [f"- {o['name'] or o['outlet']}: {o['url']}" for o in statement["outlet_links"]]
    if statement["topic_terms"]:
        lines.append(
            f"Terms: {', '.join(statement['topic_terms'])} (score {statement['topic_score']})"
        )
    if statement["first_seen_via_recap"]:
        lines.append("First seen through a recap of an earlier statement.")
    return "\n".join(lines)


def write_atom_feed(
    db: Any, path: Path, entries: int = 1000, keep_days: float = 7, self_url: str = ""
) -> int:
    """Write the peace-talk statements of the last ``keep_days`` (at most ``entries``, the
    newest); replaced atomically so readers never see half."""
    since = (datetime.now(UTC) - timedelta(days=keep_days)).isoformat(timespec="seconds")
    ids = [
        row[0]
        for row in db.execute(
            "SELECT id FROM statements WHERE about_peace_talks = 1 AND background = 0 "
            "AND updated_at >= ? ORDER BY updated_at DESC, id DESC LIMIT ?",
            [since, entries + 1],
        ).fetchall()
    ]
    if len(ids) > entries:
        log.warning(
            "atom: more statements in the last %g days than atom_entries = %d: the oldest "
            "are left out of the feed",
            keep_days,
            entries,
        )
        ids = ids[:entries]
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = FEED_ID
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "peacewatch: new statements on peace talks"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = utc_now()
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url or path.resolve().as_uri())
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "peacewatch"
    for statement_id in ids:
        statement = statement_payload(db, statement_id)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:peacewatch:statement:{statement_id}"
        title = f"{statement['speaker']}: {statement['text']}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = _one_line(title)[:200]
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = statement["updated_at"]
        ET.SubElement(entry, f"{{{ATOM}}}published").text = statement["said_at"]
        # the links as fetched (http stays http), not the canonical deduplication key
        href = _one_line(statement["first_url"])
        ET.SubElement(entry, f"{{{ATOM}}}link", href=href, rel="alternate")
        for outlet in statement["outlet_links"]:
            if outlet["url"] != statement["first_url"]:
                ET.SubElement(
                    entry, f"{{{ATOM}}}link", href=_one_line(outlet["url"]), rel="related"
                )
        summary = ET.SubElement(entry, f"{{{ATOM}}}summary", type="text")
        summary.text = _clean(_entry_summary(statement))
        speaker = _one_line(statement["speaker"])
        category = ET.SubElement(entry, f"{{{ATOM}}}category", term=speaker)
        category.set("label", speaker)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    ET.ElementTree(feed).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)
    return len(ids)
