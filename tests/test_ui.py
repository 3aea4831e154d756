"""The web view's parts that need no server: the chart's geometry and the reasons it shows."""

from __future__ import annotations

from datetime import date

from scheduler.ui.chart import OTHERS, PALETTE, build_chart
from scheduler.ui.data import why_text


def _rows(*items: tuple[str, str, int]) -> list[dict]:
    return [{"day": d, "speaker": s, "statements": n} for d, s, n in items]


def test_the_tallest_day_fills_the_plot_and_bars_stack_by_speaker() -> None:
    chart = build_chart(
        _rows(("2026-02-10", "Rutte", 2), ("2026-02-11", "Rutte", 3), ("2026-02-11", "Peskov", 1)),
        date(2026, 2, 10),
        date(2026, 2, 11),
    )
    assert chart.total == 6 and chart.days == 2
    day_two = [bar for bar in chart.bars if bar.title.startswith("2026-02-11")]
    assert len(day_two) == 2
    tallest = sum(bar.height for bar in day_two)
    day_one = sum(bar.height for bar in chart.bars if bar.title.startswith("2026-02-10"))
    assert abs(day_one / tallest - 2 / 4) < 0.01
    assert chart.count_labels[0][1] == "4"


def test_the_most_frequent_speakers_have_colours_and_the_rest_are_grey() -> None:
    rows = _rows(*[("2026-02-10", f"speaker {i}", 10 - i) for i in range(len(PALETTE) + 2)])
    chart = build_chart(rows, date(2026, 2, 10), date(2026, 2, 10))
    colours = {bar.title.split(": ")[1].split(",")[0]: bar.colour for bar in chart.bars}
    assert colours["speaker 0"] == PALETTE[0]
    assert colours[f"speaker {len(PALETTE) + 1}"] == OTHERS
    assert chart.legend[-1] == ("others", OTHERS)


def test_no_statements_draw_no_chart() -> None:
    assert build_chart([], date(2026, 2, 1), date(2026, 2, 10)).empty


def test_why_a_report_joined_is_said_in_words() -> None:
    assert why_text({"decision": "new"}) == "first report of this occasion"
    assert why_text({"decision": "joined", "occasion": "same article"}).startswith("same article")
    joined = why_text(
        {"decision": "joined", "score": 0.614, "shared": {"concepts": ["ending-the-war"]}}
    )
    assert joined == "same words (score 0.61); shared: ending-the-war"
