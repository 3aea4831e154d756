"""The ``peacewatch`` command group and what its commands share: configuration, exit codes,
logging, opening the database.

Exit codes: 0 ok (some sources may have failed), 1 an unexpected error, 2 usage or
configuration error (nothing crawled; also no such statement, no database yet, an input file
that cannot be read), 3 every source failed, 4 the run lock (or the daemon lock) is held by
another process, 5 a database error (locked beyond the busy timeout, full, unreadable, or its
directory not writable so the run lock cannot be created).
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from scheduler.config import Config, ConfigError, config_path_from_environment, load_config
from scheduler.output import json_line
from storage.db import StoreError

if TYPE_CHECKING:
    from crawler.analysis.analyzer import Analyzer

T = TypeVar("T")

EXIT_ALL_SOURCES_FAILED = 3
EXIT_LOCK_HELD = 4
EXIT_STORE_ERROR = 5
#: Stopped by SIGHUP / SIGINT / SIGTERM: the shell's 128 + signal number.
EXIT_SIGNALLED = {signal.SIGHUP: 129, signal.SIGINT: 130, signal.SIGTERM: 143}


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own lines say it better


class InputError(click.ClickException):
    """A usage-level error that is not about the command line's syntax (no such statement, no
    database yet, an input file that cannot be read): "Error: …" and exit 2, without the usage
    text."""

    exit_code = 2


def store_error(exc: StoreError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_STORE_ERROR)


class Context:
    def __init__(self, config_option: str | None) -> None:
        self.config_option = config_option

    def config(self) -> Config:
        try:
            config = load_config(config_path_from_environment(self.config_option))
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from exc
        # process-wide settings, applied once here at start: every open_db of this process
        # (cycle, daemon, status, backup) waits this long for a lock; the fault-test hook
        from storage import crashpoints
        from storage import db as storage_db

        storage_db.configure(busy_timeout=config.busy_timeout_seconds)
        crashpoints.configure(config.crash_at)
        return config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_option",
    type=click.Path(dir_okay=False),
    help="peacewatch.toml to use (default: $PEACEWATCH_CONFIG, else ./peacewatch.toml, "
    "else built-in defaults).",
)
@click.version_option(package_name="peacewatch")
@click.pass_context
def cli(ctx: click.Context, config_option: str | None) -> None:
    """Watch the news for new statements about negotiations to end the Russia–Ukraine war."""
    ctx.obj = Context(config_option)


def open_existing_db(config: Config) -> Any:
    """The database for a command that only reads it (``status``, ``statements``, ``show``):
    opened read-only, without migrations, so a read-only file or directory works and nothing
    is written — unless an older version wrote it: then it is upgraded first, as by `run`."""
    from storage.db import SchemaOutdated, open_db, open_db_readonly

    if not config.storage_path.exists():
        raise InputError(
            f"no database at {config.storage_path}: run `peacewatch run` or `peacewatch demo` first"
        )
    try:
        return open_db_readonly(config.storage_path)
    except SchemaOutdated as outdated:
        try:
            return open_db(config.storage_path)
        except StoreError as exc:
            store_error(StoreError(f"{outdated}: {exc}"))
    except StoreError as exc:
        store_error(exc)


def read_store(config: Config, read: Callable[[Any], T]) -> T:
    """Open the existing database, read from it, close it; a database error exits 5."""
    db = open_existing_db(config)
    try:
        return read(db)
    except sqlite3.DatabaseError as exc:
        store_error(StoreError(f"database {config.storage_path}: {exc}"))
    finally:
        db.close()


def echo_rows(
    rows: list[dict[str, Any]], as_json: bool, render: Callable[[list[dict[str, Any]]], str]
) -> None:
    """One JSON object per line, or the human table."""
    if as_json:
        for row in rows:
            click.echo(json_line(row))
    else:
        click.echo(render(rows))


def analyzer_for(config: Config) -> Analyzer:
    from crawler.analysis.analyzer import Analyzer
    from scheduler.config import read_analysis_data

    try:
        speakers, topics = read_analysis_data(config.analysis)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    return Analyzer.from_data(speakers, topics, config.analysis.topic_threshold)
