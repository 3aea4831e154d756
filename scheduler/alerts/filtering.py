"""The config's per-channel filters as the diff and the outbox apply them (DESIGN §7): speaker
names resolved once against the gazetteer, so "Песков", "Пєсков" and "Peskov" are one person."""

from __future__ import annotations

from typing import Any

from scheduler.config import Config, read_analysis_data
from scheduler.settings import ChannelFilterSettings
from storage.filters import ChannelFilter
from storage.lemmas import names_match

_TAKES_ALL = ChannelFilterSettings()


def resolve_speakers(names: tuple[str, ...], gazetteer: list[dict[str, Any]]) -> tuple[str, ...]:
    """Canonical names for the names a user wrote; a name the gazetteer lacks stays as written."""
    found: list[str] = []
    for name in names:
        matches = [
            entry["name"]
            for entry in gazetteer
            if any(
                names_match(name, written)
                for written in [
                    entry["name"],
                    *(alias for forms in entry.get("aliases", {}).values() for alias in forms),
                ]
            )
        ]
        found += [m for m in matches or [name] if m not in found]
    return tuple(found)


def channel_filters(config: Config) -> dict[str, ChannelFilter]:
    """The filter of each configured channel that does not take everything."""
    filters: dict[str, ChannelFilter] = {}
    gazetteer: list[dict[str, Any]] | None = None
    for channel in config.alerts.channels:
        settings: ChannelFilterSettings = getattr(config.alerts, channel)
        wanted = (
            settings.speakers,
            settings.languages,
            settings.min_outlets,
            settings.min_topic_score,
            settings.kinds,
        )
        if wanted == (
            _TAKES_ALL.speakers,
            _TAKES_ALL.languages,
            _TAKES_ALL.min_outlets,
            _TAKES_ALL.min_topic_score,
            _TAKES_ALL.kinds,
        ):
            continue
        speakers: tuple[str, ...] = ()
        if settings.speakers:
            if gazetteer is None:
                gazetteer = read_analysis_data(config.analysis)[0].get("speakers", [])
            speakers = resolve_speakers(settings.speakers, gazetteer)
        filters[channel] = ChannelFilter(
            speakers=speakers,
            languages=settings.languages,
            min_outlets=settings.min_outlets,
            min_topic_score=settings.min_topic_score,
            kinds=settings.kinds,
        )
    return filters
