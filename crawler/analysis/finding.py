"""What the analysis finds in an article: one attributed statement, with offsets into the text.

The crawl turns each ``Finding`` into a ``storage.models.Report`` (the same fields, plus the
sentence encoder's vector) to store it; the analysis itself knows nothing of the store.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Finding:
    speaker: str
    speaker_as_written: str
    kind: str  # direct | indirect
    text: str
    recap: bool
    about_peace_talks: bool
    topic_score: float
    topic_concepts: list[str]
    topic_terms: list[str]
    start: int
    end: int
    speaker_resolution: str = "name"  # name | role | pronoun | unknown | continued
    # language-independent claim features for the diff (crawler/analysis/claims.py)
    entities: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    stems: list[str] = field(default_factory=list)
    #: when the words were said, as the attribution dates them (ISO date), and those words
    said_on: str | None = None
    said_evidence: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
