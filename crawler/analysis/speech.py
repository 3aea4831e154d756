"""The words that introduce speech in ru/uk/en news: verbs in all their forms, views.

Russian and Ukrainian verbs are listed as lemmas and expanded to every form by pymorphy3, so
"заявил", "заявила", "заявив", "заявляет" all count; English forms are listed as they are.
"""

from __future__ import annotations

from functools import lru_cache

from crawler.analysis.morphology import normalise_token, tokens, word_forms

SPEECH_VERBS = {
    "ru": (
        "заявить заявлять сказать говорить отметить отмечать подчеркнуть подчёркивать "
        "подчеркивать добавить добавлять сообщить сообщать пояснить пояснять указать указывать "
        "считать констатировать признать признавать предупредить предупреждать напомнить "
        "напоминать ответить отвечать рассказать рассказывать написать писать уточнить уточнять "
        "заверить заверять призвать призывать полагать объявить объявлять пообещать обещать "
        "допустить допускать высказаться оценить настаивать резюмировать выразить убеждать "
        "утверждать признаться добавлять передать назвать предложить предлагать подтвердить "
        "подтверждать раскритиковать отвергнуть отвергать обвинить обвинять пригрозить "
        "потребовать требовать осудить приветствовать опровергнуть выступить заметить замечать "
        "пожаловаться поделиться повторить выражать анонсировать охарактеризовать характеризовать"
    ),
    "uk": (
        "заявити заявляти сказати казати говорити зазначити зазначати наголосити наголошувати "
        "підкреслити підкреслювати додати додавати повідомити повідомляти пояснити пояснювати "
        "вказати вказувати вважати констатувати визнати визнавати попередити попереджати "
        "нагадати нагадувати відповісти відповідати розповісти розповідати написати писати "
        "уточнити уточнювати запевнити запевняти закликати оголосити оголошувати пообіцяти "
        "обіцяти припустити допустити висловитися оцінити наполягати резюмувати переконувати "
        "стверджувати передати назвати запропонувати пропонувати підтвердити підтверджувати "
        "розкритикувати відкинути відкидати звинуватити звинувачувати пригрозити вимагати "
        "засудити привітати спростувати виступити зауважити зауважувати поскаржитися "
        "поділитися повторити висловити висловлювати анонсувати охарактеризувати характеризувати"
    ),
}
EN_SPEECH = set(
    [
        "say",
        "says",
        "said",
        "saying",
        "tell",
        "tells",
        "told",
        "add",
        "adds",
        "added",
        "stress",
        "stresses",
        "stressed",
        "note",
        "notes",
        "noted",
        "warn",
        "warns",
        "warned",
        "argue",
        "argues",
        "argued",
        "insist",
        "insists",
        "insisted",
        "write",
        "writes",
        "wrote",
        "declare",
        "declared",
        "announce",
        "announced",
        "explain",
        "explained",
        "claim",
        "claimed",
        "believe",
        "believes",
        "believed",
        "urge",
        "urged",
        "emphasize",
        "emphasized",
        "emphasise",
        "emphasised",
        "underline",
        "underlined",
        "acknowledge",
        "acknowledged",
        "admit",
        "admitted",
        "suggest",
        "suggested",
        "assert",
        "asserted",
        "maintain",
        "maintained",
        "reply",
        "replied",
        "respond",
        "responded",
        "state",
        "stated",
        "confirm",
        "confirmed",
        "promise",
        "remarked",
        "observed",
        "complained",
        "conceded",
        "cautioned",
        "reiterated",
        "recalled",
        "proposed",
        "propose",
        "proposes",
        "accused",
        "accuses",
        "rejected",
        "rejects",
        "demanded",
        "demands",
        "threatened",
        "praised",
        "criticised",
        "criticized",
        "dismissed",
        "welcomed",
        "welcomes",
        "described",
        "called",
        "urges",
        "warns",
        "questioned",
        "denied",
        "denies",
        "promised",
        "vow",
        "vowed",
        "predict",
        "predicted",
        "signal",
        "signalled",
        "signaled",
        "express",
        "expressed",
        "expresses",
        "voiced",
        "stating",
        "adding",
        "noting",
        "stressing",
        "warning",
        "insisting",
        "arguing",
        "claiming",
        "emphasizing",
        "emphasising",
        "outlined",
        "contended",
        "contends",
        "revealed",
        "reveals",
    ]
)
#: Predicative adjectives that introduce a view: "Х уверен, что…", "Х переконаний, що…".
OPINION_WORDS = {
    "уверен",
    "уверена",
    "убежден",
    "убеждена",
    "убеждён",
    "переконаний",
    "переконана",
    "впевнений",
    "впевнена",
    "convinced",
    "confident",
}


@lru_cache(maxsize=4)
def speech_forms(lang: str) -> frozenset[str]:
    if lang == "en":
        return frozenset(EN_SPEECH)
    forms: set[str] = set()
    for verb in SPEECH_VERBS.get(lang, "").split():
        forms.update(word_forms(verb, lang))
    # Russian news is often quoted in Ukrainian outlets and vice versa
    return frozenset(forms)


@lru_cache(maxsize=1)
def all_speech_forms() -> frozenset[str]:
    return speech_forms("ru") | speech_forms("uk") | speech_forms("en")


def is_speech_word(word: str) -> bool:
    word = normalise_token(word)
    return word in all_speech_forms() or word in OPINION_WORDS


# -- quotations -----------------------------------------------------------------------------


#: Verbs of a bare reaction or a hand-over: "Kyiv dismissed the claim", "Moscow has rejected
#: the idea", "Российская сторона передала меморандум". Said of a place or side standing for
#: its government, they report a position or an act, not words to alert.
REACTION_VERBS = {
    "ru": "отвергнуть отвергать отклонить отклонять опровергнуть опровергать передать передавать",
    "uk": "відкинути відкидати відхилити відхиляти спростувати спростовувати передати передавати",
    "en": "reject rejects rejected rejecting dismiss dismisses dismissed deny denies denied",
}


@lru_cache(maxsize=1)
def reaction_forms() -> frozenset[str]:
    forms: set[str] = set(REACTION_VERBS["en"].split())
    for lang in ("ru", "uk"):
        for verb in REACTION_VERBS[lang].split():
            forms.update(word_forms(verb, lang))
    return frozenset(forms)


def is_reaction_word(word: str) -> bool:
    return normalise_token(word) in reaction_forms()


#: Words that deny or suspend the speech verb right after them: "did not respond", "has not yet
#: said", "would announce", "не подтвердили", "не заявляв". "Не раз", "не только" and
#: "неоднократно" affirm it and are not among them.
NEGATIONS = {"not", "n't", "never", "didn't", "hasn't", "haven't", "hadn't", "won't", "wouldn't"}
NEGATIONS |= {"doesn't", "don't", "would", "could", "might", "will", "не", "ни", "ні", "ніколи"}
NEGATIONS |= {"никогда"}
_NOT_NEGATING = {"раз", "только", "лише", "тільки", "лишь", "once", "only"}


def negated(attribution: str) -> bool:
    """Whether the speech verb of ``attribution`` is denied or only supposed: a negation or a
    modal within the two words before it ("did not immediately respond", "не подтвердили")."""
    words = [normalise_token(w) for w, _, _ in tokens(attribution)]
    for index, word in enumerate(words):
        if not is_speech_word(word):
            continue
        before = words[max(0, index - 2) : index]
        if any(w in NEGATIONS for w in before) and not any(w in _NOT_NEGATING for w in before):
            return True
        if word.endswith(("ть", "ти")) and words[index + 1 : index + 2] in (["не"], ["ні"]):
            return True  # "Строків у Кремлі назвати не можуть": an infinitive no one can say
    return False
