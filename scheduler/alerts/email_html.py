"""The HTML part of an alert mail, from the web view's own templates (DESIGN §7): a statement
looks the same in the browser and in the mail. Jinja2 escapes every scraped string; the mail
carries no script, no remote image and no stylesheet link, only inline styles a mail client
keeps."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import jinja2

from scheduler.alerts.digest import counts, digest
from scheduler.ui.pages import TEMPLATES


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
    )


def _card(statement: dict[str, Any]) -> dict[str, Any]:
    """An alert's statement in the shape the web view's statement template reads (the same
    vocabulary: ``outlet_links``, ``claims``, ``said_at``…)."""
    return {**statement, "outlet_links": statement.get("outlet_links") or []}


def html_body(alerts: Sequence[dict[str, Any]], view_url: str = "") -> str:
    """One alert or a digest as an HTML document."""
    found = digest(alerts)
    return (
        _environment()
        .get_template("email_digest.html")
        .render(
            summary=counts(found),
            statements=[_card(a.get("statement") or {}) for a in found.statements],
            updates=[
                {"statement": _card(a.get("statement") or {}), **(a.get("update") or {})}
                for a in found.updates
            ],
            health=[a.get("health") or {} for a in found.health],
            base_url=view_url.rstrip("/"),
            digest=True,
        )
    )
