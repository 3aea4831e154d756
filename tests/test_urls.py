import pytest

from crawler.urls import canonical_url, site_of


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.unian.net/politics/rutte-123.html",
        "http://www.unian.net/politics/rutte-123.html",
        "HTTPS://WWW.UNIAN.NET/politics/rutte-123.html",
        "https://www.unian.net:443/politics/rutte-123.html",
        "https://www.unian.net/politics/rutte-123.html/",
        "https://www.unian.net/politics/rutte-123.html#comments",
        "https://www.unian.net/politics/rutte-123.html?utm_source=rss&utm_medium=feed",
        "https://www.unian.net/politics/rutte-123.html?fbclid=IwAR0abc",
        "https://www.unian.net/politics/rutte-123.html?gclid=x&utm_campaign=y#top",
    ],
)
def test_link_variants_of_one_article_share_one_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == "https://www.unian.net/politics/rutte-123.html"


def test_query_parameters_that_select_content_are_kept_and_sorted() -> None:
    assert canonical_url("https://meduza.io/news?id=7&page=2&utm_source=x") == (
        "https://meduza.io/news?id=7&page=2"
    )
    assert canonical_url("https://x.org/a?b=2&a=1") == canonical_url("https://x.org/a?a=1&b=2")


def test_path_case_is_kept_because_servers_may_distinguish_it() -> None:
    assert canonical_url("https://x.org/News/A") == "https://x.org/News/A"


def test_non_default_port_is_kept() -> None:
    assert canonical_url("http://127.0.0.1:8765/a/") == "https://127.0.0.1:8765/a"


def test_non_http_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        canonical_url("mailto:editor@example.org")


def test_site_ignores_www_prefix() -> None:
    assert site_of("https://www.pravda.com.ua/rus/news/") == "pravda.com.ua"
    assert site_of("https://life.pravda.com.ua/x") == "life.pravda.com.ua"
