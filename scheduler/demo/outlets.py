"""The archive's outlets: language, URL shape, page furniture and feed quirks of each."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    language: str
    # rss2 | rss2-cdata | rss2-relative | rss2-ns | rss1 | atom | news-sitemap | rss2+sitemap
    feed: str
    url_pattern: str  # placeholders: {section} {slug} {number} {y} {m} {d} {stamp}
    layout: str  # agency | portal | magazine
    encoding: str = "utf-8"
    charset_header: bool = True
    json_ld: bool = True
    tracking: str = ""  # query string appended to links in the feed
    nav: tuple[str, ...] = ()
    teaser_label: str = "Read also:"
    video_label: str = "Video of the day"
    related_label: str = "Related news"
    footer: str = ""
    extra_boilerplate: tuple[str, ...] = field(default_factory=tuple)

    @property
    def feed_path(self) -> str:
        return {
            "news-sitemap": "sitemap-news.xml",
            "atom": "feed.atom",
            "rss1": "export/rss.rdf",
        }.get(self.feed, "rss.xml")


_RU_NAV = ("Главное", "Политика", "Война", "Экономика", "Мир", "Спорт", "Погода")
_UK_NAV = ("Головне", "Політика", "Війна", "Економіка", "Світ", "Спорт", "Погода")
_EN_NAV = ("Latest", "Politics", "War", "Business", "World", "Sport", "Opinion")

OUTLETS: dict[str, Outlet] = {
    o.id: o
    for o in (
        Outlet(
            "unian-ru",
            "УНИАН",
            "ru",
            "rss2-cdata",
            "{section}/{slug}-{number}.html",
            "portal",
            nav=_RU_NAV,
            teaser_label="Читайте также:",
            video_label="Видео дня",
            related_label="Другие новости",
            footer="© УНИАН, 1993–2026",
            extra_boilerplate=("Вас также могут заинтересовать новости:",),
        ),
        Outlet(
            "unian-uk",
            "УНІАН",
            "uk",
            "rss2",
            "{section}/{slug}-{number}.html",
            "portal",
            nav=_UK_NAV,
            teaser_label="Читайте також:",
            video_label="Відео дня",
            related_label="Інші новини",
            footer="© УНІАН, 1993–2026",
        ),
        Outlet(
            "unian-en",
            "UNIAN",
            "en",
            "rss2-relative",
            "{section}/{slug}-{number}.html",
            "portal",
            nav=_EN_NAV,
            teaser_label="Read also:",
            video_label="Video of the day",
            related_label="More news",
            footer="© UNIAN, 1993–2026",
        ),
        Outlet(
            "pravda-ru",
            "Украинская правда",
            "ru",
            "rss2",
            "news/{y}/{m}/{d}/{number}/",
            "magazine",
            encoding="windows-1251",
            charset_header=False,
            json_ld=False,
            nav=("Новости", "Статьи", "Колонки", "Интервью", "Спецпроекты"),
            teaser_label="Читайте также:",
            related_label="Последние новости",
            footer="Украинская правда. Использование материалов разрешается при условии ссылки",
        ),
        Outlet(
            "interfax-ru",
            "Интерфакс",
            "ru",
            "rss1",
            "{section}/{number}",
            "agency",
            nav=("Главное", "В России", "В мире", "Экономика", "Москва", "Спорт", "Культура"),
            teaser_label="Смотрите также:",
            related_label="Новости по теме",
            footer="Все права защищены. Интерфакс, 1991–2026",
        ),
        Outlet(
            "meduza-ru",
            "Медуза",
            "ru",
            "news-sitemap",
            "news/{y}/{m}/{d}/{slug}",
            "magazine",
            tracking="utm_source=sitemap&utm_medium=google",
            nav=("Новости", "Истории", "Разбор", "Игры", "Шапито"),
            teaser_label="Читайте также",
            related_label="Еще по теме",
            footer="© 2014–2026 Медуза",
            extra_boilerplate=("Поддержите «Медузу»",),
        ),
        Outlet(
            "ukrinform-uk",
            "Укрінформ",
            "uk",
            "atom",
            "rubric-{section}/{number}-{slug}.html",
            "agency",
            nav=_UK_NAV,
            teaser_label="Читайте також:",
            related_label="Останні новини",
            footer="© 2015–2026 Укрінформ. Усі права захищені.",
        ),
        Outlet(
            "rbc-uk",
            "РБК-Україна",
            "uk",
            "rss2-ns",
            "news/{slug}-{stamp}.html",
            "portal",
            nav=_UK_NAV,
            teaser_label="Читайте також:",
            video_label="Відео дня",
            related_label="Останні новини",
            footer="© 2026 РБК-Україна",
            extra_boilerplate=("Підписуйтесь на наш Telegram-канал",),
        ),
        Outlet(
            "kyiv-independent",
            "The Kyiv Independent",
            "en",
            "rss2+sitemap",
            "{slug}/",
            "magazine",
            nav=_EN_NAV,
            teaser_label="Read also:",
            related_label="Latest news",
            footer="© 2026 The Kyiv Independent",
            extra_boilerplate=("Support independent journalism in Ukraine.",),
        ),
        Outlet(
            "moscow-times",
            "The Moscow Times",
            "en",
            "atom",
            "{y}/{m}/{d}/{slug}-a{number}",
            "magazine",
            tracking="utm_source=rss&utm_medium=feed&utm_campaign=news",
            nav=("News", "Opinion", "Business", "Arts and Life", "Meanwhile"),
            teaser_label="Read more:",
            related_label="Read more",
            footer="© The Moscow Times, all rights reserved.",
        ),
    )
}
