"""Statement candidates: every quotation style, attribution order, indirect speech, recaps."""

from __future__ import annotations

import pytest

from crawler.analysis.statements import Candidate, find_candidates
from crawler.analysis.textspans import quote_spans, sentences


def found(text: str) -> list[tuple[str, str, str, bool]]:
    return [
        (c.kind, c.text(text).strip(" ,."), text[c.speaker_start : c.speaker_end].strip(), c.recap)
        for c in find_candidates(text)
    ]


def one(text: str) -> tuple[str, str]:
    """The only candidate's statement and speaker window."""
    (candidate,) = find_candidates(text)
    window = text[candidate.speaker_start : candidate.speaker_end].strip(" ,.")
    return candidate.text(text), window


def only(text: str) -> Candidate:
    candidates = find_candidates(text)
    assert len(candidates) == 1, candidates
    return candidates[0]


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        (
            "«Мы готовы продолжать переговоры в Женеве», — сказал Песков.",
            "Мы готовы продолжать переговоры в Женеве",
        ),
        (
            "„Ми готові продовжувати переговори в Женеві“, — заявив Умєров.",
            "Ми готові продовжувати переговори в Женеві",
        ),
        (
            '"Мы готовы продолжать переговоры в Женеве", - сказал Песков.',
            "Мы готовы продолжать переговоры в Женеве",
        ),
        (
            "“We are ready to keep talking in Geneva,” Witkoff said.",
            "We are ready to keep talking in Geneva,",
        ),
        (
            '"We are ready to keep talking in Geneva," said Witkoff.',
            "We are ready to keep talking in Geneva,",
        ),
    ],
    ids=["guillemets", "german-quotes", "straight-dash", "curly-en", "straight-en-inverted"],
)
def test_quotation_styles_with_attribution_after(text: str, quote: str) -> None:
    candidate = only(text)
    assert candidate.kind == "direct"
    assert candidate.text(text) == quote


def test_nested_quotes_stay_inside_the_outer_quotation() -> None:
    text = "«Так называемый „план мира“ требует обсуждения с Киевом», — заявил Лавров."
    assert quote_spans(text) == [(1, text.index("»"))]
    assert only(text).kind == "direct"


def test_attribution_before_the_quotation_with_a_colon() -> None:
    text = "Лавров заявил: «Европейцы пытаются сорвать договоренности, достигнутые в Анкоридже»."
    kind, quote, speaker, _ = found(text)[0]
    assert (kind, speaker) == ("direct", "Лавров заявил")
    assert quote.startswith("Европейцы пытаются")


def test_headline_form_in_the_body() -> None:
    text = "Рютте: «Каждую инициативу, которая приблизит конец войны, стоит поощрять»."
    kind, _, speaker, _ = found(text)[0]
    assert (kind, speaker) == ("direct", "Рютте")


def test_source_frame_before_a_quotation() -> None:
    text = "По словам Пескова, «президент открыт к диалогу, если воля взаимна»."
    kind, _, speaker, _ = found(text)[0]
    assert (kind, speaker) == ("direct", "Пескова")


def test_quotation_split_by_its_attribution_is_one_statement() -> None:
    text = "«Первый день был трудным, — сказал Мединский. — Но мы договорились встретиться завтра»."
    candidate = only(text)
    assert candidate.kind == "direct"
    assert "встретиться завтра" in candidate.text(text)
    assert text[candidate.speaker_start : candidate.speaker_end] == "сказал Мединский"


def test_english_quotation_continued_after_said_is_one_statement() -> None:
    text = '"The talks were detailed and productive," Witkoff said. "We will meet again next week."'
    candidate = only(text)
    assert candidate.text(text).endswith("We will meet again next week.")


def test_quotation_set_as_a_paragraph_opened_by_a_dash() -> None:
    text = "Генсек выступил после встречи.\n\n— Мы поддерживаем любые усилия ради мира, — подчеркнул он."
    candidate = next(c for c in find_candidates(text) if c.kind == "direct")
    assert candidate.text(text).startswith("Мы поддерживаем")
    assert text[candidate.speaker_start : candidate.speaker_end].strip() == "подчеркнул он"


def test_short_quoted_words_are_not_direct_statements() -> None:
    candidates = find_candidates("Песков назвал переговоры «конструктивными» и ушел.")
    assert [c.kind for c in candidates] == ["indirect"]
    assert find_candidates("Агентство «Интерфакс» сообщило о погоде в Москве.") == []


@pytest.mark.parametrize(
    ("text", "statement", "speaker"),
    [
        (
            "The top negotiator Witkoff predicted Trump would have a successful phone call "
            "with Putin on Monday.",
            "Trump would have a successful phone call with Putin on Monday",
            "The top negotiator Witkoff",
        ),
        (
            "Песков заявил, что Кремль готов к разговору с Макроном.",
            "Кремль готов к разговору с Макроном",
            "Песков",
        ),
        (
            "Сибіга наголосив, що контакти з Москвою мають погоджуватися з Києвом.",
            "контакти з Москвою мають погоджуватися з Києвом",
            "Сибіга",
        ),
        (
            "По словам Ушакова, встреча в Абу-Даби прошла конструктивно.",
            "встреча в Абу-Даби прошла конструктивно",
            "Ушакова",
        ),
        (
            "За словами Умєрова, раунд в Абу-Дабі був змістовним.",
            "раунд в Абу-Дабі був змістовним",
            "Умєрова",
        ),
        (
            "Как отметил Рютте, не ему давать советы союзникам.",
            "не ему давать советы союзникам",
            "Рютте",
        ),
        (
            "According to Rubio, the sides are closer than ever to a deal.",
            "the sides are closer than ever to a deal",
            "Rubio",
        ),
        (
            "Zelensky said on Monday that Ukraine would not withdraw from Donbas.",
            "Ukraine would not withdraw from Donbas",
            "Zelensky",
        ),
        (
            "Peskov told reporters the Kremlin saw signals from Paris.",
            "the Kremlin saw signals from Paris",
            "Peskov",
        ),
        (
            "Russia is ready for a new round in Istanbul, Peskov said.",
            "Russia is ready for a new round in Istanbul",
            "Peskov said",
        ),
        (
            "Украина не пойдет на территориальные уступки, заявил Зеленский.",
            "Украина не пойдет на территориальные уступки",
            "заявил Зеленский",
        ),
        (
            "Вадефуль висловив сподівання, що Китай сприятиме припиненню вогню.",
            "Китай сприятиме припиненню вогню",
            "Вадефуль",
        ),
        (
            "Zelensky expressed concern that Russia was trying to stall the negotiations.",
            "Russia was trying to stall the negotiations",
            "Zelensky",
        ),
        (
            "Medinsky called the talks difficult but businesslike, according to the TASS agency.",
            "called the talks difficult but businesslike",
            "Medinsky",
        ),
    ],
    ids=[
        "en-predicted-without-that",
        "ru-chto",
        "uk-shcho",
        "ru-po-slovam",
        "uk-za-slovamy",
        "ru-kak-otmetil",
        "en-according-to",
        "en-said-that",
        "en-told",
        "en-trailing",
        "ru-trailing",
        "uk-expressed-hope",
        "en-expressed-concern",
        "en-outlet-is-no-speaker",
    ],
)
def test_indirect_speech(text: str, statement: str, speaker: str) -> None:
    kind, found_statement, found_speaker, _ = found(text)[0]
    assert kind == "indirect"
    assert found_statement == statement
    assert found_speaker.endswith(speaker) or found_speaker.startswith(speaker)


@pytest.mark.parametrize(
    "pointer",
    [
        "Такое мнение выразила депутат Госдумы Светлана Журова.",
        "Таку думку висловив депутат Олексій Гончаренко.",
    ],
)
def test_such_an_opinion_points_to_the_sentence_before(pointer: str) -> None:
    statement, speaker = one(f"Стороны должны согласовать окончательный текст договора. {pointer}")
    assert statement.startswith("Стороны должны") and "депутат" in speaker


def test_about_this_points_to_the_previous_sentence() -> None:
    text = (
        "Инициативы, которые могут помочь положить конец войне, должны поощряться. "
        "Об этом генсек НАТО Марк Рютте заявил на пресс-конференции в Брюсселе."
    )
    kind, statement, speaker, _ = found(text)[0]
    assert kind == "indirect"
    assert statement.startswith("Инициативы, которые могут помочь")
    assert "Марк Рютте" in speaker


def test_about_this_points_back_even_when_an_outlet_credit_closes_the_sentence() -> None:
    text = (
        "Украинские власти мешают переговорам России и США по урегулированию. "
        "Об этом заявил замглавы МИД Сергей Рябков в ходе дискуссии, сообщает корреспондент."
    )
    statements = [(statement, speaker) for _, statement, speaker, _ in found(text)]
    assert any(
        statement.startswith("Украинские власти") and "Рябков" in speaker
        for statement, speaker in statements
    ), statements


def test_a_name_before_announced_this_points_back() -> None:
    text = (
        "Witkoff and Kushner plan to meet Umerov in Geneva on Thursday. "
        "Witkoff announced this during a conference in Kyiv, the agency reports."
    )
    statements = [(statement, speaker) for _, statement, speaker, _ in found(text)]
    assert statements == [
        ("Witkoff and Kushner plan to meet Umerov in Geneva on Thursday", "Witkoff")
    ]


def test_an_english_subject_in_apposition_before_told() -> None:
    text = (
        "The second day of the talks ended in Geneva on Wednesday, Diana Davitian, "
        "spokeswoman for the Security Council, told the public broadcaster."
    )
    statement, speaker = one(text)
    assert statement.startswith("The second day of the talks ended")
    assert speaker.startswith("Diana Davitian")


def test_a_long_attribution_that_opens_with_its_verb() -> None:
    text = (
        "Украина и США провели переговоры по мирному плану, сообщил глава украинской "
        "делегации и секретарь Совета национальной безопасности и обороны Рустем Умеров."
    )
    assert "Рустем Умеров" in one(text)[1]


def test_a_verbal_adverb_never_closes_an_attribution() -> None:
    text = (
        "Напомним, Трамп потребовал от Москвы пойти на сделку, пригрозив в противном случае "
        "вторичными пошлинами против покупателей российской нефти."
    )
    assert all("Трамп" in text[c.speaker_start : c.speaker_end] for c in find_candidates(text))


def test_a_pointer_opening_a_paragraph_points_to_the_paragraph_before() -> None:
    text = (
        "Стороны договорились продолжить переговоры в Женеве.\n\n"
        "Об этом заявил пресс-секретарь Кремля Дмитрий Песков."
    )
    statement, speaker = one(text)
    assert statement.startswith("Стороны договорились") and "Песков" in speaker


def test_a_pointer_never_points_to_a_heading() -> None:
    text = "Переговоры в Женеве\n\nОб этом заявил пресс-секретарь Кремля Дмитрий Песков."
    assert find_candidates(text) == []


def test_as_someone_proposes_is_no_attribution() -> None:
    text = (
        "Рютте спросили, будет ли он поощрять диалог европейцев с Москвой, как предлагает "
        "президент Франции Эммануэль Макрон."
    )
    assert not any("Макрон" in text[c.speaker_start : c.speaker_end] for c in find_candidates(text))


@pytest.mark.parametrize(
    ("text", "statement", "speaker"),
    [
        (
            "Помощник президента Владимир Мединский охарактеризовал встречу как тяжелую, но "
            "деловую, сообщает «РИА Новости».",
            "охарактеризовал встречу как тяжелую, но деловую",
            "Помощник президента Владимир Мединский",
        ),
        (
            '"There will be an important meeting tomorrow," Rutte said on Wednesday at a joint '
            "press conference in Brussels with Estonian President Alar Karis.",
            "There will be an important meeting tomorrow,",
            "Rutte said on Wednesday",
        ),
        (
            "NATO is designing layered security guarantees for Ukraine after a peace deal, "
            "Secretary General Mark Rutte said, warning Moscow against any renewed attack.",
            "NATO is designing layered security guarantees for Ukraine after a peace deal",
            "Secretary General Mark Rutte said",
        ),
        (
            "Kallas highlighted the role of the United States, stating that the U.S. can "
            "compel Russia to negotiate.",
            "the U.S. can compel Russia to negotiate",
            "Kallas",
        ),
        (
            "The Pope has expressed readiness to host the next round of talks at the Vatican, "
            "Italian Prime Minister Giorgia Meloni said on Tuesday, following a phone call.",
            "The Pope has expressed readiness to host the next round of talks at the Vatican",
            "Italian Prime Minister Giorgia Meloni said on Tuesday",
        ),
    ],
    ids=[
        "outlet-credit-leaves-the-attribution",
        "long-clause-after-a-quotation",
        "attribution-before-a-gerund-clause",
        "gerund-of-speech-opens-a-clause",
        "an-english-attribution-with-its-adjunct-before-a-participle",
    ],
)
def test_attribution_shapes_of_news_copy(text: str, statement: str, speaker: str) -> None:
    found_statement, found_speaker = one(text)
    assert found_statement.strip(" ,.") == statement.strip(" ,.")
    assert found_speaker.startswith(speaker)


def test_a_line_break_ends_a_sentence() -> None:
    text = (
        "Захарова следит за встречами «по новостным лентам»\n"
        "Официальный представитель МИД Мария Захарова заявила, что итоги сообщит делегация."
    )
    assert [speaker for _, _, speaker, _ in found(text)] == [
        "Официальный представитель МИД Мария Захарова"
    ]


@pytest.mark.parametrize(
    "heading",
    [
        "Рябков: Киев пытается помешать переговорам России и США",
        "Zelensky says Ukraine is ready for talks in Geneva",
        "Фото: Pierre Crom / Getty Images",
        'В МЗС РФ заявили, що переговори "повільно, але рухаються вперед"',
    ],
)
def test_a_heading_line_is_not_a_statement(heading: str) -> None:
    text = f"{heading}\n\nПереговоры прошли в Абу-Даби в среду."
    assert found(text) == []


def test_the_last_line_of_a_text_cut_short_still_counts() -> None:
    text = "Новость дня.\n\nПесков заявил, что Москва готова продолжать переговоры в"
    assert [speaker for _, _, speaker, _ in found(text)] == ["Песков"]


@pytest.mark.parametrize(
    "text",
    [
        "Напомним, Макрон заявил, что Франция возобновила контакты с Россией.",
        "Нагадаємо, Макрон заявив, що Франція відновила контакти з Росією.",
        "Ранее Макрон заявлял, что переговоры должны быть согласованы с Зеленским.",
        "Earlier, Macron said that France had resumed technical contacts with Russia.",
        "Как сообщал УНИАН, Макрон заявил, что Франция возобновила контакты с Россией.",
        "Также сообщалось, что Бут заявил, что стороны оперативно реагируют на предложения.",
        "Putin has repeatedly said he is ready to talk peace on his own terms.",
        "Зеленський неодноразово заявляв, що територіальна цілісність не є предметом торгу.",
    ],
)
def test_recap_markers_set_recap(text: str) -> None:
    assert all(recap for *_, recap in found(text))
    assert found(text)


def test_a_strong_recap_marker_covers_the_rest_of_the_article() -> None:
    text = (
        "Песков заявил, что Москва готова к новому раунду переговоров.\n\n"
        "Напомним, Лавров заявил, что Европа мешает переговорам.\n\n"
        "Зеленский считает, что прекращение огня должно быть первым шагом."
    )
    assert [recap for *_, recap in found(text)] == [False, True, True]


def test_a_fresh_statement_is_not_a_recap() -> None:
    text = "Рютте заявил, что союзники поддерживают мирные усилия США."
    assert found(text)[0][3] is False


@pytest.mark.parametrize(
    ("pointer", "speaker"),
    [
        ("Про це повідомив речник Кремля Дмитро Пєсков.", "Пєсков"),
        ("Про це повідомляє «Главком» із посиланням на ТАСС.", "Кремлі"),
    ],
    ids=["a-spokesman-said-them", "an-outlet-only-reports-them"],
)
def test_a_pointer_to_a_bodys_words_names_who_said_them(pointer: str, speaker: str) -> None:
    text = f"У Кремлі заявили, що наступний раунд переговорів відбудеться в Абу-Дабі. {pointer}"
    found_statement, found_speaker = one(text)
    assert found_statement.startswith("наступний раунд") and speaker in found_speaker


@pytest.mark.parametrize(
    "text",
    [
        "Пєсков заявив, що зустрічі є позитивним знаком. За його словами, обговорюється цілий "
        "ряд питань.",
        "Песков заявил, что встречи идут в позитивном ключе. По его словам, обсуждается целый "
        "ряд вопросов.",
    ],
)
def test_a_pronoun_frame_with_a_comma_opens_a_statement(text: str) -> None:
    second = find_candidates(text)[-1]
    assert second.text(text).strip().startswith(("обговорюється", "обсуждается"))
    assert text[second.speaker_start : second.speaker_end] in ("За його словами", "По его словам")


def test_a_quotation_paragraph_after_a_colon_goes_on_with_the_speaker() -> None:
    text = (
        "Ушаков підкреслив, що тон перемовин змінився:\n\n"
        '"Я б сказав, що тон був конструктивним і дружнім. Вони розуміють один одного."'
    )
    kinds = [(c.kind, c.continues) for c in find_candidates(text)]
    assert kinds == [("indirect", False), ("direct", True)]


def test_a_title_in_quotation_marks_after_an_attribution_is_no_quotation() -> None:
    text = (
        '"I think both sides need to realize that he could walk away from a bad deal," '
        'Kellogg said on "The Record With Greta Van Susteren."'
    )
    statement, speaker = one(text)
    assert statement.startswith("I think both sides") and speaker.startswith("Kellogg said")


def test_indirect_speech_after_a_quotations_attribution_in_one_sentence() -> None:
    text = (
        '"Мы готовы к заключению соглашения", — сказал Рябков; дипломат выразил надежду, '
        'что договоренность будет достигнута "скорее раньше, чем позже".'
    )
    kinds = [(c.kind, c.text(text)[:14]) for c in find_candidates(text)]
    assert kinds == [("direct", "Мы готовы к за"), ("indirect", "договоренность")]


def test_about_this_closing_a_paragraph_points_to_all_of_it() -> None:
    text = (
        "Під час переговорів у Женеві сторони розглянули частину питань. Наступний етап — "
        "винести рішення на розгляд президентів. Про це розповів голова делегації Рустем Умєров."
    )
    statement, _ = one(text)
    assert statement.startswith("Під час переговорів") and statement.endswith("президентів.")


def test_about_this_points_only_past_a_sentence_with_its_own_quotation() -> None:
    text = (
        "«Переговори були складними», — сказав Умєров. Наступний етап — винести рішення на "
        "розгляд президентів. Про це розповів голова делегації."
    )
    statements = [c.text(text) for c in find_candidates(text)]
    assert statements[-1].startswith("Наступний етап")


def test_the_person_named_after_according_to_a_document_speaks() -> None:
    text = (
        "According to the Kremlin's statement on the call, Putin told Trump that the talks "
        "in Istanbul should go on."
    )
    statement, window = one(text)
    assert window == "Putin" and statement.strip(" ,").startswith("the talks in Istanbul")


def test_a_word_ending_like_an_abbreviation_still_ends_its_sentence() -> None:
    text = "Гутерриш поговорил с Зеленским. В частности, они обсудили переговоры."
    assert len(sentences(text, 0, len(text), [])) == 2


def test_someone_who_made_the_statement_said_the_sentence_before() -> None:
    text = (
        "Russia has warned against expecting quick breakthroughs in the peace talks. Kremlin "
        "spokesman Dmitry Peskov made the statement on Tuesday."
    )
    _, statement, speaker, _ = found(text)[0]
    assert "Dmitry Peskov" in speaker and statement.startswith("against expecting")


def test_a_website_reporting_is_no_speaker() -> None:
    text = (
        "Премьер-министр Индии Нарендра Моди призвал к скорейшему завершению войны на встрече "
        "с Путиным, сообщает сайт президента РФ."
    )
    speaker = found(text)[0][2]
    assert "сайт" not in speaker


def test_a_recap_scene_without_speech_carries_to_the_next_sentence() -> None:
    text = (
        "Ранее Уиткофф и Кушнер встречались с Путиным в Кремле. Как заявил Юрий Ушаков, "
        "диалог по урегулированию будет продолжен."
    )
    assert [c.recap for c in find_candidates(text)] == [True]


def test_a_recap_with_speech_of_its_own_does_not_carry() -> None:
    text = (
        "Ранее Песков заявил, что переговоры продолжатся. Юрий Ушаков сказал, что диалог "
        "по урегулированию будет продолжен."
    )
    assert [c.recap for c in find_candidates(text)] == [True, False]


def test_a_programmes_title_in_quotation_marks_is_no_statement() -> None:
    text = (
        "Kirill Dmitriev told CNN on “The Lead with Jake Tapper” that the sides were close "
        "to a diplomatic solution."
    )
    assert [c.kind for c in find_candidates(text)] == ["indirect"]


def test_a_passive_names_who_said_the_sentence_before() -> None:
    text = (
        "Steve Witkoff will visit the Kremlin next week for talks on ending the war. The visit "
        "was confirmed by Putin's foreign policy adviser Yuri Ushakov on Wednesday."
    )
    _, statement, speaker, _ = found(text)[0]
    assert "Yuri Ushakov" in speaker and statement.startswith("Steve Witkoff will visit")


def test_english_add_with_an_object_is_no_speech() -> None:
    text = "His reputation as a close ally of the Kremlin adds significance to the meeting."
    assert find_candidates(text) == []


def test_a_quotation_inside_an_english_clause_without_that_is_part_of_it() -> None:
    text = (
        "Trump said a breakthrough to end the war was “getting a lot closer,” adding that there "
        "were “one or two tough” issues left."
    )
    (candidate,) = find_candidates(text)
    assert candidate.kind == "indirect"
    assert text[candidate.speaker_start : candidate.speaker_end].startswith("Trump said")
