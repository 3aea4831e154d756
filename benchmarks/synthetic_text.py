"""The wording of the diff benchmark's synthetic stores: who is quoted, and what they say.

``benchmarks.synthetic_store`` builds its stores out of these; ``benchmarks.diff`` also times
the encoder on the template sentences.

- ``PROMINENT``: the speakers quoted most often, in order; the Zipf skew gives the first the
  largest share, so a fresh report by one of them meets the densest neighbourhood.
- ``TEMPLATES``: our own ru/uk/en sentences, each giving the real analyzer exactly one
  statement (a few are recaps); they become the new reports the diff is timed on.
- ``CLAUSES`` and ``TAILS``: the statement texts of the rows written with bulk SQL, per
  language, so the store's text looks like real reports without running the analyzer.
- ``PEACE_CONCEPTS`` and ``OTHER_CONCEPTS``: topic concepts for the generated claims.
- ``ALPHABETS``: letters for the made-up word stems that pad each language's stem pool.
"""

from __future__ import annotations

#: Quoted most often, in this order; the rest of the gazetteer follows in file order.
PROMINENT = (
    "Volodymyr Zelensky",
    "Dmitry Peskov",
    "Vladimir Putin",
    "Donald Trump",
    "Sergey Lavrov",
    "Andrii Sybiha",
    "Maria Zakharova",
    "Marco Rubio",
    "Kremlin",
    "Andriy Yermak",
    "Steve Witkoff",
    "Yuri Ushakov",
    "Mark Rutte",
    "Emmanuel Macron",
    "Rustem Umerov",
    "Kaja Kallas",
    "Keir Starmer",
    "Friedrich Merz",
    "Kirill Dmitriev",
    "Recep Tayyip Erdoğan",
)

#: Our own sentences; each gives the analyzer exactly one statement (checked at start).
TEMPLATES: list[tuple[str, str]] = [
    (
        "ru",
        "Песков заявил, что Кремль готов к переговорам в Женеве, если Киев откажется "
        "от предварительных условий.",
    ),
    ("ru", "Лавров заявил, что Россия не видит смысла в перемирии на 30 дней без гарантий."),
    ("ru", "«Мы открыты к диалогу, но не на условиях ультиматума», — сказал Путин журналистам."),
    ("ru", "Зеленский заявил, что Украина готова к обмену пленными по формуле всех на всех."),
    (
        "ru",
        "Захарова заявила, что Москва не получала от Вашингтона новых предложений "
        "по урегулированию.",
    ),
    (
        "ru",
        "Ушаков сообщил, что следующая встреча делегаций может пройти в Стамбуле в начале месяца.",
    ),
    (
        "ru",
        "Напомним, ранее Зеленский заявлял, что Украина не признает оккупацию своих территорий.",
    ),
    ("uk", "Зеленський заявив, що Україна готова до зустрічі на рівні лідерів уже цього місяця."),
    ("uk", "Сибіга заявив, що Україна вимагає повного припинення вогню в повітрі та на морі."),
    (
        "uk",
        "Умєров повідомив, що українська делегація провела консультації з американськими "
        "партнерами в Ер-Ріяді.",
    ),
    ("uk", "Єрмак заявив, що гарантії безпеки мають бути юридично зобов'язувальними."),
    ("uk", "Нагадаємо, раніше Сибіга заявив, що Україна не погодиться на заморожування конфлікту."),
    (
        "en",
        "Trump said he expects a ceasefire agreement between Russia and Ukraine within two weeks.",
    ),
    ("en", "Rubio said the United States would host another round of talks in Geneva next week."),
    ("en", "Rutte said NATO allies would keep supporting Ukraine while the negotiations go on."),
    (
        "en",
        "Witkoff said both delegations had agreed on a framework for a prisoner exchange "
        "of 200 people.",
    ),
    (
        "en",
        "Macron said European troops could be deployed to Ukraine only after a peace deal "
        "is signed.",
    ),
    (
        "en",
        "Kallas said the European Union would not lift sanctions before Russia withdraws "
        "its forces.",
    ),
    ("en", '"We are not going to negotiate under fire," Starmer told reporters in London.'),
    ("en", "Grossi said the IAEA team at the Zaporizhzhia plant had reported no new damage."),
]

#: Statement texts of the generated store: a clause and a tail, per language.
CLAUSES = {
    "ru": [
        "переговоры о прекращении огня продолжатся на следующей неделе",
        "Москва ждёт ответа на свои предложения по обмену пленными",
        "новые санкции не изменят позицию страны",
        "встреча министров пройдёт в Анкаре",
        "удары по энергетике должны прекратиться",
        "гарантии безопасности обсуждаются с партнёрами",
        "делегации обменялись документами",
        "поставки вооружений будут продолжены",
        "решение о саммите пока не принято",
        "контакты с американской стороной продолжаются",
        "ситуация на фронте остаётся тяжёлой",
        "бюджет на оборону будет увеличен",
    ],
    "uk": [
        "переговори про припинення вогню триватимуть наступного тижня",
        "Київ чекає на відповідь щодо обміну полоненими",
        "нові санкції мають посилити тиск на Москву",
        "зустріч міністрів відбудеться в Анкарі",
        "удари по енергетиці мають припинитися",
        "гарантії безпеки обговорюють із партнерами",
        "делегації обмінялися документами",
        "постачання зброї триватиме",
        "рішення про саміт ще не ухвалене",
        "контакти з американською стороною тривають",
        "ситуація на фронті залишається складною",
        "витрати на оборону зростуть",
    ],
    "en": [
        "ceasefire talks will continue next week",
        "the government is waiting for an answer on the prisoner exchange",
        "new sanctions will increase the pressure on Moscow",
        "the ministers will meet in Ankara",
        "strikes on energy infrastructure must stop",
        "security guarantees are being discussed with partners",
        "the delegations exchanged documents",
        "arms deliveries will continue",
        "no decision on a summit has been taken yet",
        "contacts with the American side are continuing",
        "the situation at the front remains difficult",
        "defence spending will rise",
    ],
}
TAILS = {
    "ru": ["", " в ближайшее время", " после консультаций", " при любых условиях", " в этом году"],
    "uk": ["", " найближчим часом", " після консультацій", " за будь-яких умов", " цього року"],
    "en": ["", " soon", " after consultations", " in any case", " this year"],
}
PEACE_CONCEPTS = [
    "negotiations",
    "talks-formats",
    "ceasefire-truce",
    "dialogue-contacts",
    "mediation-hosting",
    "peace-plan-terms",
    "security-guarantees",
    "prisoner-exchange-agreed",
    "venues",
    "delegations-sides",
]
OTHER_CONCEPTS = ["-budget", "-weapons-production-aid", "-partners-deliveries-air-defence"]
ALPHABETS = {
    "ru": "абвгдежзиклмнопрстуфхцчшыэюя",
    "uk": "абвгґдежзиіїйклмнопрстуфхцчшщюяє",
    "en": "abcdefghijklmnopqrstuvwxyz",
}
