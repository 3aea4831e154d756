"""A statement candidate: the words of a statement and where its speaker is named.

``start``/``end`` are offsets into the article text of the statement's own words,
``speaker_start``/``speaker_end`` of the window that names the speaker (decided by
``crawler.analysis.speakers``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Candidate:
    kind: str  # direct | indirect
    start: int
    end: int
    speaker_start: int
    speaker_end: int
    recap: bool
    paragraph: int
    continues: bool = False  # a quote paragraph that continues the previous speaker

    def text(self, article: str) -> str:
        return article[self.start : self.end]
