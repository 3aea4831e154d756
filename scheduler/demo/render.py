"""Archive articles to outlet-like HTML pages and to each outlet's feed or sitemap."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

from scheduler.demo.articles import ArchiveArticle
from scheduler.demo.outlets import Outlet

_BOILERPLATE_CSS = "body{font-family:sans-serif}.cookie{position:fixed;bottom:0}"


def article_path(outlet: Outlet, article: ArchiveArticle) -> str:
    """The article's path below the outlet's base URL."""
    when = article.published
    return outlet.url_pattern.format(
        section=article.section,
        slug=article.slug.split("-", 1)[-1],
        number=article.number,
        y=f"{when.year:04d}",
        m=f"{when.month:02d}",
        d=f"{when.day:02d}",
        stamp=article.number * 7 + 13,
    )


def _paragraphs(
    outlet: Outlet, article: ArchiveArticle, related: list[tuple[str, ArchiveArticle]]
) -> list[str]:
    out: list[str] = []
    teasers = iter(related)
    for block in article.blocks:
        if block == "{{related}}":
            target = next(teasers, None)
            if target is None:
                continue
            href, other = target
            if outlet.layout == "portal":
                out.append(
                    f"<p><strong>{escape(outlet.teaser_label)}</strong> "
                    f'<a href="{href}">{escape(other.title)}</a></p>'
                )
            else:
                out.append(
                    f'<div class="read-also"><span>{escape(outlet.teaser_label)}</span> '
                    f'<a href="{href}">{escape(other.title)}</a></div>'
                )
        elif block == "{{video}}":
            out.append(f"<p>{escape(outlet.video_label)}</p>")
            out.append(
                '<div class="video-embed"><iframe src="about:blank" title="video"></iframe></div>'
            )
        elif block.startswith("## "):
            out.append(f"<h2>{escape(block[3:])}</h2>")
        else:
            out.append(f"<p>{escape(block)}</p>")
    for line in outlet.extra_boilerplate:
        out.append(f"<p>{escape(line)}</p>")
    return out


def render_page(
    outlet: Outlet,
    article: ArchiveArticle,
    url: str,
    related: list[tuple[str, ArchiveArticle]],
) -> bytes:
    """The page as the outlet would serve it, encoded in the outlet's encoding."""
    published = article.published.isoformat()
    updated = article.updated.isoformat() if article.updated else None
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{outlet.language}">',
        "<head>",
    ]
    if outlet.charset_header:
        head.append('<meta charset="utf-8">')
    head += [
        f"<title>{escape(article.title)} | {escape(outlet.name)}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="description" content="{escape(article.lead or article.title)}">',
        f'<meta property="og:title" content="{escape(article.title)}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:site_name" content="{escape(outlet.name)}">',
        f'<link rel="canonical" href="{escape(url)}">',
        f"<style>{_BOILERPLATE_CSS}</style>",
    ]
    if outlet.layout != "magazine" or not outlet.json_ld:
        head.append(f'<meta property="article:published_time" content="{published}">')
        if updated:
            head.append(f'<meta property="article:modified_time" content="{updated}">')
    if outlet.json_ld:
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "datePublished": published,
            "dateModified": updated or published,
            "inLanguage": outlet.language,
            "mainEntityOfPage": url,
            "publisher": {"@type": "Organization", "name": outlet.name},
        }
        if article.author:
            ld["author"] = {"@type": "Person", "name": article.author}
        head.append(
            '<script type="application/ld+json">'
            + json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
            + "</script>"
        )
    head.append("</head>")

    nav = "".join(f'<li><a href="#">{escape(item)}</a></li>' for item in outlet.nav)
    body_class = {"agency": "article-body", "portal": "article-text", "magazine": "body"}
    byline = f'<span class="author">{escape(article.author)}</span>' if article.author else ""
    local_time = article.published.strftime("%d.%m.%Y %H:%M")
    paragraphs = "\n".join(_paragraphs(outlet, article, related))
    lead = f'<p class="lead"><strong>{escape(article.lead)}</strong></p>' if article.lead else ""
    related_items = "".join(
        f'<li><a href="{href}">{escape(other.title)}</a> '
        f"<time>{other.published.strftime('%H:%M')}</time></li>"
        for href, other in related
    )
    body = f"""<body class="{outlet.layout}">
<header class="site-header"><a class="logo" href="/">{escape(outlet.name)}</a>
<nav class="main-menu"><ul>{nav}</ul></nav>
<form class="search"><input type="search" name="q"></form></header>
<div class="cookie">This site uses cookies. <button>OK</button></div>
<main class="layout">
<div class="breadcrumbs"><a href="/">{escape(outlet.name)}</a> › <a href="#">{escape(article.section)}</a></div>
<article class="post">
<h1 class="post-title">{escape(article.title)}</h1>
<div class="post-meta">{byline} <time datetime="{published}">{local_time}</time></div>
{lead}
<div class="{body_class[outlet.layout]}">
{paragraphs}
</div>
<div class="tags"><a href="#">{escape(article.section)}</a></div>
<div class="share">Facebook · Telegram · X · WhatsApp</div>
</article>
<aside class="sidebar related"><h3>{escape(outlet.related_label)}</h3><ul>{related_items}</ul></aside>
</main>
<footer class="site-footer"><p>{escape(outlet.footer)}</p><ul><li><a href="#">About</a></li><li><a href="#">Contacts</a></li><li><a href="#">Advertising</a></li></ul></footer>
</body></html>"""
    return ("\n".join(head) + "\n" + body).encode(outlet.encoding, errors="xmlcharrefreplace")


def _rfc822(when: datetime) -> str:
    return format_datetime(when)


def render_feed(
    outlet: Outlet, items: list[tuple[str, ArchiveArticle]], feed_url: str, kind: str
) -> tuple[bytes, str]:
    """The outlet's feed (``kind`` = its feed style, or "sitemap") with its quirks."""
    items = sorted(items, key=lambda pair: pair[1].published, reverse=True)
    if kind in ("sitemap", "news-sitemap"):
        return _sitemap(outlet, items, news=kind == "news-sitemap"), "application/xml"
    if kind == "atom":
        return _atom(outlet, items, feed_url), "application/atom+xml; charset=utf-8"
    if kind == "rss1":
        return _rss1(outlet, items, feed_url), "application/rdf+xml; charset=utf-8"
    body = _rss2(outlet, items, feed_url, kind)
    if outlet.encoding != "utf-8":
        return body, "text/xml"  # the charset is only in the XML prolog
    return body, "application/rss+xml; charset=utf-8"


def _link(outlet: Outlet, url: str) -> str:
    if not outlet.tracking:
        return url
    return f"{url}{'&' if '?' in url else '?'}{outlet.tracking}"


def _rss2(
    outlet: Outlet, items: list[tuple[str, ArchiveArticle]], feed_url: str, kind: str
) -> bytes:
    namespace = ' xmlns="https://backend.userland.com/rss2"' if kind == "rss2-ns" else ""
    parts = [
        f'<?xml version="1.0" encoding="{outlet.encoding}"?>',
        f'<rss version="2.0"{namespace} xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{escape(outlet.name)}</title>",
        f"<link>{escape(feed_url.rsplit('/', 1)[0])}/</link>",
        f"<description>{escape(outlet.name)}: новости / news</description>",
        f"<language>{outlet.language}</language>",
    ]
    for index, (url, article) in enumerate(items):
        link = url
        if kind == "rss2-relative":
            link = "/" + url.split("/", 3)[3]
        if kind == "rss2-cdata":
            title = f"<title><![CDATA[\n      {article.title}   \n    ]]></title>"
        else:
            title = f"<title>{escape(article.title)}</title>"
        parts.append("<item>")
        parts.append(title)
        parts.append(f"<link>{escape(_link(outlet, link))}</link>")
        if outlet.id == "unian-uk":
            parts.append(f'<guid isPermaLink="false">{article.number}</guid>')
            parts.append(
                '<enclosure url="https://images.example/1.jpg" type="image/jpeg" length="0"/>'
            )
        else:
            parts.append(f"<guid>{escape(link)}</guid>")
        if article.lead:
            parts.append(f"<description>{escape(article.lead)}</description>")
        if not (kind == "rss2-relative" and index % 3 == 1):
            parts.append(f"<pubDate>{_rfc822(article.published)}</pubDate>")
        parts.append(f"<category>{escape(article.section)}</category>")
        parts.append("</item>")
    parts += ["</channel>", "</rss>"]
    return "\n".join(parts).encode(outlet.encoding, errors="xmlcharrefreplace")


def _rss1(outlet: Outlet, items: list[tuple[str, ArchiveArticle]], feed_url: str) -> bytes:
    seq = "".join(f'<rdf:li rdf:resource="{escape(url)}"/>' for url, _ in items)
    entries = "\n".join(
        f'<item rdf:about="{escape(url)}"><title>{escape(a.title)}</title>'
        f"<link>{escape(url)}</link><dc:date>{a.published.isoformat()}</dc:date></item>"
        for url, a in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="{escape(feed_url)}"><title>{escape(outlet.name)}</title><link>{escape(feed_url)}</link>
<description>{escape(outlet.name)}</description><items><rdf:Seq>{seq}</rdf:Seq></items></channel>
{entries}
</rdf:RDF>""".encode()


def _atom(outlet: Outlet, items: list[tuple[str, ArchiveArticle]], feed_url: str) -> bytes:
    newest = items[0][1].published if items else datetime(2026, 1, 1, tzinfo=UTC)
    entries = "\n".join(
        f"<entry><title>{escape(a.title)}</title>"
        f'<link rel="alternate" type="text/html" href="{escape(_link(outlet, url))}"/>'
        f"<id>tag:{outlet.id},2026:{a.number}</id>"
        f"<published>{a.published.isoformat()}</published>"
        f"<updated>{(a.updated or a.published).isoformat()}</updated>"
        + (f"<author><name>{escape(a.author)}</name></author>" if a.author else "")
        + (f"<summary>{escape(a.lead)}</summary>" if a.lead else "")
        + "</entry>"
        for url, a in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet.language}">
<title>{escape(outlet.name)}</title><id>{escape(feed_url)}</id>
<link rel="self" href="{escape(feed_url)}"/><updated>{newest.isoformat()}</updated>
{entries}
</feed>""".encode()


def _sitemap(outlet: Outlet, items: list[tuple[str, ArchiveArticle]], news: bool) -> bytes:
    rows = []
    for url, a in items:
        extra = ""
        if news:
            extra = (
                f"<news:news><news:publication><news:name>{escape(outlet.name)}</news:name>"
                f"<news:language>{outlet.language}</news:language></news:publication>"
                f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
                f"<news:title>{escape(a.title)}</news:title></news:news>"
            )
        rows.append(
            f"<url><loc>{escape(_link(outlet, url))}</loc>"
            f"<lastmod>{(a.updated or a.published).isoformat()}</lastmod>{extra}</url>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + "\n".join(rows)
        + "\n</urlset>"
    ).encode()
