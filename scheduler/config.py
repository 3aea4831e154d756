"""Configuration: the only module that reads config files and the environment.

One TOML file (``peacewatch.toml``) over embedded defaults; the source registry is another
TOML file (``seeds/sources.toml`` unless the config names one). Everything else receives the
resulting ``Config`` and never looks at files or ``os.environ`` itself.

Where files are (README "Where files go"): the config file is ``--config``, else
``$PEACEWATCH_CONFIG``, else ``./peacewatch.toml``, else ``peacewatch.toml`` in the user's
config directory (platformdirs), else none. Relative paths a config file sets are relative to
it. The data files it does not set (database, alert log, Atom feed) go to the data directory:
``data/`` beside an explicitly named config file (or ``./data`` in a checkout of the project),
else the user's data directory.
"""

from __future__ import annotations

import json
import os
import re
import stat
import string
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import platformdirs

from crawler.scope import allowed_hosts_of
from scheduler.config_checks import (
    check_settings,
    check_source,
    extract_rules,
    line_of,
    merge_settings,
    source_where,
)
from scheduler.settings import (
    ARCHIVE_DIR,
    DEFAULT_DEVSET,
    DEFAULT_REGISTRY,
    DEFAULT_SPEAKERS,
    DEFAULT_TOPICS,
    PROJECT_ROOT,
    SEEDS_DIR,
    UPDATE_MODES,
    AlertSettings,
    AnalysisSettings,
    ChatSettings,
    Config,
    ConfigError,
    CrawlSettings,
    DiffSettings,
    EmailSettings,
    HealthSettings,
    LogChannelSettings,
    ScheduleSettings,
    Secret,
)
from storage.crashpoints import parse_crash_points
from storage.models import FEED_KINDS, Feed, Source

CONFIG_ENV = "PEACEWATCH_CONFIG"
LANGUAGES = ("ru", "uk", "en")

__all__ = [
    "ARCHIVE_DIR",
    "DEFAULT_DEVSET",
    "DEFAULT_REGISTRY",
    "DEFAULT_SPEAKERS",
    "DEFAULT_TOPICS",
    "PROJECT_ROOT",
    "SEEDS_DIR",
    "AlertSettings",
    "AnalysisSettings",
    "ChatSettings",
    "Config",
    "ConfigError",
    "CrawlSettings",
    "DiffSettings",
    "EmailSettings",
    "HealthSettings",
    "LogChannelSettings",
    "ScheduleSettings",
    "Secret",
    "config_path_from_environment",
    "load_config",
    "load_sources",
    "read_analysis_data",
]


ALERT_CHANNELS = ("log", "email", "chat")
EMAIL_SECURITY = ("starttls", "tls", "none")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def _defaults() -> dict[str, Any]:
    text = (Path(__file__).parent / "defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


#: the largest config file read, and the largest registry, gazetteer or lexicon
CONFIG_MAX_BYTES = 1024 * 1024
DATA_MAX_BYTES = 16 * 1024 * 1024


def _read_text(path: Path, what: str, limit: int) -> str:
    """A regular file of at most ``limit`` bytes as UTF-8 text: never a device, a pipe or a
    huge file read without bound (opened without blocking, so a FIFO cannot hang it)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(handle, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise ConfigError(f"{what} {path} is not a regular file")
            data = file.read(limit + 1)
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} not found: {path}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise ConfigError(f"{what} {path} is larger than {limit // 1024 // 1024} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text: {exc}") from exc


def _read_toml(
    path: Path, what: str, limit: int = DATA_MAX_BYTES, text: str | None = None
) -> dict[str, Any]:
    try:
        return tomllib.loads(_read_text(path, what, limit) if text is None else text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message carries the place: "... (at line 3, column 7)"
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{what} {path} nests arrays or tables too deeply") from exc


def config_path_from_environment(explicit: str | None) -> Path | None:
    """The config file to use: --config, else $PEACEWATCH_CONFIG, else ./peacewatch.toml, else
    the user's config file if there is one."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = Path("peacewatch.toml")
    if local.exists():
        return local
    user = user_config_file()
    return user if user.is_file() else None


APP_NAME = "peacewatch"
#: the defaults' data files, written "data/…" in defaults.toml: placed in the data directory
DATA_FILE_KEYS = (("storage", "path"), ("alerts", "atom_path"), ("alerts", "log", "path"))


def user_config_file() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "peacewatch.toml"


def in_checkout(directory: Path | None = None) -> bool:
    """Is this directory (default: the current one) a checkout of the peacewatch project?"""
    project = (directory or Path.cwd()) / "pyproject.toml"
    try:
        return project.is_file() and 'name = "peacewatch"' in project.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def data_dir(config_path: Path | None = None) -> Path:
    """Where the data files go that a config does not place itself."""
    if config_path is not None and config_path.resolve() != user_config_file().resolve():
        return config_path.resolve().parent / "data"
    if in_checkout():
        return Path.cwd() / "data"
    return platformdirs.user_data_path(APP_NAME)


def default_demo_database() -> Path:
    """The demo's database, apart from the user's own: data/demo/peacewatch.db in a checkout,
    else in the data directory's demo/ folder. The demo's other files go beside it."""
    if in_checkout():
        return Path("data") / "demo" / "peacewatch.db"
    return platformdirs.user_data_path(APP_NAME) / "demo" / "peacewatch.db"


def starter_config() -> str:
    """The commented config ``peacewatch init`` writes, its data files in the data directory."""
    template = (Path(__file__).parent / "starter.toml").read_text(encoding="utf-8")
    directory = platformdirs.user_data_path(APP_NAME)
    return string.Template(template).substitute(
        database=_toml_string(directory / "peacewatch.db"),
        atom=_toml_string(directory / "alerts.atom"),
        log=_toml_string(directory / "alerts.jsonl"),
        registry_hint=str(DEFAULT_REGISTRY),
    )


def _toml_string(value: Path) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def locations(config: Config) -> dict[str, Path | None]:
    """Where this configuration reads and writes, for ``peacewatch config path``."""
    return {
        "config": config.config_path.resolve() if config.config_path else None,
        "user_config": user_config_file(),
        "data_dir": data_dir(config.config_path),
        "database": config.storage_path,
        "alerts_log": config.alerts.log.path,
        "atom_feed": config.alerts.atom_path,
        "registry": config.registry_path,
        "speakers": config.analysis.speakers_path,
        "topics": config.analysis.topics_path,
        "seeds": SEEDS_DIR,
    }


def _place_data_files(data: dict[str, Any], directory: Path) -> None:
    for keys in DATA_FILE_KEYS:
        table = data
        for key in keys[:-1]:
            table = table[key]
        value = table[keys[-1]]
        if value:
            relative = PurePosixPath(value)
            parts = relative.parts[1:] if relative.parts[:1] == ("data",) else relative.parts
            table[keys[-1]] = str(directory.joinpath(*parts))


def load_config(path: Path | None = None) -> Config:
    data = _defaults()
    _place_data_files(data, data_dir(path))
    base_dir = Path.cwd()
    text = ""
    if path is not None:
        text = _read_text(path, "config file", CONFIG_MAX_BYTES)
        data = merge_settings(data, _read_toml(path, "config file", text=text), str(path), text)
        base_dir = path.resolve().parent
    try:
        return _load_merged(data, base_dir, path)
    except ConfigError as exc:
        # a bad value: say where it is when the user's file sets it
        message = str(exc)
        if path is not None and "(line " not in message:
            for key in re.findall(r"\b[a-z_]+\b", message):
                line = line_of(text, key) if "_" in key or f"{key} =" in text else ""
                if line:
                    raise ConfigError(f"{path}: {message}{line}") from exc
        raise


def _load_merged(data: dict[str, Any], base_dir: Path, path: Path | None) -> Config:
    check_settings(data)  # every value's type and range (config_checks.NUMBERS)
    storage_path = Path(data["storage"]["path"])
    if not storage_path.is_absolute():
        storage_path = base_dir / storage_path
    registry = data["sources"]["registry"]
    registry_path = Path(registry) if registry else DEFAULT_REGISTRY
    if not registry_path.is_absolute():
        registry_path = base_dir / registry_path
    busy_timeout = data["storage"]["busy_timeout_seconds"]
    try:
        crash_at = parse_crash_points(data["testing"]["crash_at"])
    except ValueError as exc:
        raise ConfigError(f"[testing] crash_at: {exc}") from exc
    schedule = _build(ScheduleSettings, data["schedule"], "[schedule]")
    health = _build(HealthSettings, data["health"], "[health]")
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
    crawl_data = dict(data["crawl"])  # the scrapyd servers' credentials: only from the environment
    crawl_data["scrapyd_username"] = os.environ.get(crawl_data["scrapyd_username_env"], "")
    crawl_data["scrapyd_password"] = Secret(os.environ.get(crawl_data["scrapyd_password_env"], ""))
    return Config(
        analysis=analysis,
        diff=_build(DiffSettings, data["diff"], "[diff]"),
        alerts=_alert_settings(data["alerts"], path_or),
        storage_path=storage_path,
        registry_path=registry_path,
        sources=tuple(sources),
        crawl=_build(CrawlSettings, crawl_data, "[crawl]"),
        schedule=schedule,
        health=health,
        config_path=path,
        busy_timeout_seconds=float(busy_timeout),
        crash_at=crash_at,
    )


FILTER_KINDS = ("new", "update", "health")


def _filter_fields(values: dict[str, Any], section: str) -> dict[str, Any]:
    """A channel's filter keys, checked, lists as tuples (DESIGN §7)."""
    for key, allowed in (("kinds", FILTER_KINDS), ("languages", LANGUAGES)):
        unknown = [v for v in values[key] if v not in allowed]
        if unknown:
            raise ConfigError(
                f"[alerts.{section}] {key}: unknown {unknown[0]!r} (one of {', '.join(allowed)})"
            )
    return {
        "speakers": tuple(str(v) for v in values["speakers"]),
        "languages": tuple(values["languages"]),
        "kinds": tuple(values["kinds"]),
        "min_outlets": int(values["min_outlets"]),
        "min_topic_score": float(values["min_topic_score"]),
        "max_per_cycle": int(values["max_per_cycle"]),
    }


def _alert_settings(data: dict[str, Any], path_or: Any) -> AlertSettings:
    channels = tuple(data["channels"])
    for channel in channels:
        if channel not in ALERT_CHANNELS:
            known = ", ".join(ALERT_CHANNELS)
            raise ConfigError(f"[alerts] channels: unknown channel {channel!r} (one of {known})")
    email_data = {**data["email"], **_filter_fields(data["email"], "email")}
    if email_data["security"] not in EMAIL_SECURITY:
        raise ConfigError(f"[alerts.email] security must be one of {', '.join(EMAIL_SECURITY)}")
    if email_data["mode"] not in ("immediate", "digest"):
        raise ConfigError("[alerts.email] mode must be immediate or digest")
    chat_data = {**data["chat"], **_filter_fields(data["chat"], "chat")}
    for section, values in (("email", email_data), ("log", data["log"]), ("chat", chat_data)):
        if values.get("updates", "digest") not in UPDATE_MODES:
            raise ConfigError(
                f"[alerts.{section}] updates must be one of {', '.join(UPDATE_MODES)}"
            )
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
    # Apprise's own separators: blanks and commas between service URLs
    chat_data["urls"] = tuple(
        Secret(url) for url in re.split(r"[\s,]+", os.environ.get(chat_data["urls_env"], "")) if url
    )
    if "chat" in channels and not chat_data["urls"]:
        raise ConfigError(
            f"[alerts.chat] the chat channel is on but ${chat_data['urls_env']} names no service "
            "URL (Apprise URLs, separated by blanks or commas)"
        )
    chat = _build(ChatSettings, chat_data, "[alerts.chat]")
    log_data = data["log"]
    return AlertSettings(
        channels=channels,
        max_attempts=int(data["max_attempts"]),
        retry_backoff_seconds=float(data["retry_backoff_seconds"]),
        atom_path=path_or(data["atom_path"], None) if data["atom_path"] else None,
        atom_entries=int(data["atom_entries"]),
        atom_keep_days=float(data["atom"]["keep_days"]),
        atom_self_url=str(data["atom"]["self_url"]),
        delivery_budget_seconds=float(data["delivery_budget_seconds"]),
        max_immediate_per_cycle=int(data["max_immediate_per_cycle"]),
        max_resends=int(data["max_resends"]),
        log=LogChannelSettings(
            path=path_or(log_data["path"], None) if log_data["path"] else None,
            stderr=bool(log_data["stderr"]),
            updates=str(log_data.get("updates", "digest")),
            **_filter_fields(log_data, "log"),
        ),
        email=email,
        chat=chat,
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
        where = source_where(path, index, entry)
        check_source(entry, where)  # types, ranges and URLs of every key (config_checks)
        if entry["id"] in seen:
            raise ConfigError(f"{where}: duplicate id")
        seen.add(entry["id"])
        if entry["language"] not in LANGUAGES:
            raise ConfigError(f"{where}: language must be one of {', '.join(LANGUAGES)}")
        feeds = []
        for feed in entry["feeds"]:
            feed = {"url": feed} if isinstance(feed, str) else dict(feed)
            url = feed["url"]
            kind = feed.get("kind", "auto")
            if kind not in FEED_KINDS:
                raise ConfigError(f"{where}: feed kind {kind!r} not one of {FEED_KINDS}")
            feeds.append(Feed(url=url, kind=kind, confirmed=feed.get("confirmed", "unconfirmed")))
        if not feeds:
            raise ConfigError(f"{where}: no feeds")
        extract = extract_rules(entry.get("extract", {}), where)
        try:  # never a guess: a wrong entry would widen what the crawl may fetch
            allowed_hosts = allowed_hosts_of(entry.get("allowed_hosts", []))
        except ValueError as exc:
            raise ConfigError(f"{where}: allowed_hosts: {exc}") from None
        interval = entry.get("interval_minutes", schedule.default_interval_minutes)
        sources.append(
            Source(
                id=entry["id"],
                name=entry["name"],
                language=entry["language"],
                feeds=tuple(feeds),
                country=entry.get("country", ""),
                homepage=entry.get("homepage", ""),
                enabled=entry.get("enabled", True),
                interval_minutes=max(interval, schedule.min_interval_minutes),
                extract=extract,
                allowed_hosts=allowed_hosts,
            )
        )
    return sources


def read_analysis_data(settings: AnalysisSettings) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parsed speaker gazetteer and topic lexicon the analysis runs with."""
    return (
        _read_toml(settings.speakers_path, "speaker gazetteer"),
        _read_toml(settings.topics_path, "topic lexicon"),
    )
