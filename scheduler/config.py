"""Configuration: the only module that reads config files and the environment.

One TOML file (``peacewatch.toml``) over embedded defaults; the source registry is another
TOML file (``seeds/sources.toml`` unless the config names one). Everything else receives the
resulting ``Config`` and never looks at files or ``os.environ`` itself.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from storage.crashpoints import parse_crash_points
from storage.models import FEED_KINDS, ExtractRules, Feed, Source

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"
DEFAULT_REGISTRY = SEEDS_DIR / "sources.toml"
DEFAULT_SPEAKERS = SEEDS_DIR / "speakers.toml"
DEFAULT_TOPICS = SEEDS_DIR / "topics.toml"
DEFAULT_DEVSET = SEEDS_DIR / "devset"
ARCHIVE_DIR = SEEDS_DIR / "archive"
CONFIG_ENV = "PEACEWATCH_CONFIG"
LANGUAGES = ("ru", "uk", "en")


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

    def __post_init__(self) -> None:
        for name in ("timeout_seconds", "stop_grace_seconds", "download_timeout_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"[crawl] {name} must be a positive number, not {value!r}")

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


@dataclass(frozen=True)
class LogChannelSettings:
    path: Path | None = None
    stderr: bool = False


@dataclass(frozen=True)
class EmailSettings:
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
    timeout_seconds: float = 30
    subject_prefix: str = "[peacewatch]"


@dataclass(frozen=True)
class AlertSettings:
    channels: tuple[str, ...] = ("log",)
    max_attempts: int = 5
    retry_backoff_seconds: float = 60
    atom_path: Path | None = None
    atom_entries: int = 50
    log: LogChannelSettings = field(default_factory=LogChannelSettings)
    email: EmailSettings = field(default_factory=EmailSettings)


ALERT_CHANNELS = ("log", "email")
EMAIL_SECURITY = ("starttls", "tls", "none")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


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


def _defaults() -> dict[str, Any]:
    text = (Path(__file__).parent / "defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _line_of(text: str, key: str) -> str:
    """ " (line N)" for the first line of ``text`` that sets or opens ``key``, else ""."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(("[", f"{key} ", f"{key}=", f'"{key}"')) and (
            not stripped.startswith("[") or stripped.strip("[]").split(".")[-1].strip() == key
        ):
            return f" (line {number})"
    return ""


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def _merge(
    base: dict[str, Any], override: dict[str, Any], where: str, text: str = ""
) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if key not in base:
            raise ConfigError(f"{where}: unknown setting {key!r}{_line_of(text, key)}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: [{key}] must be a table{_line_of(text, key)}")
            merged[key] = _merge(base[key], value, f"{where} [{key}]", text)
        elif not _same_kind(base[key], value):
            raise ConfigError(
                f"{where}: {key} must be {_type_name(base[key])}, not {value!r}"
                f"{_line_of(text, key)}"
            )
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message carries the place: "... (at line 3, column 7)"
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc


def config_path_from_environment(explicit: str | None) -> Path | None:
    """The config file to use: --config, else $PEACEWATCH_CONFIG, else ./peacewatch.toml if any."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = Path("peacewatch.toml")
    return local if local.exists() else None


def load_config(path: Path | None = None) -> Config:
    data = _defaults()
    base_dir = Path.cwd()
    text = ""
    if path is not None:
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        data = _merge(data, _read_toml(path, "config file"), str(path), text)
        base_dir = path.resolve().parent
    try:
        return _load_merged(data, base_dir, path)
    except ConfigError as exc:
        # a bad value: say where it is when the user's file sets it
        message = str(exc)
        if path is not None and "(line " not in message:
            for key in re.findall(r"\b[a-z_]+\b", message):
                line = _line_of(text, key) if "_" in key or f"{key} =" in text else ""
                if line:
                    raise ConfigError(f"{path}: {message}{line}") from exc
        raise


def _load_merged(data: dict[str, Any], base_dir: Path, path: Path | None) -> Config:
    storage_path = Path(data["storage"]["path"])
    if not storage_path.is_absolute():
        storage_path = base_dir / storage_path
    registry = data["sources"]["registry"]
    registry_path = Path(registry) if registry else DEFAULT_REGISTRY
    if not registry_path.is_absolute():
        registry_path = base_dir / registry_path
    busy_timeout = data["storage"]["busy_timeout_seconds"]
    if busy_timeout <= 0:
        raise ConfigError(
            f"[storage] busy_timeout_seconds must be a positive number, not {busy_timeout!r}"
        )
    try:
        crash_at = parse_crash_points(data["testing"]["crash_at"])
    except ValueError as exc:
        raise ConfigError(f"[testing] crash_at: {exc}") from exc
    schedule = _build(ScheduleSettings, data["schedule"], "[schedule]")
    for key in ("default_interval_minutes", "min_interval_minutes", "alert_retry_minutes"):
        if not isinstance(getattr(schedule, key), int | float) or getattr(schedule, key) <= 0:
            raise ConfigError(f"[schedule] {key} must be a positive number of minutes")
    if schedule.misfire_grace_seconds < 0 or schedule.lock_wait_seconds < 0:
        raise ConfigError("[schedule] misfire_grace_seconds and lock_wait_seconds must be >= 0")
    health = _build(HealthSettings, data["health"], "[health]")
    if health.failing_after_failed_runs < 1 or health.baseline_runs < 1:
        raise ConfigError("[health] failing_after_failed_runs and baseline_runs must be >= 1")
    sources = load_sources(registry_path, schedule)
    only = list(data["sources"]["only"])
    if only:
        unknown = sorted(set(only) - {s.id for s in sources})
        if unknown:
            raise ConfigError(f"[sources] only names unknown sources: {', '.join(unknown)}")
        sources = [s for s in sources if s.id in only]
    analysis_data = data["analysis"]

    def path_or(value: str, default: Path) -> Path:
        if not value:
            return default
        given = Path(value)
        return given if given.is_absolute() else base_dir / given

    analysis = AnalysisSettings(
        speakers_path=path_or(analysis_data["speakers"], DEFAULT_SPEAKERS),
        topics_path=path_or(analysis_data["topics"], DEFAULT_TOPICS),
        topic_threshold=(
            None
            if analysis_data["topic_threshold"] < 0
            else float(analysis_data["topic_threshold"])
        ),
        devset_path=path_or(analysis_data["devset"], DEFAULT_DEVSET),
    )
    return Config(
        analysis=analysis,
        diff=_build(DiffSettings, data["diff"], "[diff]"),
        alerts=_alert_settings(data["alerts"], path_or),
        storage_path=storage_path,
        registry_path=registry_path,
        sources=tuple(sources),
        crawl=_build(CrawlSettings, data["crawl"], "[crawl]"),
        schedule=schedule,
        health=health,
        config_path=path,
        busy_timeout_seconds=float(busy_timeout),
        crash_at=crash_at,
    )


def _alert_settings(data: dict[str, Any], path_or: Any) -> AlertSettings:
    channels = tuple(data["channels"])
    for channel in channels:
        if channel not in ALERT_CHANNELS:
            known = ", ".join(ALERT_CHANNELS)
            raise ConfigError(f"[alerts] channels: unknown channel {channel!r} (one of {known})")
    if data["max_attempts"] < 1 or data["retry_backoff_seconds"] < 0:
        raise ConfigError("[alerts] max_attempts must be >= 1 and retry_backoff_seconds >= 0")
    email_data = dict(data["email"])
    if email_data["security"] not in EMAIL_SECURITY:
        raise ConfigError(f"[alerts.email] security must be one of {', '.join(EMAIL_SECURITY)}")
    if email_data["mode"] not in ("immediate", "digest"):
        raise ConfigError("[alerts.email] mode must be immediate or digest")
    if "email" in channels:
        for key in ("host", "sender", "recipients"):
            if not email_data[key]:
                raise ConfigError(f"[alerts.email] {key} is required when the email channel is on")
        if email_data["security"] == "none" and email_data["host"] not in LOOPBACK_HOSTS:
            raise ConfigError(
                "[alerts.email] security = none is only allowed to a relay on this machine "
                f"(localhost), not {email_data['host']!r}"
            )
    for address in [email_data["sender"], *email_data["recipients"]]:
        if not isinstance(address, str) or any(ord(c) < 32 or ord(c) == 127 for c in address):
            raise ConfigError(f"[alerts.email] address {address!r} contains control characters")
    email_data["ca_file"] = path_or(email_data["ca_file"], None) if email_data["ca_file"] else None
    email_data["recipients"] = tuple(email_data["recipients"])
    email_data["password"] = Secret(os.environ.get(email_data["password_env"], ""))
    email = _build(EmailSettings, email_data, "[alerts.email]")
    log_data = data["log"]
    return AlertSettings(
        channels=channels,
        max_attempts=int(data["max_attempts"]),
        retry_backoff_seconds=float(data["retry_backoff_seconds"]),
        atom_path=path_or(data["atom_path"], None) if data["atom_path"] else None,
        atom_entries=int(data["atom_entries"]),
        log=LogChannelSettings(
            path=path_or(log_data["path"], None) if log_data["path"] else None,
            stderr=bool(log_data["stderr"]),
        ),
        email=email,
    )


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def load_sources(path: Path, schedule: ScheduleSettings | None = None) -> list[Source]:
    """Read and validate a source registry; every mistake names the source and the key."""
    schedule = schedule or ScheduleSettings()
    data = _read_toml(path, "source registry")
    entries = data.get("sources")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: no [[sources]] entries")
    sources: list[Source] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, 1):
        where = f"{path}: source #{index} ({entry.get('id', '?')})"
        for key in ("id", "name", "language", "feeds"):
            if key not in entry:
                raise ConfigError(f"{where}: missing {key!r}")
        if entry["id"] in seen:
            raise ConfigError(f"{where}: duplicate id")
        seen.add(entry["id"])
        if entry["language"] not in LANGUAGES:
            raise ConfigError(f"{where}: language must be one of {', '.join(LANGUAGES)}")
        feeds = []
        for feed in entry["feeds"]:
            feed = {"url": feed} if isinstance(feed, str) else dict(feed)
            url = feed.get("url", "")
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise ConfigError(f"{where}: feed URL {url!r} is not an http(s) URL")
            kind = feed.get("kind", "auto")
            if kind not in FEED_KINDS:
                raise ConfigError(f"{where}: feed kind {kind!r} not one of {FEED_KINDS}")
            feeds.append(Feed(url=url, kind=kind, confirmed=feed.get("confirmed", "unconfirmed")))
        if not feeds:
            raise ConfigError(f"{where}: no feeds")
        extract = entry.get("extract", {})
        unknown = set(extract) - {"prune_xpaths", "drop_lines", "text_xpath", "encoding"}
        if unknown:
            raise ConfigError(f"{where}: unknown extract keys {sorted(unknown)}")
        interval = entry.get("interval_minutes", schedule.default_interval_minutes)
        if not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0:
            raise ConfigError(
                f"{where}: interval_minutes must be a positive number, not {interval!r}"
            )
        sources.append(
            Source(
                id=entry["id"],
                name=entry["name"],
                language=entry["language"],
                feeds=tuple(feeds),
                country=entry.get("country", ""),
                homepage=entry.get("homepage", ""),
                enabled=bool(entry.get("enabled", True)),
                interval_minutes=max(interval, schedule.min_interval_minutes),
                extract=ExtractRules(
                    prune_xpaths=tuple(extract.get("prune_xpaths", ())),
                    drop_lines=tuple(extract.get("drop_lines", ())),
                    text_xpath=extract.get("text_xpath"),
                    encoding=extract.get("encoding"),
                ),
            )
        )
    return sources


def read_analysis_data(settings: AnalysisSettings) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parsed speaker gazetteer and topic lexicon the analysis runs with."""
    return (
        _read_toml(settings.speakers_path, "speaker gazetteer"),
        _read_toml(settings.topics_path, "topic lexicon"),
    )
