from datetime import UTC, datetime

from crawler.middlewares import retry_after_seconds


def test_retry_after_in_seconds() -> None:
    assert retry_after_seconds(b"3600") == 3600.0


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 2, 11, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("Wed, 11 Feb 2026 12:05:00 GMT", now=now) == 300.0


def test_retry_after_in_the_past_means_no_wait() -> None:
    now = datetime(2026, 2, 11, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("Wed, 11 Feb 2026 11:00:00 GMT", now=now) == 0.0


def test_unreadable_retry_after_is_ignored() -> None:
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None
