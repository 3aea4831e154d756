"""Is a statement about an initiative to end the war by negotiation? An explainable score.

The lexicon (``seeds/topics.toml``, passed in as data) lists language-independent concepts,
each with terms in ru/uk/en and a weight, and negative cues. A term is a sequence of token
patterns on consecutive words: ``переговор*`` is a prefix, ``~`` lets up to three words in
between. A statement scores the sum of the weights of the distinct concepts it matches, plus
its negative cues; the matched concepts and terms are kept so a person can see why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.analysis.morphology import normalise_token, tokens

MAX_GAP = 3
_KEY = 3  # letters of a prefix used as its index key


@dataclass(frozen=True)
class Term:
    text: str
    patterns: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Term:
        patterns = tuple(normalise_token(p) if p not in ("~", "*") else p for p in text.split())
        return cls(text, patterns)


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    weight: float
    terms: tuple[Term, ...]


@dataclass
class TopicScore:
    score: float
    concepts: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    negatives: list[str] = field(default_factory=list)


def _token_matches(pattern: str, word: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return word == pattern


def _match_from(patterns: tuple[str, ...], words: list[str], i: int) -> bool:
    """Whether ``patterns`` match the words starting at ``i`` (``~`` skips 0–3 words)."""
    if not patterns:
        return True
    head, rest = patterns[0], patterns[1:]
    if head == "~":
        return any(
            _match_from(rest, words, i + gap)
            for gap in range(0, MAX_GAP + 1)
            if i + gap <= len(words)
        )
    if i >= len(words) or not _token_matches(head, words[i]):
        return False
    return _match_from(rest, words, i + 1)


class Lexicon:
    def __init__(
        self,
        concepts: list[Concept],
        negatives: list[Concept],
        threshold: float,
        anchors: list[Concept] | None = None,
        elsewhere: list[Concept] | None = None,
    ) -> None:
        self.concepts = concepts
        self.negatives = negatives
        self.threshold = threshold
        # Article scope: words that tie a text to this war, and words of other negotiations.
        self._anchors = Lexicon(anchors, [], threshold) if anchors else None
        self._elsewhere = Lexicon(elsewhere, [], threshold) if elsewhere else None
        # Terms indexed by their first word (exact) or the first letters of their prefix, so a
        # statement is checked only against terms that can start at one of its words.
        self._exact: dict[str, list[tuple[Concept, Term, bool]]] = {}
        self._prefix: dict[str, list[tuple[Concept, Term, bool]]] = {}
        self._short: list[tuple[Concept, Term, bool]] = []
        for group, negative in ((concepts, False), (negatives, True)):
            for concept in group:
                for term in concept.terms:
                    first = term.patterns[0] if term.patterns else ""
                    entry = (concept, term, negative)
                    if not first.endswith("*"):
                        self._exact.setdefault(first, []).append(entry)
                    elif len(first) > _KEY:
                        self._prefix.setdefault(first[:_KEY], []).append(entry)
                    else:
                        self._short.append(entry)

    @classmethod
    def from_data(cls, data: dict[str, Any], threshold: float | None = None) -> Lexicon:
        def build(entries: list[dict[str, Any]]) -> list[Concept]:
            return [
                Concept(
                    id=entry["id"],
                    label=entry.get("label", entry["id"]),
                    weight=float(entry.get("weight", 1.0)),
                    terms=tuple(
                        Term.parse(term)
                        for lang in ("en", "ru", "uk")
                        for term in entry.get(lang, ())
                    ),
                )
                for entry in entries
            ]

        return cls(
            build(data.get("concepts", [])),
            build(data.get("negatives", [])),
            float(threshold if threshold is not None else data.get("threshold", 1.0)),
            build(data.get("anchors", [])),
            build(data.get("elsewhere", [])),
        )

    def score(self, text: str) -> TopicScore:
        words = [normalise_token(t) for t, _, _ in tokens(text)]
        hits: dict[str, tuple[Concept, Term, bool]] = {}
        for i, word in enumerate(words):
            for group in (self._exact.get(word), self._prefix.get(word[:_KEY]), self._short):
                for entry in group or ():
                    concept, term, _ = entry
                    if concept.id in hits or not _token_matches(term.patterns[0], word):
                        continue
                    if _match_from(term.patterns[1:], words, i + 1):
                        hits[concept.id] = entry
        result = TopicScore(0.0)
        order = {c.id: n for n, c in enumerate(self.concepts + self.negatives)}
        for concept, term, negative in sorted(hits.values(), key=lambda e: order[e[0].id]):
            result.score += concept.weight
            (result.negatives if negative else result.concepts).append(concept.id)
            result.terms.append(term.text)
        result.score = round(result.score, 3)
        return result

    def elsewhere(self, text: str) -> list[str]:
        """The terms of another negotiation (Iran, Gaza, arms control, trade…) in an article
        that never mentions this war; [] when it does, or names no other negotiation. Such an
        article's statements are not about this war's talks, whatever their own words."""
        if self._anchors is None or self._elsewhere is None:
            return []
        if self._anchors.score(text).concepts:
            return []
        return self._elsewhere.score(text).terms

    def is_about_talks(self, score: TopicScore) -> bool:
        return score.score >= self.threshold
