"""One article in, its reports out: statements found, speakers resolved, topic scored.

Pure: ``Analyzer(gazetteer, lexicon).analyze(text, language=…, published=…)`` gives ``Finding``s;
the crawl pipeline, ``peacewatch analyze`` and ``peacewatch eval`` all call this one function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from crawler.analysis.claims import claim_features
from crawler.analysis.finding import Finding
from crawler.analysis.gazetteer import Gazetteer
from crawler.analysis.morphology import fix_homoglyphs, normalise_token, tokens
from crawler.analysis.saidwhen import SaidWhen, said_when
from crawler.analysis.speaker_words import OBLIQUE_PREPOSITIONS, ROLE_HEADS, TITLE_WORDS, oblique
from crawler.analysis.speakers import Mention, SpeakerTracker
from crawler.analysis.speech import negated
from crawler.analysis.statements import Candidate, find_candidates
from crawler.analysis.textspans import paragraphs, quote_spans
from crawler.analysis.topics import Lexicon

MIN_STATEMENT_WORDS = 3
CONTEXT_WEIGHT = 0.5
TITLE_WEIGHT = 0.5
ARTICLE_WEIGHT = 0.5
ARTICLE_SHARE = 0.4
BACKGROUND_DAYS = 1
#: how many paragraphs back a pronoun looks for a subject before any person named
NEAR_PARAGRAPHS = 2


@dataclass
class Analyzer:
    gazetteer: Gazetteer
    lexicon: Lexicon

    @classmethod
    def from_data(
        cls, speakers: dict[str, Any], topics: dict[str, Any], threshold: float | None = None
    ) -> Analyzer:
        return cls(Gazetteer.from_data(speakers), Lexicon.from_data(topics, threshold))

    #: How much a statement's surroundings add to its own topic score: the paragraph it stands
    #: in and the article's title. Statements are short; "the talks were constructive" is
    #: about the Geneva round only because the paragraph says so.
    context_weight: float = CONTEXT_WEIGHT
    title_weight: float = TITLE_WEIGHT
    article_weight: float = ARTICLE_WEIGHT
    article_share: float = ARTICLE_SHARE
    #: words the attribution dates more than this many days before publication are told as
    #: background (a recap), whatever marker they carry
    background_days: int = BACKGROUND_DAYS

    def analyze(
        self, text: str, *, language: str, published: date | None = None, title: str = ""
    ) -> list[Finding]:
        text = fix_homoglyphs(text)
        tracker = SpeakerTracker(self.gazetteer, language, published)
        tracker.learn_people(text)
        quoted = quote_spans(text)
        # a person named inside anyone's quotation is in their words, never the one a later
        # "he said" stands for
        names = [
            n
            for n in self._named_people(text, tracker)
            if not any(a <= n[0] < b for a, b in quoted)
        ]
        spans = paragraphs(text)
        title_score = self.lexicon.score(title).score if title else 0.0
        paragraph_scores = [self.lexicon.score(text[a:b]).score for a, b in spans]
        about = [score >= self.lexicon.threshold for score in paragraph_scores]
        article_about_talks = bool(about) and sum(about) / len(about) >= self.article_share
        elsewhere = self.lexicon.elsewhere(f"{title}\n{text}")
        reports: list[Finding] = []
        last: tuple[Candidate, Finding] | None = None
        for candidate in find_candidates(text, title):
            statement = text[candidate.start : candidate.end].strip(" ,.:;\n")
            if len(tokens(statement)) < MIN_STATEMENT_WORDS:
                continue
            # the verb of "X urged both sides to …" opens the statement itself, right after
            # the window; anywhere else the statement's own words are never read as its verb
            opening = []
            if (
                0 <= candidate.speaker_end <= candidate.start
                and not text[candidate.speaker_end : candidate.start].strip()
            ):
                opening = text[candidate.start : candidate.start + 40].split()[:2]
            if negated(" ".join([_attribution(text, candidate), *opening])):
                continue  # "did not respond to a request for comment", "не подтвердили"
            mention = self._speaker(text, candidate, tracker, names, last, spans)
            if mention is None or not mention.name:
                continue
            score = self.lexicon.score(statement)
            # a crawl gives a paragraph a line: the context is the line and the ones around it
            context = max(
                paragraph_scores[max(0, candidate.paragraph - 1) : candidate.paragraph + 2]
            )
            if score.score > 0 or not score.negatives:
                bonus = self.context_weight * (context >= self.lexicon.threshold)
                bonus += self.title_weight * (title_score >= self.lexicon.threshold)
                bonus += self.article_weight * article_about_talks
                if bonus:
                    score.score = round(score.score + bonus, 3)
                    score.concepts.append("context")
            when = said_when(_attribution(text, candidate), language, published)
            if when is None and candidate.paragraph < len(spans):
                when = self._scene_day(text, candidate, spans, language, published)
            recap = candidate.recap or (
                when is not None
                and published is not None
                and (published - when.on).days > self.background_days
            )
            report = Finding(
                speaker=mention.name,
                speaker_as_written=mention.as_written.strip(),
                kind=candidate.kind,
                text=statement,
                recap=recap,
                about_peace_talks=self.lexicon.is_about_talks(score) and not elsewhere,
                topic_score=score.score,
                topic_concepts=score.concepts
                + [f"-{n}" for n in score.negatives]
                + (["-elsewhere"] if elsewhere else []),
                topic_terms=score.terms + elsewhere[:1],
                start=candidate.start
                + (
                    len(text[candidate.start : candidate.end])
                    - len(text[candidate.start : candidate.end].lstrip(" ,.:;\n"))
                ),
                end=candidate.start + len(text[candidate.start : candidate.end].rstrip(" ,.:;\n")),
                speaker_resolution=mention.kind,
                said_on=when.on.isoformat() if when else None,
                said_evidence=when.evidence if when else "",
            )
            claim = claim_features(
                statement, language, self.gazetteer, published, speaker=mention.name
            )
            report.entities = list(claim.entities)
            report.numbers = list(claim.numbers)
            report.stems = list(claim.stems)
            reports.append(report)
            last = (candidate, report)
            if mention.person:
                tracker.last_person = mention
        return reports

    def _scene_day(
        self,
        text: str,
        candidate: Candidate,
        spans: list[tuple[int, int]],
        language: str,
        published: date | None,
    ) -> SaidWhen | None:
        """ "23 ноября делегации обсуждали план в Женеве. Рубио назвал ту встречу …": the day
        the paragraph set just before the words dates them, when it is long past."""
        before = candidate.start
        if 0 <= candidate.speaker_start < before:
            before = candidate.speaker_start
        scene = said_when(
            text[spans[candidate.paragraph][0] : before], language, published, last=True
        )
        if scene is None or published is None:
            return None
        return scene if (published - scene.on).days > self.background_days else None

    def _named_people(self, text: str, tracker: SpeakerTracker) -> list[tuple[int, Mention, int]]:
        """Every person the gazetteer knows, by position, for pronouns outside statements, and
        whether the mention is in an oblique case ("з держсекретарем Рубіо"): a pronoun
        takes up the subject before it takes up an object."""
        found = tokens(text)
        words = [normalise_token(t) for t, _, _ in found]
        people: list[tuple[int, Mention, int]] = []
        i = 0
        while i < len(words):
            match = self.gazetteer.match_at(words, i, tracker.when)
            if match is None or match[0].kind != "person":
                i += 1
                continue
            speaker, length, is_role = match
            start, end = found[i][1], found[i + length - 1][2]
            # "with President Volodymyr Zelensky": the preposition may stand before a title
            before = words[max(0, i - 3) : i]
            while before and (before[-1] in TITLE_WORDS or ROLE_HEADS.match(before[-1])):
                before.pop()
            in_oblique = (bool(before) and before[-1] in OBLIQUE_PREPOSITIONS) or oblique(
                words[i], tracker.lang
            )
            # 0: the subject opening its sentence ("Fidan travelled …", "US Secretary of State
            # Marco Rubio said …"), 1: named elsewhere, 2: in an oblique case
            grade = 2 if in_oblique else (0 if _opens_sentence(text, start) else 1)
            if people and people[-1][1].name == speaker.name and start - people[-1][1].end <= 2:
                # "з держсекретарем США Марко Рубіо": the name in apposition shares the case
                grade = max(grade, people[-1][2])
            people.append(
                (
                    start,
                    Mention(
                        speaker.name, text[start:end], start, end, "role" if is_role else "name"
                    ),
                    grade,
                )
            )
            i += length
        return people

    def _speaker(
        self,
        text: str,
        candidate: Candidate,
        tracker: SpeakerTracker,
        names: list[tuple[int, Mention, int]],
        last: tuple[Candidate, Finding] | None,
        spans: list[tuple[int, int]],
    ) -> Mention | None:
        paragraph_ends = {i: end for i, (_, end) in enumerate(spans)}
        paragraph_starts = {i: start for i, (start, _) in enumerate(spans)}
        if candidate.continues:
            # a quotation paragraph without its own attribution continues the previous speaker
            # only right after "X сказал:" or after that speaker's own quotation
            if last is None or last[0].paragraph != candidate.paragraph - 1:
                return None
            previous_end = paragraph_ends.get(last[0].paragraph, 0)
            ends_with_colon = text[:previous_end].rstrip().endswith(":")
            if not ends_with_colon and last[0].kind != "direct":
                return None
            return Mention(last[1].speaker, last[1].speaker_as_written, -1, -1, "continued")
        window = text[candidate.speaker_start : candidate.speaker_end]
        # pronouns refer to the last speaker in this or the previous paragraph, else to the
        # last person named before the mention
        # people named inside the statement itself are not who is speaking it ("Я приезжаю
        # в Женеву с Джаредом", — сказал он)
        if candidate.kind == "direct":
            names = [n for n in names if not candidate.start <= n[0] < candidate.end]
        before = [m for position, m, _ in names if position < candidate.speaker_start]
        # the people named in this and the last paragraphs (lines), subjects before objects
        since = paragraph_starts.get(max(0, candidate.paragraph - NEAR_PARAGRAPHS), 0)
        near = [
            m
            for position, m, _ in sorted(names, key=lambda n: (n[2], -n[0]))
            if since <= position < candidate.speaker_start
        ]
        recent_speaker = None
        if last is not None and candidate.paragraph - last[0].paragraph <= 1:
            known = self.gazetteer.speakers.get(last[1].speaker)
            recent_speaker = Mention(
                last[1].speaker,
                last[1].speaker_as_written,
                -1,
                -1,
                "name",
                person=known is None or known.kind == "person",  # "he" is never a ministry
            )
        tracker.last_person = recent_speaker or (
            near[0] if near else before[-1] if before else tracker.last_person
        )
        candidates = ([recent_speaker] if recent_speaker else []) + near
        candidates += [m for m in before[::-1] if m not in candidates]
        if tracker.last_person is not None and tracker.last_person not in candidates:
            candidates.append(tracker.last_person)
        tracker.candidates = candidates
        tracker.recent = recent_speaker
        after = text[candidate.speaker_end : candidate.speaker_end + 60]
        return tracker.resolve(window, candidate.speaker_start, after)


def _attribution(text: str, candidate: Candidate) -> str:
    """The words that attribute a statement: its speaker's window and what stands between it
    and the statement ("заявил в понедельник, что"), never the statement's own words."""
    if candidate.speaker_start < 0:
        return ""
    if candidate.speaker_end <= candidate.start:
        return text[candidate.speaker_start : candidate.start]
    if candidate.speaker_start >= candidate.end:
        return text[candidate.end : candidate.speaker_end]
    return text[candidate.speaker_start : candidate.speaker_end]


def _opens_sentence(text: str, start: int) -> bool:
    """Whether a name opens its sentence, with at most a title or role before it."""
    head = text[max(0, start - 80) : start]
    cut = max(head.rfind(". "), head.rfind("\n"), head.rfind("! "), head.rfind("? "))
    head = head[cut + 1 :] if cut >= 0 else head
    words = [w for w, _, _ in tokens(head)]
    return len(words) <= 5 and all(
        w[:1].isupper()
        or normalise_token(w) in TITLE_WORDS
        or ROLE_HEADS.match(normalise_token(w))
        or normalise_token(w) in ("of", "the", "and")
        for w in words
    )
