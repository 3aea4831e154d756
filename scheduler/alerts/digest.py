"""A digest's order and its subject line, the same for every channel that sends several
alerts at once (DESIGN §7): new statements grouped by statement, newest occasion first; updates
in their own section; source health last. The subject says what is inside: "Rutte, Peskov +3:
5 new statements on peace talks"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: speakers named in a digest's subject; the rest are counted ("+3")
SUBJECT_SPEAKERS = 2


@dataclass
class Digest:
    statements: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    health: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ordered(self) -> list[dict[str, Any]]:
        return [*self.statements, *self.updates, *self.health]


def _said(alert: dict[str, Any]) -> str:
    return str((alert.get("statement") or {}).get("said_at") or "")


def digest(alerts: Sequence[dict[str, Any]]) -> Digest:
    """The alerts in sections, statements and updates newest occasion first."""
    found = Digest()
    for alert in alerts:
        kind = alert.get("type")
        section = {"update": found.updates, "health": found.health}.get(str(kind))
        (found.statements if section is None else section).append(alert)
    found.statements.sort(key=_said, reverse=True)
    found.updates.sort(key=_said, reverse=True)
    return found


def short_speaker(statement: dict[str, Any]) -> str:
    """A person by surname (Rutte), a body by its name (White House)."""
    name = str(statement.get("speaker") or statement.get("speaker_as_written") or "?")
    if statement.get("speaker_kind", "person") == "person" and " " in name:
        return name.rsplit(" ", 1)[1]
    return name


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def counts(found: Digest) -> str:
    """ "5 new statements on peace talks, 2 updates, 1 source health alert"."""
    parts = []
    if found.statements:
        parts.append(plural(len(found.statements), "new statement") + " on peace talks")
    if found.updates:
        parts.append(plural(len(found.updates), "update"))
    if found.health:
        parts.append(plural(len(found.health), "source health alert"))
    return ", ".join(parts)


def digest_subject(alerts: Sequence[dict[str, Any]]) -> str:
    """Who is inside, then how many of each kind: "Rutte, Peskov +3: 5 new statements on
    peace talks, 1 update"."""
    found = digest(alerts)
    speakers: list[str] = []
    for alert in [*found.statements, *found.updates]:
        name = short_speaker(alert.get("statement") or {})
        if name not in speakers:
            speakers.append(name)
    named = ", ".join(speakers[:SUBJECT_SPEAKERS])
    if len(speakers) > SUBJECT_SPEAKERS:
        named += f" +{len(speakers) - SUBJECT_SPEAKERS}"
    return f"{named}: {counts(found)}" if named else counts(found)
