from pathlib import Path

import pytest

from scheduler.config import (
    DEFAULT_REGISTRY,
    PROJECT_ROOT,
    SEEDS_DIR,
    ConfigError,
    config_path_from_environment,
    in_checkout,
    load_config,
    load_sources,
    starter_config,
)


def test_defaults_need_no_config_file() -> None:
    config = load_config(None)
    assert config.storage_path.name == "peacewatch.db"
    assert config.crawl.download_timeout_seconds == 30
    assert config.registry_path == DEFAULT_REGISTRY


def test_a_config_file_overrides_defaults_and_resolves_paths_next_to_itself(tmp_path: Path) -> None:
    path = tmp_path / "peacewatch.toml"
    path.write_text('[storage]\npath = "db/x.db"\n[crawl]\nretry_times = 5\n')
    config = load_config(path)
    assert config.storage_path == tmp_path / "db" / "x.db"
    assert config.crawl.retry_times == 5
    assert config.crawl.scrapy_settings()["RETRY_TIMES"] == 5


def test_an_unknown_setting_is_an_error_that_names_it(tmp_path: Path) -> None:
    path = tmp_path / "peacewatch.toml"
    path.write_text("[crawl]\nretries = 5\n")
    with pytest.raises(ConfigError, match="unknown setting 'retries'"):
        load_config(path)


def test_invalid_toml_is_an_error_that_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "peacewatch.toml"
    path.write_text("[crawl\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('id = "a"\nname = "A"\nlanguage = "de"\nfeeds = ["https://a.org/rss"]', "language"),
        ('id = "a"\nname = "A"\nlanguage = "ru"\nfeeds = ["ftp://a.org/rss"]', "not an http"),
        ('id = "a"\nname = "A"\nlanguage = "ru"\nfeeds = []', "no feeds"),
        ('id = "a"\nname = "A"\nlanguage = "ru"', "missing 'feeds'"),
    ],
)
def test_registry_mistakes_name_the_source(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f"[[sources]]\n{entry}\n")
    with pytest.raises(ConfigError, match=message):
        load_sources(path)


def test_minimum_interval_is_enforced(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[sources]]\nid = "a"\nname = "A"\nlanguage = "ru"\ninterval_minutes = 1\n'
        'feeds = ["https://a.org/rss"]\n'
    )
    assert load_sources(path)[0].interval_minutes == 5


def test_default_registry_lists_at_least_15_real_editions_in_three_languages() -> None:
    sources = load_sources(DEFAULT_REGISTRY)
    assert len(sources) >= 15
    assert {s.language for s in sources} == {"ru", "uk", "en"}
    assert len({s.id for s in sources}) == len(sources)


def test_every_registry_url_says_where_it_was_confirmed() -> None:
    for source in load_sources(DEFAULT_REGISTRY):
        for feed in source.feeds:
            assert feed.confirmed.strip(), f"{source.id}: {feed.url} has no confirmation note"
            assert "127.0.0.1" not in feed.url


def _config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "peacewatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


EMAIL_ON = """
[alerts]
channels = ["log", "email"]
[alerts.email]
host = "smtp.example.org"
sender = "peacewatch@example.org"
recipients = ["desk@example.org"]
"""


def test_alert_channels_and_paths_come_from_the_config(tmp_path: Path) -> None:
    config = load_config(_config_file(tmp_path, EMAIL_ON))
    assert config.alerts.channels == ("log", "email")
    assert config.alerts.log.path == tmp_path / "data" / "alerts.jsonl"
    assert config.alerts.atom_path == tmp_path / "data" / "alerts.atom"
    assert config.alerts.email.recipients == ("desk@example.org",)


def test_the_smtp_password_comes_from_the_environment_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PEACEWATCH_SMTP_PASSWORD", "s3cret-value")
    config = load_config(_config_file(tmp_path, EMAIL_ON))
    assert config.alerts.email.password.reveal() == "s3cret-value"
    assert "s3cret-value" not in repr(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[alerts]\nchannels = ["pager"]', "unknown channel 'pager'"),
        ('[alerts]\nchannels = ["email"]', "host is required"),
        (EMAIL_ON + 'security = "none"', "only allowed to a relay on this machine"),
        (EMAIL_ON + 'security = "ssl3"', "security must be one of"),
        (EMAIL_ON + 'mode = "weekly"', "mode must be immediate or digest"),
        ("[alerts]\nmax_attempts = 0", "max_attempts must be a whole number from 1"),
        ('[alerts.email]\nsender = "a@b.org\\r\\nBcc: x@y.org"', "control characters"),
        ("[diff]\nwindow = 3", "unknown setting 'window'"),
    ],
)
def test_alert_and_diff_mistakes_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_config_file(tmp_path, text))


def test_the_seeds_are_read_from_the_installed_package() -> None:
    import importlib.resources

    import seeds

    assert importlib.resources.files(seeds) == SEEDS_DIR
    assert DEFAULT_REGISTRY == SEEDS_DIR / "sources.toml"
    assert (SEEDS_DIR / "archive" / "articles").is_dir()


def test_outside_a_checkout_the_data_files_go_to_the_user_data_directory(
    tmp_path: Path, monkeypatch, user_directories: dict[str, Path]
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(config_path_from_environment(None))
    home = user_directories["data"] / "peacewatch"
    assert config.config_path is None
    assert config.storage_path == home / "peacewatch.db"
    assert config.alerts.log.path == home / "alerts.jsonl"
    assert config.alerts.atom_path == home / "alerts.atom"


def test_inside_a_checkout_the_data_files_stay_in_its_data_folder(monkeypatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)
    assert in_checkout()
    assert load_config(None).storage_path == PROJECT_ROOT / "data" / "peacewatch.db"


def test_the_user_config_file_is_found_when_no_other_is_named(
    tmp_path: Path, monkeypatch, user_directories: dict[str, Path]
) -> None:
    monkeypatch.chdir(tmp_path)
    user = user_directories["config"] / "peacewatch" / "peacewatch.toml"
    user.parent.mkdir(parents=True)
    user.write_text("[crawl]\nretry_times = 4\n")
    assert config_path_from_environment(None) == user
    config = load_config(user)
    assert config.crawl.retry_times == 4
    # a config in the config directory keeps its data in the data directory, not beside it
    assert config.storage_path == user_directories["data"] / "peacewatch" / "peacewatch.db"


def test_a_named_config_keeps_its_data_beside_it(tmp_path: Path, monkeypatch) -> None:
    named = tmp_path / "elsewhere" / "peacewatch.toml"
    named.parent.mkdir()
    named.write_text("")
    monkeypatch.setenv("PEACEWATCH_CONFIG", str(named))
    assert config_path_from_environment(None) == named
    assert load_config(named).storage_path == named.parent / "data" / "peacewatch.db"


def test_the_starter_config_loads_and_uses_the_data_directory(
    tmp_path: Path, user_directories: dict[str, Path]
) -> None:
    path = tmp_path / "peacewatch.toml"
    path.write_text(starter_config(), encoding="utf-8")
    config = load_config(path)
    home = user_directories["data"] / "peacewatch"
    assert config.storage_path == home / "peacewatch.db"
    assert config.alerts.channels == ("log",)
    assert config.registry_path == DEFAULT_REGISTRY
