"""Issue 11, class 3 (and class 2's per-source rules): configuration and the command line.

Every config and registry value is type- and range-checked when the configuration loads (exit 2
naming the key, and the source for a registry entry); files are read with a bound; every
command answers bad input with a message and the README's exit code, never a traceback.
Commands run through click's CliRunner, or as real subprocesses where a bug would hang or
exhaust memory (a device, a FIFO, a lock waited on forever); configs are written to tmp_path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scheduler.cli import cli
from scheduler.lock import RunLock
from storage.db import open_db
from tests.faults.harness import ROOT

pytestmark = pytest.mark.faults

#: a source whose only feed nobody serves (the discard port): never fetched by these tests
SOURCE = '[[sources]]\nid = "alpha"\nname = "Alpha"\nlanguage = "en"\n'
FEEDS = 'feeds = ["http://127.0.0.1:9/rss"]\n'


def invoke(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def peacewatch(
    *args: str, cwd: Path, timeout: float = 30, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The real command line in its own process, killed if it outlives ``timeout``."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "scheduler.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def write_config(tmp_path: Path, text: str = "", registry: str | None = None) -> Path:
    """peacewatch.toml in tmp_path, its data in tmp_path/data; ``registry``: sources.toml's text."""
    if registry is not None:
        (tmp_path / "sources.toml").write_text(registry, encoding="utf-8")
        text = f'[sources]\nregistry = "sources.toml"\n{text}'
    config = tmp_path / "peacewatch.toml"
    config.write_text(text, encoding="utf-8")
    return config


def assert_usage_error(result: Result | subprocess.CompletedProcess[str], *parts: str) -> None:
    """Exit 2, one "Error:" line naming every part, no traceback."""
    code = result.exit_code if isinstance(result, Result) else result.returncode
    stderr = result.stderr
    assert code == 2, (code, stderr, getattr(result, "exception", None))
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, stderr
    for part in parts:
        assert part in errors[0], (part, errors[0])


# --- every config value type- and range-checked ----------------------------------------------

BAD_SETTINGS = {
    "interval-nan": ("[schedule]\ndefault_interval_minutes = nan", "default_interval_minutes"),
    "interval-inf": ("[schedule]\ndefault_interval_minutes = inf", "default_interval_minutes"),
    "interval-1e12": ("[schedule]\ndefault_interval_minutes = 1e12", "default_interval_minutes"),
    "busy-timeout-nan": ("[storage]\nbusy_timeout_seconds = nan", "busy_timeout_seconds"),
    "no-concurrency": ("[crawl]\nconcurrent_requests_per_site = 0", "concurrent_requests_per_site"),
    "no-articles": ("[crawl]\nmax_articles_per_source = 0", "max_articles_per_source"),
    "no-size-limit": ("[crawl]\nmax_page_bytes = 0", "max_page_bytes"),
    "fractional-retries": ("[crawl]\nretry_times = 2.5", "retry_times"),
    "lock-wait-nan": ("[schedule]\nlock_wait_seconds = nan", "lock_wait_seconds"),
    "share-above-one": ("[health]\nextraction_failure_share = 2", "extraction_failure_share"),
    "port-out-of-range": ("[alerts.email]\nport = 70000", "port"),
    "unknown-log-level": ('[crawl]\nlog_level = "loud"', "log_level"),
    "only-not-strings": ("[sources]\nonly = [1]", "only"),
    "empty-database-path": ('[storage]\npath = ""', "path"),
    "control-character": ('[alerts.email]\nsubject_prefix = "a\\u0007b"', "subject_prefix"),
}


@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
def test_a_config_value_of_the_wrong_type_or_range_is_exit_2_naming_key_and_line(
    tmp_path: Path, case: str
) -> None:
    text, key = BAD_SETTINGS[case]
    config = write_config(tmp_path, text + "\n")
    assert_usage_error(invoke(config, "status"), key, "(line 2)", str(config))
    assert not (tmp_path / "data").exists()


# --- every registry value, and the per-source rules compiled at load --------------------------

BAD_SOURCES = {
    "id-a-list": ('[[sources]]\nid = ["a"]\nname = "A"\nlanguage = "en"\n' + FEEDS, "id"),
    "feeds-not-urls": (SOURCE + "feeds = [1]\n", "feed"),
    "feeds-a-string": (SOURCE + 'feeds = "http://127.0.0.1:9/rss"\n', "feeds"),
    "feed-url-broken-ipv6": (SOURCE + 'feeds = ["http://[::1/"]\n', "feed URL"),
    "feed-url-bad-port": (SOURCE + 'feeds = ["http://127.0.0.1:99999/"]\n', "feed URL"),
    "homepage-a-number": (SOURCE + FEEDS + "homepage = 5\n", "homepage"),
    "homepage-not-http": (SOURCE + FEEDS + 'homepage = "file:///etc/passwd"\n', "homepage"),
    "enabled-a-string": (SOURCE + FEEDS + 'enabled = "false"\n', "enabled"),
    "interval-nan": (SOURCE + FEEDS + "interval_minutes = nan\n", "interval_minutes"),
    "interval-inf": (SOURCE + FEEDS + "interval_minutes = inf\n", "interval_minutes"),
    "interval-1e12": (SOURCE + FEEDS + "interval_minutes = 1e12\n", "interval_minutes"),
    "misspelt-key": (SOURCE + FEEDS + "enabeld = false\n", "enabeld"),
    "prune-a-string": (
        SOURCE + FEEDS + '[sources.extract]\nprune_xpaths = "//p"\n',
        "extract.prune_xpaths",
    ),
    "prune-not-xpath": (
        SOURCE + FEEDS + '[sources.extract]\nprune_xpaths = ["//div[@"]\n',
        "extract.prune_xpaths",
    ),
    "prune-selects-text": (
        SOURCE + FEEDS + '[sources.extract]\nprune_xpaths = ["//p/text()"]\n',
        "extract.prune_xpaths",
    ),
    "text-xpath-unknown-function": (
        SOURCE + FEEDS + '[sources.extract]\ntext_xpath = "nosuch(//p)"\n',
        "extract.text_xpath",
    ),
    "drop-lines-bad-regex": (
        SOURCE + FEEDS + '[sources.extract]\ndrop_lines = ["re:(unclosed"]\n',
        "extract.drop_lines",
    ),
    "unknown-encoding": (
        SOURCE + FEEDS + '[sources.extract]\nencoding = "klingon-8"\n',
        "extract.encoding",
    ),
    "not-a-text-encoding": (
        SOURCE + FEEDS + '[sources.extract]\nencoding = "rot13"\n',
        "extract.encoding",
    ),
    "entry-not-a-table": ("sources = [1]\n", "source #1"),
}


@pytest.mark.parametrize("case", sorted(BAD_SOURCES))
def test_a_registry_value_or_rule_that_cannot_work_is_exit_2_naming_source_and_key(
    tmp_path: Path, case: str
) -> None:
    registry, key = BAD_SOURCES[case]
    config = write_config(tmp_path, registry=registry)
    source = "source #1" if case in ("id-a-list", "entry-not-a-table") else "(alpha)"
    assert_usage_error(invoke(config, "status"), str(tmp_path / "sources.toml"), source, key)
    assert not (tmp_path / "data").exists()


def test_valid_extraction_rules_still_load(tmp_path: Path) -> None:
    registry = (
        SOURCE
        + FEEDS
        + (
            '[sources.extract]\nprune_xpaths = ["//aside", "//div[@class=\'ad\']"]\n'
            'drop_lines = ["Read more", "re:^\\\\d+ comments$"]\ntext_xpath = "//article"\n'
            'encoding = "cp1251"\n'
        )
    )
    config = write_config(tmp_path, registry=registry)
    result = invoke(config, "config", "path", "--json")
    assert result.exit_code == 0, result.output


# --- bounded reads ---------------------------------------------------------------------------


def test_a_config_that_is_a_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    result = peacewatch("--config", "/dev/zero", "status", cwd=tmp_path)
    assert_usage_error(result, "/dev/zero", "not a regular file")


def test_a_config_that_is_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "peacewatch.toml"
    os.mkfifo(fifo)
    result = peacewatch("--config", str(fifo), "status", cwd=tmp_path)
    assert_usage_error(result, str(fifo), "not a regular file")


def test_a_registry_that_is_a_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[sources]\nregistry = "/dev/zero"\n')
    result = peacewatch("--config", str(config), "status", cwd=tmp_path)
    assert_usage_error(result, "source registry /dev/zero", "not a regular file")


def test_a_config_file_over_one_mebibyte_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path, "# padding\n" * 110_000 + "[crawl]\nretry_times = 1\n")
    assert_usage_error(invoke(config, "status"), str(config), "larger than 1 MiB")


@pytest.mark.parametrize("where", ["config", "registry"])
def test_deeply_nested_toml_is_a_clear_error_not_a_recursion_traceback(
    tmp_path: Path, where: str
) -> None:
    nested = "deep = " + "[" * 100_000 + "]" * 100_000 + "\n"
    if where == "config":
        config = write_config(tmp_path, nested)
    else:
        config = write_config(tmp_path, registry=nested)
    assert_usage_error(invoke(config, "status"), "nests arrays or tables too deeply")


# --- commands: messages and the README's exit codes ------------------------------------------


def database_with_statements(tmp_path: Path, speakers: list[str]) -> Path:
    """A config whose database holds one statement per speaker (ids 1, 2, …)."""
    config = write_config(tmp_path, registry=SOURCE + FEEDS)
    db = open_db(tmp_path / "data" / "peacewatch.db")
    now = datetime(2026, 2, 11, 10, tzinfo=UTC).isoformat()
    for speaker in speakers:
        db["statements"].insert(
            {
                "speaker": speaker,
                "speaker_as_written": speaker,
                "text": f"{speaker} said something about talks",
                "language": "en",
                "kind": "direct",
                "said_at": now,
                "first_seen_at": now,
                "first_url": "http://127.0.0.1:9/a",
                "about_peace_talks": 1,
                "updated_at": now,
            }
        )
    db.close()
    return config


def test_show_an_id_beyond_sqlite_integers_is_a_usage_error(tmp_path: Path) -> None:
    config = database_with_statements(tmp_path, ["Rutte"])
    result = invoke(config, "show", "99999999999999999999999")
    assert_usage_error(result, "99999999999999999999999")


def test_show_a_missing_statement_exits_2_not_1(tmp_path: Path) -> None:
    config = database_with_statements(tmp_path, ["Rutte"])
    assert_usage_error(invoke(config, "show", "42"), "no statement 42")


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_statements_since_beyond_the_utc_calendar_is_a_bad_parameter(
    tmp_path: Path, since: str
) -> None:
    config = database_with_statements(tmp_path, ["Rutte"])
    assert_usage_error(invoke(config, "statements", "--since", since), "--since", since)


@pytest.mark.parametrize(
    ("speaker", "found"),
    [("%", ["50% Alliance"]), ("A_B", ["A_B"]), ("\\", ["Back\\slash"]), ("Rutte", ["Rutte"])],
)
def test_speaker_is_matched_literally_not_as_a_like_pattern(
    tmp_path: Path, speaker: str, found: list[str]
) -> None:
    config = database_with_statements(
        tmp_path, ["Rutte", "A_B", "AxB", "50% Alliance", "Back\\slash"]
    )
    result = invoke(config, "statements", "--speaker", speaker, "--json")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["speaker"] for line in result.stdout.splitlines()] == found


@pytest.mark.parametrize(
    "command", [("status",), ("statements",), ("show", "1"), ("backup", "copy.db")]
)
def test_reading_commands_without_a_database_are_a_usage_error(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    config = write_config(tmp_path, registry=SOURCE + FEEDS)
    if command[0] == "backup":
        command = ("backup", str(tmp_path / "copy.db"))
    result = invoke(config, *command)
    assert_usage_error(result, "no database at", str(tmp_path / "data" / "peacewatch.db"))
    assert not (tmp_path / "data").exists() and not (tmp_path / "copy.db").exists()


def test_status_on_a_file_that_is_not_a_database_exits_5(tmp_path: Path) -> None:
    config = write_config(tmp_path, registry=SOURCE + FEEDS)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "peacewatch.db").write_bytes(b"this is not a database, " * 100)
    result = invoke(config, "status")
    assert result.exit_code == 5, result.output
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def _without_root_powers() -> tuple[str, ...]:
    """A prefix that makes file permissions apply to the child even when tests run as root."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only directory cannot be made")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


def test_run_in_a_read_only_data_directory_is_a_database_error_exit_5(tmp_path: Path) -> None:
    prefix = _without_root_powers()
    config = write_config(tmp_path, registry=SOURCE + FEEDS)
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o555)
    try:
        result = peacewatch("--config", str(config), "run", "--all", cwd=tmp_path, prefix=prefix)
    finally:
        data.chmod(0o755)
    assert result.returncode == 5, result.stderr
    assert "Traceback" not in result.stderr
    assert "cannot open the run lock" in result.stderr and str(data) in result.stderr
    assert list(data.iterdir()) == []  # nothing written, nothing crawled


def test_run_wait_nan_is_refused_rather_than_waiting_forever(tmp_path: Path) -> None:
    config = write_config(tmp_path, registry=SOURCE + FEEDS)
    lock = RunLock.beside(tmp_path / "data" / "peacewatch.db").acquire()
    try:
        result = peacewatch("--config", str(config), "run", "--wait", "nan", cwd=tmp_path)
    finally:
        lock.release()
    assert_usage_error(result, "--wait")


def test_analyze_with_a_date_that_is_not_iso_exits_2(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text("Rutte said: “Talks must go on.”\n", encoding="utf-8")
    config = write_config(tmp_path)
    result = invoke(config, "analyze", str(article), "--date", "11.02.2026")
    assert_usage_error(result, "--date", "11.02.2026")


def test_analyze_refuses_a_device_without_reading_it(tmp_path: Path) -> None:
    result = peacewatch("analyze", "/dev/zero", cwd=tmp_path)
    assert_usage_error(result, "/dev/zero", "not a regular file")


def test_demo_port_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--port", "99999", "--db", str(tmp_path / "d.db")])
    assert_usage_error(result, "--port", "99999")


def test_init_where_nothing_can_be_written_exits_2(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init", "--path", str(blocked / "peacewatch.toml")])
    assert_usage_error(result, "cannot write", str(blocked))
