"""Who is speaking: gazetteer names, inflected forms, roles at a date, pronouns, bodies.

Pure: the gazetteer (``crawler.analysis.gazetteer``) arrives as data; mentions are resolved on
token windows of one article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from crawler.analysis.gazetteer import Gazetteer, Speaker
from crawler.analysis.morphology import nominative_names, normalise_token, tokens
from crawler.analysis.speaker_words import (
    AIDE_HEADS,
    CAPITALISED,
    CITING_SOURCES,
    FRAME_POSSESSIVES,
    MEDIA,
    OBLIQUE_PREPOSITIONS,
    PLACE_PREPOSITIONS,
    PRONOUN_GENDER,
    PRONOUNS,
    REPORTERS,
    ROLE_HEADS,
    SENTENCE_WORDS,
    SOURCE_FRAME_WORDS,
    TITLE_WORDS,
    UNNAMED,
    attribute_of_next,
    genitive,
    group_or_unnamed,
    looks_like_name,
    oblique,
    person_shaped,
    place_of_role,
)
from crawler.analysis.speech import is_reaction_word, is_speech_word
from crawler.analysis.subject_words import (
    CLAUSE_OPENERS,
    INDEFINITE_SOURCE,
    SPEECH_NOUNS,
    VERB_GAP,
    nationality,
)

__all__ = ["Gazetteer", "Mention", "SpeakerTracker"]


@dataclass(frozen=True)
class Mention:
    """A resolved speaker mention: ``name`` is canonical (or the nominative of an unknown)."""

    name: str
    as_written: str
    start: int
    end: int
    kind: str  # name | role | pronoun | unknown | unnamed
    person: bool = True


@dataclass
class SpeakerTracker:
    """Resolves mentions within one article, remembering who was named last."""

    gazetteer: Gazetteer
    lang: str
    when: date | None
    last_person: Mention | None = None
    #: people a pronoun may stand for, the most likely first (set by the analyzer per mention);
    #: the first whose gender agrees with the pronoun is taken
    candidates: list[Mention] = field(default_factory=list)
    #: the speaker of the statement just before (this or the previous paragraph), if any
    recent: Mention | None = None
    #: people the gazetteer does not know, named in full so far ("Александр Вучич")
    unknown_people: list[str] = field(default_factory=list)
    #: the first words after the window being resolved
    _following: list[str] = field(default_factory=list)

    def resolve(self, text: str, offset: int = 0, after: str = "") -> Mention | None:
        """The speaker named in ``text`` (an attribution window), or None when there is none;
        ``after`` is the text right after the window (where its speech verb stands)."""
        found = tokens(text)
        if not found:
            return None
        words = [normalise_token(t) for t, _, _ in found]
        self._following = [normalise_token(t) for t, _, _ in tokens(after)][:4]
        # 0. "источники в Кремле", "a US official": an unnamed source is nobody
        heads = [w for w in words if w not in SENTENCE_WORDS and not is_speech_word(w)]
        unnamed = (
            CITING_SOURCES.search(text)
            or (heads and UNNAMED.match(heads[0]))
            or (self.lang == "en" and INDEFINITE_SOURCE.match(text))
        )
        if (
            unnamed
            and not (heads and self.gazetteer.names_a_first_word(heads[0]))
            and not self._names_a_person(words)
        ):
            return Mention("", text, offset, offset + len(text), "unnamed", False)
        # 1. a gazetteer person named in the window (the first one, the subject, unless another
        #    stands beside the speech verb), else a role held at the date, else a body ("МИД
        #    России", "the Kremlin"); never a principal after his aide's role, a possessor or
        #    a name in an oblique case when a pronoun can be the subject
        best: tuple[int, Speaker, int, bool] | None = None
        best_rank = best_score = -1
        source_frame = any(w in SOURCE_FRAME_WORDS for w in words) or words[0] in SPEECH_NOUNS
        principals: set[int] = set()  # words naming whose aide the speaker is
        i = 0
        while i < len(words):
            match = self.gazetteer.match_at(words, i, self.when) or self._metonym_at(
                text, found, words, i
            )
            if match is None:
                i += 1
                continue
            speaker, length, is_role = match
            deputy = i > 0 and (
                (AIDE_HEADS.match(words[i - 1]) and self.lang in ("ru", "uk"))
                # "Anna Kelly, the deputy White House press secretary": not the secretary
                or (is_role and words[i - 1] in ("deputy", "assistant", "vice"))
            )
            if deputy or (
                any(ROLE_HEADS.match(w) for w in words[max(0, i - 3) : i])
                and (
                    (genitive(words[i], self.lang) and not source_frame)
                    or self._person_at(words, i + length, speaker)
                )
            ):
                # "помощник Путина Ушаков", "спецпредставитель российского лидера Владимира
                # Путина, Кирилл Дмитриев": a name in the genitive shortly after a role head is
                # whose aide it is, never the speaker ("президент Зеленский" is)
                principals.update(range(i, i + length))
                i += length
                continue
            last_token = found[i + length - 1][0]
            if (
                self.lang == "en"
                and last_token.lower().endswith(("'s", "’s"))
                and any(ROLE_HEADS.match(w) for w in words[i + length : i + length + 3])
            ):
                # "President Donald Trump's top negotiator", "Zelensky's chief of staff": the
                # aide of the one named, not he
                principals.update(range(i, i + length))
                i += length
                continue
            in_oblique = (
                (i > 0 and words[i - 1] in OBLIQUE_PREPOSITIONS)
                or (
                    not source_frame
                    and words[i] not in self.gazetteer.nominatives  # "Вадефуль" as written
                    and oblique(words[i], self.lang)
                )
                # "Witkoff's visit", "Vance’s remarks": a possessor, not the subject
                or (self.lang == "en" and last_token.lower().endswith(("'s", "’s")))
            )
            rank = 1 if speaker.kind != "person" else (2 if is_role else 3)
            if in_oblique:
                rank = 0
            # of two alike, the one the speech verb stands next to ("Regarding the summit of
            # Trump and Putin, Rubio explained")
            beside = (i + length < len(words) and is_speech_word(words[i + length])) or (
                i > 0 and is_speech_word(words[i - 1])
            )
            score = rank * 2 + (1 if beside and rank else 0)
            if score > best_score:
                best, best_rank, best_score = (i, speaker, length, is_role), rank, score
            i += length
        if best is not None and words[0] in PRONOUNS:
            # "She accused Putin of …, while insisting that …": a pronoun opening the window is
            # its subject; the names after it are objects
            best = None
        if best_rank == 0 and any(w in PRONOUNS for w in words):
            # "сказал он в ходе совместной с Зеленским пресс-конференции": a name in an oblique
            # case is no subject; the pronoun is
            best = None
        if best is not None:
            i, speaker, length, is_role = best
            if length == 1 and not is_role:
                speaker = self._named_in_full(words[i]) or speaker
            start, end = found[i][1], found[i + length - 1][2]
            mention = Mention(
                speaker.name,
                text[start:end],
                offset + start,
                offset + end,
                "role" if is_role else "name",
                speaker.kind == "person",
            )
            return self._remember(mention)
        # 2. an unknown person: capitalised words, put into the nominative
        run: list[tuple[str, int, int]] = []
        for index, (token, start, end) in enumerate(found):
            if index in principals:
                if run:
                    break
                continue
            lowered = normalise_token(token)
            acronym = len(token) > 1 and token.isupper()
            if (
                index == 0
                and lowered.isascii()
                and lowered.endswith("ing")
                and len(found) > 1
                and found[1][0].islower()
            ):
                continue  # "Responding to the report, Anna Kelly said": a participle opens
            if (
                CAPITALISED.match(token)
                and lowered not in SENTENCE_WORDS
                and lowered not in MEDIA
                and not acronym
                and not is_speech_word(lowered)
            ):
                run.append((token, start, end))
            elif run:
                break
        first_index = next((k for k, t in enumerate(found) if run and t[1] == run[0][1]), 0)
        if run and first_index and normalise_token(found[first_index - 1][0]) in PLACE_PREPOSITIONS:
            run = []  # "В Абу-Даби говорили военные": after a preposition, a place or an object
        if run and any(w in REPORTERS for w in words[max(0, first_index - 3) : first_index]):
            # "журналист Axios Барак Равид": a reporter relays, and is no party to the talks
            return Mention("", text, offset, offset + len(text), "unnamed", False)
        titles: list[str] = []
        while run and (
            normalise_token(run[0][0]) in TITLE_WORDS
            or (len(run) > 2 and ROLE_HEADS.match(normalise_token(run[0][0])))
        ):
            titles.append(normalise_token(run[0][0]))
            run = run[1:]
            if titles and len(run) > 2 and place_of_role(run[0][0], self.lang):
                # "Президент Сербии Александр Вучич": the role's country, then the name
                titles.append(normalise_token(run[0][0]))
                run = run[1:]
        surname = normalise_token(run[0][0]) if len(run) == 1 else ""
        if (
            surname
            and self.gazetteer.match_at([surname], 0, self.when) is None
            and (named := self._named_in_full(surname))
        ):
            # "Mr. Store" after "Jonas Gahr Støre": the surname of someone named in full that
            # the gazetteer does not know alone (a name it knows was weighed above)
            return self._remember(
                Mention(named.name, run[0][0], offset + run[0][1], offset + run[0][2], "name")
            )
        if len(run) == 1 and attribute_of_next(found, run[0], self.lang):
            run = []  # "Українська делегація", "Российская сторона": an adjective, no name
        if len(run) == 1 and (known := self._unknown_named_before(run[0][0])):
            # "Вучич" after "Александр Вучич": the person the article named in full
            mention = Mention(known, run[0][0], offset + run[0][1], offset + run[0][2], "unknown")
            return self._remember(mention)
        if run and len(run) == 1 and not looks_like_name(run[0][0], self.lang):
            run = []
        if run:
            first = next(k for k, (_, start, _) in enumerate(found) if start == run[0][1])
            last = first + len(run)
            # "Anna Kelly, the deputy …": a role in apposition, right after a comma
            comma = last < len(found) and "," in text[found[last - 1][2] : found[last][1]]
            apposition = words[last:] if comma else []
            if not person_shaped(
                [t for t, _, _ in run], words[:first] + titles, self.lang, apposition
            ):
                run = []
        # 3. a pronoun or a bare role refers to the last person named
        for index, word in enumerate(words):
            possessive = source_frame and word in FRAME_POSSESSIVES
            if word in PRONOUNS or possessive or (ROLE_HEADS.match(word) and index < 3 and not run):
                if (
                    word not in PRONOUNS
                    and not possessive
                    and group_or_unnamed(words, index, self.lang)
                ):
                    # "European leaders said", "офіційний представник США": a group, or an
                    # official of a country left unnamed — nobody (DESIGN §2)
                    return Mention("", text, offset, offset + len(text), "unnamed", False)
                referent = self._referent(word, words[index - 1] if index else "")
                if possessive and (
                    referent is None or referent.name != getattr(self.recent, "name", None)
                ):
                    # "По его словам, …" goes on with the statement before it, and with no other
                    referent = None
                if referent is not None:
                    _, start, end = found[index]
                    return Mention(
                        referent.name,
                        text[start:end],
                        offset + start,
                        offset + end,
                        "pronoun" if word in PRONOUNS or possessive else "role",
                    )
                return None
        if run and len(run) <= 3:
            name = nominative_names([t for t, _, _ in run], self.lang)
            mention = Mention(
                name,
                text[run[0][1] : run[-1][2]],
                offset + run[0][1],
                offset + run[-1][2],
                "unknown",
            )
            return self._remember(mention)
        return None

    def learn_people(self, text: str) -> None:
        """People the gazetteer lacks, introduced anywhere in the article by a title or role
        ("Prime Minister Mark Carney met …"), so that a later "Carney said" or "he said" is
        them."""
        found = tokens(text)
        for k, (token, _, _) in enumerate(found[:-1]):
            head = normalise_token(token)
            if head not in TITLE_WORDS and not ROLE_HEADS.match(head):
                continue
            run = []
            for word, _, _ in found[k + 1 : k + 5]:
                lowered = normalise_token(word)
                if not CAPITALISED.match(word) or lowered in SENTENCE_WORDS or lowered in MEDIA:
                    break
                run.append(word)
            while run and (
                normalise_token(run[0]) in TITLE_WORDS or ROLE_HEADS.match(normalise_token(run[0]))
            ):
                run = run[1:]  # "Prime Minister Mark Carney": the title's second word
            words = [normalise_token(w) for w in run]
            if not 2 <= len(run) <= 3 or self.gazetteer.match_at(words, 0, self.when):
                continue
            if person_shaped(run, [head], self.lang):
                name = nominative_names(run, self.lang)
                if name not in self.unknown_people:
                    self.unknown_people.append(name)

    def _unknown_named_before(self, token: str) -> str | None:
        """The full name of a person the gazetteer does not know, named earlier in the article,
        whose surname ``token`` is in any case form ("Вучича" after "Александр Вучич")."""
        word = normalise_token(token)
        for full in reversed(self.unknown_people):
            surname = normalise_token(full.split()[-1])
            stem = surname[:-1] if len(surname) > 4 else surname
            if word.startswith(stem) and len(word) - len(surname) <= 3:
                return full
        return None

    def _names_a_person(self, words: list[str]) -> bool:
        """Whether the window names a person the gazetteer knows ("представитель главы ООН
        Стефан Дюжаррик" is Dujarric, not an unnamed representative)."""
        for i in range(len(words)):
            match = self.gazetteer.match_at(words, i, self.when)
            if match is not None and match[0].kind == "person" and not match[2]:
                return True
        return False

    def _metonym_at(
        self, text: str, found: list[tuple[str, int, int]], words: list[str], i: int
    ) -> tuple[Speaker, int, bool] | None:
        """ "Moscow insists", "Київ заявляє", "the Russian side noted": a place or side as the
        subject of a speech verb stands for its government; anywhere else it is a place."""
        match = self.gazetteer.metonym_at(words, i)
        if match is None:
            return None
        if (
            i > 0
            and words[i - 1] not in CLAUSE_OPENERS
            and not text[found[i - 1][2] : found[i][1]].strip()
        ):
            return None  # "talks in Moscow", "the channel We Are Ukraine": not a subject
        speaker, length = match
        if found[i + length - 1][0].lower().endswith(("'s", "’s")):
            return None  # "Russia's position": a possessor
        # the speech verb stands in the window or right after it
        rest = words[i + length :] + self._following
        verb = next((w for w in rest if w not in VERB_GAP), "")
        if is_speech_word(verb) and not is_reaction_word(verb):
            return speaker, length, False
        return None

    def _named_in_full(self, word: str) -> Speaker | None:
        """The person most recently named in full in the article whose surname ``word`` is:
        a bare "Orban" after "Balázs Orbán" is Balázs, not the Orbán the gazetteer knows
        better."""
        people = self.gazetteer.surname_of(word)
        if not people:
            return None
        for mention in self.candidates:
            if mention.name in people and mention.kind == "name" and " " in mention.as_written:
                return self.gazetteer.speakers[mention.name]
        return None

    def _person_at(self, words: list[str], i: int, other_than: Speaker) -> bool:
        """Whether another person is named right at ``words[i]`` ("помощник Путина Ушаков")."""
        if i >= len(words):
            return False
        match = self.gazetteer.match_at(words, i, self.when)
        return match is not None and match[0].kind == "person" and match[0] != other_than

    def _referent(self, word: str, before: str = "") -> Mention | None:
        """Whom a pronoun or bare role stands for: the most likely person, unless a pronoun's
        gender rules them out ("она" is never Rubio); then the next likely who agrees, or
        nobody — a statement without a speaker is better than one with the wrong one."""
        last = self.last_person if self.last_person and self.last_person.person else None
        wanted = PRONOUN_GENDER.get(word) or FRAME_POSSESSIVES.get(word)
        if wanted is None:
            # a bare role ("глава", "дипломат") is a person, never a body: the one named
            # before who holds such a role ("Генсек" after Guterres and his spokesman), else
            # the most likely
            country = nationality(before)
            if country:
                # "зазначив німецький політик", "the Russian leader": the person named before
                # from that country, or nobody
                people = [m for m in self.candidates if m.person] or ([last] if last else [])
                return next((m for m in people if self._country(m.name) == country), None)
            holders = [
                m
                for m in self.candidates
                if m.person and self.gazetteer.holds_role_headed_by(m.name, word, self.when)
            ]
            return holders[0] if holders else last
        people = [m for m in self.candidates if m.person] or ([last] if last else [])
        for person in people:
            if self.gazetteer.gender(person.name, self.lang) in (wanted, ""):
                return person
        return None

    def _country(self, name: str) -> str:
        speaker = self.gazetteer.speakers.get(name)
        return speaker.country if speaker else ""

    def _remember(self, mention: Mention) -> Mention:
        if mention.kind == "unknown" and " " in mention.name:
            self.unknown_people.append(mention.name)
        if mention.person:
            self.last_person = mention
        return mention
