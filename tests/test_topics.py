"""The topic score: concepts with prefixes and gaps, negatives, the threshold."""

from __future__ import annotations

from crawler.analysis.topics import Lexicon

LEXICON = Lexicon.from_data(
    {
        "threshold": 1.0,
        "concepts": [
            {
                "id": "negotiations",
                "weight": 1.0,
                "ru": ["переговор*"],
                "uk": ["переговор*"],
                "en": ["negotiat*", "peace talks"],
            },
            {
                "id": "ending-the-war",
                "weight": 1.0,
                "ru": ["прекрат* ~ войн*", "конец ~ войн*"],
                "en": ["end* ~ war"],
            },
            {"id": "dialogue", "weight": 0.6, "ru": ["диалог*"], "en": ["dialogue"]},
        ],
        "negatives": [{"id": "imf", "weight": -1.0, "ru": ["мвф"], "en": ["imf"]}],
    }
)


def test_inflected_forms_match_by_prefix() -> None:
    score = LEXICON.score("Стороны провели переговорах в Женеве")
    assert score.concepts == ["negotiations"] and LEXICON.is_about_talks(score)


def test_gap_pattern_spans_a_few_words() -> None:
    score = LEXICON.score("инициативу, которая позволит поскорее прекратить эту ужасную войну")
    assert "ending-the-war" in score.concepts
    assert score.terms == ["прекрат* ~ войн*"]


def test_gap_is_limited_to_three_words() -> None:
    assert LEXICON.score("прекратить один два три четыре войну").concepts == []


def test_a_concept_counts_once() -> None:
    assert LEXICON.score("переговоры о переговорах и снова переговоры").score == 1.0


def test_weak_concept_alone_stays_below_the_threshold() -> None:
    score = LEXICON.score("Важен диалог с партнерами")
    assert score.score == 0.6 and not LEXICON.is_about_talks(score)


def test_negative_cues_pull_the_score_down() -> None:
    score = LEXICON.score("Переговоры с МВФ о новой программе продолжаются")
    assert score.negatives == ["imf"] and not LEXICON.is_about_talks(score)


def test_threshold_can_be_overridden() -> None:
    strict = Lexicon.from_data({"concepts": [], "threshold": 1.0}, threshold=2.0)
    assert strict.threshold == 2.0


SCOPED = Lexicon.from_data(
    {
        "threshold": 1.0,
        "concepts": [{"id": "negotiations", "weight": 1.0, "en": ["negotiat*", "talks"]}],
        "anchors": [{"id": "this-war", "en": ["ukrain*", "kyiv*"]}],
        "elsewhere": [{"id": "other", "en": ["iran*", "hamas"]}],
    }
)


def test_an_article_on_another_negotiation_that_never_names_this_war_is_elsewhere() -> None:
    text = "Iran and the United States met in Geneva. The talks were useful, the envoy said."
    assert SCOPED.elsewhere(text) == ["iran*"]


def test_naming_this_war_keeps_an_article_in_scope_whatever_else_it_names() -> None:
    text = "Kyiv's envoy said the talks would go on; Iranian drones still hit the city."
    assert SCOPED.elsewhere(text) == []


def test_an_article_naming_no_other_negotiation_is_never_elsewhere() -> None:
    assert SCOPED.elsewhere("The envoy said the talks would resume in spring.") == []
