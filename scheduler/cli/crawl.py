"""Crawling and scheduling: ``run`` (one cycle, for cron), ``daemon``, ``status``, ``backup``."""

from __future__ import annotations

import logging
import math
import sys
from pathlib import Path

import click

from scheduler.cli.app import (
    EXIT_ALL_SOURCES_FAILED,
    EXIT_LOCK_HELD,
    EXIT_SIGNALLED,
    Context,
    InputError,
    echo_rows,
    read_store,
    setup_logging,
    store_error,
)
from scheduler.cli.render import (
    cycle_record,
    echo_cycle,
    echo_problems,
    outbox_table,
    servers_table,
    status_table,
)
from scheduler.lock import LockHeld
from scheduler.output import json_line
from storage.db import StoreError


def _finite(_ctx: click.Context, _param: click.Parameter, value: float | None) -> float | None:
    """click's FloatRange lets nan through (every comparison with it is false)."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of seconds")
    return value


@click.command()
@click.option("--source", "source_ids", multiple=True, help="Crawl only this source (repeatable).")
@click.option("--all", "all_sources", is_flag=True, help="Every enabled source, due or not.")
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(0, 86400),
    callback=_finite,
    help="Wait this long for another run's lock (default: [schedule] lock_wait_seconds).",
)
@click.option("-v", "--verbose", is_flag=True, help="Print the table even when not on a terminal.")
@click.option(
    "--json", "as_json", is_flag=True, help="The cycle as one JSON object (sources, diff, alerts)."
)
@click.pass_obj
def run(
    obj: Context,
    source_ids: tuple[str, ...],
    all_sources: bool,
    wait_seconds: float | None,
    verbose: bool,
    as_json: bool,
) -> None:
    """Run one cycle over the sources that are due, and exit (for cron).

    Quiet when all went well and stdout is not a terminal (cron mails nothing); problems are
    one line each on stderr.
    """
    from scheduler.alerts.delivery import DeliveryReport
    from scheduler.cron import pick_sources, run_once

    config = obj.config()
    interactive = (sys.stdout.isatty() or verbose) and not as_json
    setup_logging(verbose)
    try:
        sources = pick_sources(config, source_ids)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc

    def starting(count: int) -> None:
        if interactive:
            click.echo(f"crawling {count} source(s)…", err=True)

    wait = config.schedule.lock_wait_seconds if wait_seconds is None else wait_seconds
    try:
        done = run_once(
            config,
            sources,
            due_only=not (all_sources or source_ids),
            wait_seconds=wait,
            on_start=starting,
        )
    except LockHeld as exc:
        click.echo(f"peacewatch run: {exc}; not running", err=True)
        sys.exit(EXIT_LOCK_HELD)
    except StoreError as exc:
        store_error(exc)
    if done.stopped_by is not None:
        # what was delivered and what is left, as it is (DeliveryReport.after_stop)
        delivery = (done.report.delivery if done.report else None) or DeliveryReport()
        click.echo(
            f"peacewatch run: stopped by {done.stopped_by.name}; {delivery.after_stop()}",
            err=True,
        )
        sys.exit(EXIT_SIGNALLED[done.stopped_by])
    if done.report is None:
        if as_json:
            click.echo(json_line({"run_id": None, "status": "nothing due", "sources": []}))
        elif interactive:
            click.echo("no source is due (use --all to crawl every source now)")
        return
    if as_json:
        click.echo(json_line(cycle_record(done.report)))
        echo_problems(done.report)
    elif interactive:
        echo_cycle(done.report, "cycle")
    else:
        echo_problems(done.report)
    if done.report.all_failed:
        click.echo("error: every source failed", err=True)
        sys.exit(EXIT_ALL_SOURCES_FAILED)


@click.command()
@click.option("-v", "--verbose", is_flag=True, help="Log every cycle (INFO), not only problems.")
@click.pass_obj
def daemon(obj: Context, verbose: bool) -> None:
    """Run cycles on the sources' schedules until SIGTERM or Ctrl-C."""
    from scheduler.daemon import Daemon

    config = obj.config()
    setup_logging(True if verbose else sys.stderr.isatty())
    logging.getLogger("peacewatch").setLevel(logging.INFO)
    try:
        Daemon(config).run()
    except LockHeld as exc:
        click.echo(f"peacewatch daemon: {exc}; not starting", err=True)
        sys.exit(EXIT_LOCK_HELD)
    except StoreError as exc:
        store_error(exc)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """Per source: last run, next due, articles, reports, new statements, errors, health; per
    alert channel: pending, failed and sent alerts, and the last error; per scrapyd server
    (the scrapyd backend): reachable or not, the egg it holds, its last cycle's jobs."""
    from scheduler.status import source_status
    from storage.crawl_jobs import servers
    from storage.outbox import outbox_summary

    config = obj.config()
    rows, outbox, remote = read_store(
        config, lambda db: (source_status(db, config), outbox_summary(db), servers(db))
    )
    if as_json:  # one object a line; "record" tells a source's line from a channel's
        echo_rows([{"record": "source", **row} for row in rows], True, status_table)
        echo_rows([{"record": "outbox", **row} for row in outbox], True, outbox_table)
        echo_rows([{"record": "server", **row} for row in remote], True, servers_table)
        return
    echo_rows(rows, False, status_table)
    for extra, render in ((outbox, outbox_table), (remote, servers_table)):
        if extra:
            click.echo()
            echo_rows(extra, False, render)


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The copy made, as a JSON object.")
@click.pass_obj
def backup(obj: Context, target: Path, as_json: bool) -> None:
    """Write a consistent copy of the database to TARGET, safely while it is in use."""
    from storage.db import backup_database

    config = obj.config()
    if target.exists():
        raise click.UsageError(f"{target} exists; give a new file name")
    if not config.storage_path.exists():
        raise InputError(f"no database at {config.storage_path}: nothing to back up")
    try:
        pages = backup_database(config.storage_path, target)
    except StoreError as exc:
        store_error(exc)
    if as_json:
        record = {"database": str(config.storage_path), "backup": str(target), "pages": pages}
        click.echo(json_line(record))
    else:
        click.echo(f"backed up {config.storage_path} to {target} ({pages} pages)")


COMMANDS = (run, daemon, status, backup)
