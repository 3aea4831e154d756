"""The chart of peace-talk statements per day by speaker, as SVG geometry for a template.

Drawn on the server as plain SVG: no script, nothing fetched, it renders the same in a browser,
a screenshot and an email client.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

#: colours for the most frequent speakers (colour-blind safe, Okabe–Ito); the rest are grey
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
OTHERS = "#999999"
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 32, 28, 10


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    #: (x, text) under the axis, a few days apart
    day_labels: list[tuple[float, str]] = field(default_factory=list)
    #: (y, text) beside the axis
    count_labels: list[tuple[float, str]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0
    days: int = 0

    @property
    def empty(self) -> bool:
        return not self.bars


def build_chart(rows: list[dict[str, Any]], first: date, last: date) -> Chart:
    """Stacked bars, one a day from ``first`` to ``last``, from rows of (day, speaker,
    statements)."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    per_day: dict[str, list[tuple[str, int]]] = defaultdict(list)
    totals: Counter[str] = Counter()
    for row in rows:
        per_day[row["day"]].append((row["speaker"], row["statements"]))
        totals[row["speaker"]] += row["statements"]
    colours = {name: PALETTE[i] for i, (name, _) in enumerate(totals.most_common(len(PALETTE)))}
    chart = Chart(total=sum(totals.values()), days=len(days))
    if not days or not totals:
        return chart
    peak = max(sum(n for _, n in per_day[d.isoformat()]) for d in days) or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(days)
    for i, day in enumerate(days):
        base = float(HEIGHT - BOTTOM)
        stack = sorted(per_day[day.isoformat()], key=lambda item: (item[0] not in colours, item))
        for speaker, count in stack:
            height = plot_h * count / peak
            base -= height
            chart.bars.append(
                Bar(
                    x=round(LEFT + i * slot + slot * 0.1, 1),
                    y=round(base, 1),
                    width=round(slot * 0.8, 1),
                    height=round(height, 1),
                    colour=colours.get(speaker, OTHERS),
                    title=f"{day.isoformat()}: {speaker}, {count}",
                )
            )
        if i % max(1, len(days) // 8) == 0:
            chart.day_labels.append((round(LEFT + i * slot + slot / 2, 1), day.strftime("%d %b")))
    chart.count_labels = [(float(TOP), str(peak)), (float(HEIGHT - BOTTOM), "0")]
    chart.legend = [(name, colour) for name, colour in colours.items()]
    if len(totals) > len(colours):
        chart.legend.append(("others", OTHERS))
    return chart
