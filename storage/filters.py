"""Per-channel alert filters (DESIGN §7): which statements and which kinds of alert a channel
takes. Checked when an alert would be queued, and again whenever a statement grows (another
outlet, a higher topic score), so a channel that wants "at least two outlets" gets the alert
when the second outlet carries it, once."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("new", "update", "health")


@dataclass(frozen=True)
class ChannelFilter:
    #: canonical speaker names (resolved from the config's names by the scheduler); empty: any
    speakers: tuple[str, ...] = ()
    #: a statement carried in at least one of these languages; empty: any
    languages: tuple[str, ...] = ()
    min_outlets: int = 1
    min_topic_score: float = 0.0
    kinds: tuple[str, ...] = KINDS

    def takes(self, statement: Mapping[str, Any]) -> bool:
        """Whether a statement (a ``statements`` row) is one this channel wants."""
        if self.speakers and statement["speaker"] not in self.speakers:
            return False
        languages = statement["languages"]
        if isinstance(languages, str):
            languages = json.loads(languages or "[]")
        if self.languages and not set(languages) & set(self.languages):
            return False
        return (
            statement["outlet_count"] >= self.min_outlets
            and statement["topic_score"] >= self.min_topic_score
        )


def channels_taking(
    channels: Sequence[str],
    filters: Mapping[str, ChannelFilter],
    kind: str,
    statement: Mapping[str, Any] | None = None,
) -> list[str]:
    """The channels that take an alert of ``kind`` (about ``statement``, if any)."""
    taking = []
    for channel in channels:
        flt = filters.get(channel)
        if flt is None or (kind in flt.kinds and (statement is None or flt.takes(statement))):
            taking.append(channel)
    return taking
