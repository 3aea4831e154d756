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
