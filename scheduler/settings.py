"""The configuration as the program receives it: frozen dataclasses, one per section of
``peacewatch.toml``, built and checked by ``scheduler.config`` (the only reader of files and the
environment) and passed down from there."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from storage.models import Source
from storage.redact import redact_credentials


def _package_dir(package: str) -> Path:
    """A package's folder of data files, wherever it is installed (checkout, wheel, pipx)."""
    root = resources.files(package)
    if not isinstance(root, Path):
        raise RuntimeError(f"peacewatch's {package!r} data must be installed as files, not zipped")
    return root


#: the source tree (a checkout) or site-packages (an installed wheel); benchmarks use it
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = _package_dir("seeds")
DEFAULT_REGISTRY = SEEDS_DIR / "sources.toml"
DEFAULT_SPEAKERS = SEEDS_DIR / "speakers.toml"
DEFAULT_TOPICS = SEEDS_DIR / "topics.toml"
DEFAULT_DEVSET = SEEDS_DIR / "devset"
ARCHIVE_DIR = SEEDS_DIR / "archive"


class ConfigError(ValueError):
    """The configuration or the source registry is wrong; the message says where."""


@dataclass(frozen=True)
class CrawlSettings:
    timeout_seconds: float = 900
    stop_grace_seconds: float = 15
    download_timeout_seconds: float = 30
    max_page_bytes: int = 8 * 1024 * 1024
    max_articles_per_source: int = 200
    concurrent_requests_per_site: int = 2
    download_delay_seconds: float = 0.5
    autothrottle: bool = True
    retry_times: int = 2
    retry_backoff_seconds: float = 2.0
    retry_after_max_wait_seconds: float = 60
    obey_robots_txt: bool = True
    log_level: str = "WARNING"
    analysis_worker: bool = True
    #: "local" (a subprocess) or "scrapyd" (DESIGN §11, README "Crawl workers")
    backend: str = "local"
    scrapyd_urls: tuple[str, ...] = ()
    scrapyd_project: str = "peacewatch"
    scrapyd_username_env: str = "PEACEWATCH_SCRAPYD_USERNAME"
    scrapyd_password_env: str = "PEACEWATCH_SCRAPYD_PASSWORD"
    scrapyd_poll_seconds: float = 2.0
    scrapyd_request_timeout_seconds: float = 10.0
    scrapyd_known_days: float = 30
    #: read from the variables above by scheduler/config.py, never from the file
    scrapyd_username: str = ""
    scrapyd_password: Secret = field(default_factory=lambda: Secret(""))

    def __post_init__(self) -> None:
        for name in ("timeout_seconds", "stop_grace_seconds", "download_timeout_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"[crawl] {name} must be a positive number, not {value!r}")
        if self.backend not in ("local", "scrapyd"):
            raise ConfigError(f'[crawl] backend must be "local" or "scrapyd", not {self.backend!r}')
        urls = tuple(str(url).rstrip("/") for url in self.scrapyd_urls)
        object.__setattr__(self, "scrapyd_urls", urls)
        if self.backend == "scrapyd" and not urls:
            raise ConfigError(
                '[crawl] backend = "scrapyd" needs scrapyd_urls (one or more servers)'
            )
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"[crawl] scrapyd_urls: {url!r} is not an http(s) URL")
            if parts.username or parts.password:
                raise ConfigError(
                    f"[crawl] scrapyd_urls: {redact_credentials(url)!r} holds credentials: "
                    f"give them in ${self.scrapyd_username_env} / ${self.scrapyd_password_env}"
                )
        if len(set(urls)) != len(urls):
            raise ConfigError("[crawl] scrapyd_urls: a server is listed twice")

    def scrapy_settings(self) -> dict[str, Any]:
        """The Scrapy settings these choices translate to (applied in the crawl subprocess)."""
        return {
            "DOWNLOAD_TIMEOUT": self.download_timeout_seconds,
            "DOWNLOAD_MAXSIZE": self.max_page_bytes,
            "DOWNLOAD_WARNSIZE": min(self.max_page_bytes, 2 * 1024 * 1024),
            "CONCURRENT_REQUESTS_PER_DOMAIN": self.concurrent_requests_per_site,
            "DOWNLOAD_DELAY": self.download_delay_seconds,
            "AUTOTHROTTLE_ENABLED": self.autothrottle,
            "AUTOTHROTTLE_START_DELAY": self.download_delay_seconds,
            "RETRY_TIMES": self.retry_times,
            "RETRY_BACKOFF_BASE": self.retry_backoff_seconds,
            "RETRY_AFTER_MAX_WAIT": self.retry_after_max_wait_seconds,
            "ROBOTSTXT_OBEY": self.obey_robots_txt,
            "LOG_LEVEL": self.log_level,
        }


@dataclass(frozen=True)
class ScheduleSettings:
    default_interval_minutes: float = 15
    min_interval_minutes: float = 5
    alert_retry_minutes: float = 1
    misfire_grace_seconds: float = 300
    catch_up: bool = True
    lock_wait_seconds: float = 0


@dataclass(frozen=True)
class HealthSettings:
    failing_after_failed_runs: int = 3
    baseline_runs: int = 10
    usual_items: float = 3
    extraction_failure_share: float = 0.5
    min_pages_for_extraction: int = 4


@dataclass(frozen=True)
class AnalysisSettings:
    speakers_path: Path = DEFAULT_SPEAKERS
    topics_path: Path = DEFAULT_TOPICS
    topic_threshold: float | None = None
    devset_path: Path = DEFAULT_DEVSET


@dataclass(frozen=True)
class DiffSettings:
    window_hours: float = 72
    recap_window_days: float = 400
    match_threshold: float = 0.5
    encoder: bool = True
    background_after_days: float = 3
    occasion_hours: float = 20


class Secret:
    """A password that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


#: what a channel does with updates (a new peace-talk point of an alerted statement)
UPDATE_MODES = ("digest", "immediate", "off")


@dataclass(frozen=True)
class ChannelFilterSettings:
    """What one alert channel takes (DESIGN §7); the defaults take everything."""

    #: speakers by any name or alias the gazetteer knows, in any language; empty: any
    speakers: tuple[str, ...] = ()
    #: statements carried in at least one of these languages; empty: any
    languages: tuple[str, ...] = ()
    min_outlets: int = 1
    min_topic_score: float = 0.0
    #: "new" (statements), "update", "health"
    kinds: tuple[str, ...] = ("new", "update", "health")
    #: past this many new alerts in one delivery, one digest (0: [alerts] max_immediate_per_cycle)
    max_per_cycle: int = 0


@dataclass(frozen=True)
class LogChannelSettings(ChannelFilterSettings):
    path: Path | None = None
    stderr: bool = False
    updates: str = "digest"  # digest | immediate | off (a log line either way, unless off)


@dataclass(frozen=True)
class EmailSettings(ChannelFilterSettings):
    host: str = ""
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    ca_file: Path | None = None
    username: str = ""
    password: Secret = field(default_factory=lambda: Secret(""))
    password_env: str = "PEACEWATCH_SMTP_PASSWORD"
    sender: str = ""
    recipients: tuple[str, ...] = ()
    mode: str = "immediate"  # immediate | digest
    updates: str = "digest"  # digest (with the next digest of updates) | immediate | off
    timeout_seconds: float = 30
    subject_prefix: str = "[peacewatch]"


@dataclass(frozen=True)
class ChatSettings(ChannelFilterSettings):
    """Chat and webhook services through Apprise (Telegram, Slack, Matrix, ntfy, a JSON
    webhook…): their URLs carry tokens, so they come from the environment only."""

    urls_env: str = "PEACEWATCH_APPRISE_URLS"
    urls: tuple[Secret, ...] = ()
    updates: str = "digest"  # digest | immediate | off
    timeout_seconds: float = 30


@dataclass(frozen=True)
class AlertSettings:
    channels: tuple[str, ...] = ("log",)
    max_attempts: int = 5
    retry_backoff_seconds: float = 60
    atom_path: Path | None = None
    #: the feed holds the statements of the last this many days, at most ``atom_entries``
    atom_entries: int = 1000
    atom_keep_days: float = 7
    #: the feed's public address for its rel="self" link ("" = the file's own URI)
    atom_self_url: str = ""
    #: one delivery (a cycle's, or the daemon's retry timer's) stops starting new messages
    #: after this long; what is left stays pending for the next
    delivery_budget_seconds: float = 120
    #: immediate mode: more new alerts than this in one delivery go as one digest
    max_immediate_per_cycle: int = 10
    #: a message whose send ended without the server's answer goes again at most this often
    max_resends: int = 3
    log: LogChannelSettings = field(default_factory=LogChannelSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    chat: ChatSettings = field(default_factory=ChatSettings)


@dataclass(frozen=True)
class Config:
    storage_path: Path
    registry_path: Path
    sources: tuple[Source, ...]
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    health: HealthSettings = field(default_factory=HealthSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    diff: DiffSettings = field(default_factory=DiffSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    config_path: Path | None = None
    busy_timeout_seconds: float = 30.0
    crash_at: frozenset[str] = frozenset()

    @property
    def enabled_sources(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]
