"""The gazetteer: the people and bodies peacewatch knows by name, their aliases in every case
form, and the roles they hold between two dates.

Pure: built from data (``Gazetteer.from_data`` on the parsed ``seeds/speakers.toml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crawler.analysis.morphology import normalise_token, spelling_key, tokens, word_forms
from crawler.analysis.speaker_words import LANGS, name_gender


@dataclass(frozen=True)
class Role:
    phrases: dict[str, tuple[str, ...]]
    start: date | None
    end: date | None

    def covers(self, when: date | None) -> bool:
        if when is None:
            return self.end is None
        return (self.start is None or self.start <= when) and (self.end is None or when < self.end)


@dataclass(frozen=True)
class Speaker:
    name: str
    kind: str = "person"
    country: str = ""
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pinned: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()
    gender: str = ""  # "masc" | "femn" | "" (unknown)
    #: a place or side that stands for the body only as the subject of a speech verb
    #: ("Moscow insists", "Київ заявляє", "the Russian side noted"), never anywhere else
    metonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Entry:
    speaker: Speaker
    forms: tuple[frozenset[str], ...]
    role: Role | None


def _parse_date(value: Any) -> date | None:
    if not value:
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) == 7:
        text += "-01"
    return date.fromisoformat(text)


class Gazetteer:
    def __init__(self, speakers: list[Speaker]) -> None:
        self.speakers = {s.name: s for s in speakers}
        self._genders: dict[str, str] = {}
        self._index: dict[str, list[_Entry]] = {}
        self.names_first_words: set[str] = set()
        #: the last word of a person's full name, in every case form -> those people
        #: ("orban" -> Viktor Orbán, Balázs Orbán; "store" -> Jonas Gahr Støre)
        self._surnames: dict[str, set[str]] = {}
        #: each person's role phrases, word by word in every case form
        self._role_words: dict[str, list[tuple[Role, tuple[frozenset[str], ...]]]] = {}
        #: first word of a metonym as written (nominative only) -> (speaker, its words)
        self._metonyms: dict[str, list[tuple[Speaker, tuple[str, ...]]]] = {}
        #: every word of a person's name as the gazetteer writes it, in the nominative
        self.nominatives: set[str] = set()
        for speaker in speakers:
            for phrases in speaker.metonyms.values():
                for phrase in phrases:
                    words = tuple(normalise_token(t) for t, _, _ in tokens(phrase))
                    if words:
                        self._metonyms.setdefault(words[0], []).append((speaker, words))
            pinned = {normalise_token(p) for p in speaker.pinned}
            for lang, aliases in speaker.aliases.items():
                for alias in aliases:
                    self._add(speaker, alias, lang, pinned, None)
                    if speaker.kind == "person":
                        self.nominatives.update(
                            normalise_token(t) for t, _, _ in tokens(alias) if t[:1].isupper()
                        )
            for role in speaker.roles:
                for lang, phrases in role.phrases.items():
                    for phrase in phrases:
                        self._add(speaker, phrase, lang, pinned, role)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Gazetteer:
        speakers = []
        for entry in data.get("speakers", []):
            aliases = entry.get("aliases", {})
            roles = tuple(
                Role(
                    phrases={lang: tuple(role.get(lang, ())) for lang in LANGS},
                    start=_parse_date(role.get("from")),
                    end=_parse_date(role.get("to")),
                )
                for role in entry.get("roles", [])
            )
            speakers.append(
                Speaker(
                    name=entry["name"],
                    kind=entry.get("kind", "person"),
                    country=entry.get("country", ""),
                    aliases={lang: tuple(aliases.get(lang, ())) for lang in LANGS},
                    pinned=tuple(entry.get("pinned", ())),
                    roles=roles,
                    gender={"f": "femn", "m": "masc"}.get(entry.get("gender", ""), ""),
                    metonyms={
                        lang: tuple(entry.get("metonyms", {}).get(lang, ())) for lang in LANGS
                    },
                )
            )
        return cls(speakers)

    def _add(
        self, speaker: Speaker, phrase: str, lang: str, pinned: set[str], role: Role | None
    ) -> None:
        words = [t for t, _, _ in tokens(phrase)]
        if not words:
            return
        forms = []
        for word in words:
            base = normalise_token(word)
            if base in pinned or lang == "en":
                forms.append(frozenset({spelling_key(base)}))
            else:
                forms.append(word_forms(word, lang, name=word[:1].isupper()))
        entry = _Entry(speaker, tuple(forms), role)
        if role is not None:
            self._role_words.setdefault(speaker.name, []).append((role, tuple(forms)))
        if role is None and speaker.kind == "person" and len(words) > 1:
            for form in forms[-1]:
                self._surnames.setdefault(form, set()).add(speaker.name)
        for form in forms[0]:
            self._index.setdefault(form, []).append(entry)
        if role is None:
            self.names_first_words.update(forms[0])

    def gender(self, name: str, lang: str) -> str:
        """A person's grammatical gender: the gazetteer's ``gender``, else a guess from its
        Russian and Ukrainian aliases, else from the name itself for a person the gazetteer
        does not know; "" for a body or when unsure."""
        if name not in self._genders:
            speaker = self.speakers.get(name)
            if speaker is None:
                found = name_gender(name, lang)
            elif speaker.kind != "person":
                found = ""
            elif speaker.gender:
                found = speaker.gender
            else:
                found = next(
                    (
                        g
                        for lang_ in ("ru", "uk")
                        for alias in speaker.aliases.get(lang_, ())
                        if (g := name_gender(alias, lang_))
                    ),
                    "",
                )
            self._genders[name] = found
        return self._genders[name]

    def names_a_first_word(self, word: str) -> bool:
        """Whether a gazetteer name starts with ``word``."""
        return spelling_key(word) in self.names_first_words

    def holds_role_headed_by(self, name: str, word: str, when: date | None) -> bool:
        """Whether ``name`` holds, at ``when``, a role whose phrase has ``word`` (any case
        form): "генсек" for Guterres, "речник" for Tykhyi, "minister" for Carney."""
        key = spelling_key(word)
        return any(
            role.covers(when) and any(key in forms for forms in phrase)
            for role, phrase in self._role_words.get(name, ())
        )

    def surname_of(self, word: str) -> set[str]:
        """The people whose full name ends in ``word`` (any case form)."""
        return self._surnames.get(spelling_key(word), set())

    def match_at(
        self, words: list[str], i: int, when: date | None
    ) -> tuple[Speaker, int, bool] | None:
        """The longest gazetteer name or role starting at ``words[i]``: (speaker, length, role?)."""
        best: tuple[Speaker, int, bool] | None = None
        for entry in self._index.get(spelling_key(words[i]), ()):
            length = len(entry.forms)
            if i + length > len(words):
                continue
            if all(spelling_key(words[i + k]) in entry.forms[k] for k in range(1, length)):
                if entry.role is not None and not entry.role.covers(when):
                    continue
                if best is None or length > best[1] or (length == best[1] and entry.role is None):
                    best = (entry.speaker, length, entry.role is not None)
        return best

    def metonym_at(self, words: list[str], i: int) -> tuple[Speaker, int] | None:
        """The body a place or side standing at ``words[i]`` may stand for, as written
        (nominative): (speaker, length). Whether it speaks there is the caller's to judge."""
        best: tuple[Speaker, int] | None = None
        for speaker, phrase in self._metonyms.get(words[i], ()):
            if tuple(words[i : i + len(phrase)]) == phrase and (
                best is None or len(phrase) > best[1]
            ):
                best = (speaker, len(phrase))
        return best
