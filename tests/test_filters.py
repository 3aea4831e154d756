"""Per-channel filters (DESIGN §7): a channel takes the speakers, languages, reach, topic score
and kinds it asks for, and gets a statement's alert once, when it first qualifies."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.alerts.filtering import channel_filters
from scheduler.config import ConfigError, load_config
from storage.diff import DiffParams, decide_pending
from storage.filters import ChannelFilter, channels_taking
from tests.test_diff import RUTTE_EN, RUTTE_RU, alerts

STATEMENT = {"speaker": "Mark Rutte", "languages": '["ru"]', "outlet_count": 1, "topic_score": 2.5}


@pytest.mark.parametrize(
    ("flt", "takes"),
    [
        (ChannelFilter(), True),
        (ChannelFilter(speakers=("Mark Rutte",)), True),
        (ChannelFilter(speakers=("Dmitry Peskov",)), False),
        (ChannelFilter(languages=("ru", "uk")), True),
        (ChannelFilter(languages=("en",)), False),
        (ChannelFilter(min_outlets=2), False),
        (ChannelFilter(min_topic_score=3), False),
    ],
    ids=["all", "speaker", "other-speaker", "language", "other-language", "reach", "score"],
)
def test_a_filter_takes_what_it_asks_for(flt: ChannelFilter, takes: bool) -> None:
    assert flt.takes(STATEMENT) is takes


def test_a_channel_without_a_kind_gets_no_alert_of_it() -> None:
    filters = {"chat": ChannelFilter(kinds=("new",))}
    assert channels_taking(("log", "chat"), filters, "health") == ["log"]
    assert channels_taking(("log", "chat"), filters, "new", STATEMENT) == ["log", "chat"]


def test_a_channel_wanting_two_outlets_gets_the_alert_when_the_second_carries_it(db, store) -> None:
    params = DiffParams(channels=("log", "chat"), filters={"chat": ChannelFilter(min_outlets=2)})
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, params)
    assert [a["channel"] for a in alerts(db)] == ["log"]
    store("outlet-en", "2026-02-11T13:00:00+00:00", RUTTE_EN)
    store("other-ru", "2026-02-11T14:00:00+00:00", RUTTE_RU.replace("заявил", "сказал"))
    decide_pending(db, params)
    assert sorted(a["channel"] for a in alerts(db)) == ["chat", "log"]  # once each


def test_a_channel_for_other_speakers_gets_nothing_of_this_one(db, store) -> None:
    params = DiffParams(
        channels=("log", "chat"), filters={"chat": ChannelFilter(speakers=("Dmitry Peskov",))}
    )
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, params)
    assert [a["channel"] for a in alerts(db)] == ["log"]


def _config(tmp_path: Path, text: str):
    path = tmp_path / "peacewatch.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_speakers_in_a_filter_are_named_in_any_language(tmp_path: Path) -> None:
    config = _config(tmp_path, '[alerts.log]\nspeakers = ["Рютте", "Пєсков"]\n')
    assert channel_filters(config)["log"].speakers == ("Mark Rutte", "Dmitry Peskov")


def test_a_channel_that_takes_everything_has_no_filter(tmp_path: Path) -> None:
    assert channel_filters(_config(tmp_path, "")) == {}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('[alerts.log]\nkinds = ["new", "gossip"]\n', "unknown 'gossip'"),
        ('[alerts.log]\nlanguages = ["de"]\n', "unknown 'de'"),
        ("[alerts.log]\nmin_outlets = 0\n", "min_outlets"),
    ],
)
def test_filter_mistakes_are_clear_errors(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        _config(tmp_path, text)
