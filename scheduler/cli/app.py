"""The ``peacewatch`` command line: a thin layer over config, cycle, daemon and demo.

Exit codes: 0 ok (some sources may have failed), 1 an unexpected error, 2 usage or
configuration error (nothing crawled), 3 every source failed, 4 the run lock (or the daemon
lock) is held by another process, 5 a database error (locked beyond the busy timeout, full,
unreadable).
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from typing import NoReturn

import click

from scheduler.config import Config, ConfigError, config_path_from_environment, load_config
from scheduler.cycle import CycleReport, run_cycle
from scheduler.output import alert_summary, json_line, run_table, shorten, table
from storage.db import StoreError

EXIT_ALL_SOURCES_FAILED = 3
EXIT_LOCK_HELD = 4
EXIT_STORE_ERROR = 5
#: Stopped by SIGINT / SIGTERM: the shell's 128 + signal number.
EXIT_SIGNALLED = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own lines say it better


def _store_error(exc: StoreError) -> NoReturn:
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


def _print_cycle(report: CycleReport, title: str) -> None:
    click.echo(
        f"{title}: run {report.run_id} {report.status}, {report.articles_new} new "
        f"articles in {report.duration_s:.1f} s"
    )
    click.echo(run_table(report.stats))
    if report.error:
        click.echo(f"error: {report.error}", err=True)
    if report.diff is not None and report.delivery is not None:
        click.echo(
            f"diff: {report.diff.reports_decided} reports decided, "
            f"{report.diff.statements_new} new statements, {report.diff.alerts_queued} alerts "
            f"queued; delivery: {report.delivery.sent} sent, {report.delivery.retrying} to "
            f"retry, {report.delivery.failed} failed"
        )
        for error in report.delivery.errors:
            click.echo(f"alert delivery: {error}", err=True)


def _print_alerts(report: CycleReport) -> None:
    delivered = report.delivery.delivered if report.delivery else []
    click.echo(f"alerts raised: {len(delivered)}")
    for payload in delivered:
        click.echo(alert_summary(payload))


@cli.command()
@click.option("--source", "source_ids", multiple=True, help="Crawl only this source (repeatable).")
@click.option("--all", "all_sources", is_flag=True, help="Every enabled source, due or not.")
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    help="Wait this long for another run's lock (default: [schedule] lock_wait_seconds).",
)
@click.option("-v", "--verbose", is_flag=True, help="Print the table even when not on a terminal.")
@click.pass_obj
def run(
    obj: Context,
    source_ids: tuple[str, ...],
    all_sources: bool,
    wait_seconds: float | None,
    verbose: bool,
) -> None:
    """Run one cycle over the sources that are due, and exit (for cron).

    Quiet when all went well and stdout is not a terminal (cron mails nothing); problems are
    one line each on stderr.
    """
    from scheduler.cycle import due_now
    from scheduler.lock import LockHeld, RunLock

    config = obj.config()
    interactive = sys.stdout.isatty() or verbose
    _setup_logging(verbose)
    sources = config.enabled_sources
    if source_ids:
        known = {s.id: s for s in config.sources}
        missing = [s for s in source_ids if s not in known]
        if missing:
            raise click.UsageError(f"unknown source(s): {', '.join(missing)}")
        sources = [known[s] for s in source_ids]
    if not sources:
        raise click.UsageError("no enabled sources in the registry")
    wait = config.schedule.lock_wait_seconds if wait_seconds is None else wait_seconds
    try:
        lock = RunLock.beside(config.storage_path).acquire(wait_seconds=wait)
    except LockHeld as exc:
        click.echo(f"peacewatch run: {exc}; not running", err=True)
        sys.exit(EXIT_LOCK_HELD)
    try:
        if not (all_sources or source_ids):
            sources = due_now(config, sources)
            if not sources:
                if interactive:
                    click.echo("no source is due (use --all to crawl every source now)")
                return
        if interactive:
            click.echo(f"crawling {len(sources)} source(s)…", err=True)
        stopping, received = _stop_on_signals(config.crawl.stop_grace_seconds)
        report = run_cycle(config, sources=sources, trigger="run", stopping=stopping)
    except StoreError as exc:
        _store_error(exc)
    except sqlite3.DatabaseError as exc:  # a read outside a write transaction
        _store_error(StoreError(f"database {config.storage_path}: {exc}"))
    finally:
        lock.release()
    if received:
        click.echo(
            f"peacewatch run: stopped by {received[0].name}; what was stored is kept, "
            "the rest is decided and alerted by the next run",
            err=True,
        )
        sys.exit(EXIT_SIGNALLED[received[0]])
    if interactive:
        _print_cycle(report, "cycle")
    else:
        for stats in report.stats:
            if stats.failed:
                click.echo(f"peacewatch: {stats.source_id} failed: {stats.error_text}", err=True)
        for error in report.delivery.errors if report.delivery else []:
            click.echo(f"peacewatch: alert delivery: {error}", err=True)
        for change in report.health:
            click.echo(
                f"peacewatch: source {change['source_id']} {change['state']}: {change['reason']}",
                err=True,
            )
    if report.all_failed:
        click.echo("error: every source failed", err=True)
        sys.exit(EXIT_ALL_SOURCES_FAILED)


def _stop_on_signals(grace: float) -> tuple[threading.Event, list[signal.Signals]]:
    """SIGTERM / SIGINT during a run: stop the crawl (it runs in its own session, so it
    would not get the signal) and let the cycle end early without losing anything."""
    from scheduler.crawl import stop_running_crawls

    stopping = threading.Event()
    received: list[signal.Signals] = []

    def handler(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum))
        stopping.set()
        stop_running_crawls(grace)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stopping, received


@cli.command()
@click.option("-v", "--verbose", is_flag=True, help="Log every cycle (INFO), not only problems.")
@click.pass_obj
def daemon(obj: Context, verbose: bool) -> None:
    """Run cycles on the sources' schedules until SIGTERM or Ctrl-C."""
    from scheduler.daemon import Daemon
    from scheduler.lock import LockHeld

    config = obj.config()
    _setup_logging(True if verbose else sys.stderr.isatty())
    logging.getLogger("peacewatch").setLevel(logging.INFO)
    try:
        Daemon(config).run()
    except LockHeld as exc:
        click.echo(f"peacewatch daemon: {exc}; not starting", err=True)
        sys.exit(EXIT_LOCK_HELD)
    except StoreError as exc:
        _store_error(exc)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """Per source: last run, next due, articles, reports, new statements, errors, health."""
    from scheduler.status import source_status

    config = obj.config()
    db = _open_existing_db(config)
    try:
        rows = source_status(db, config)
    finally:
        db.close()
    if as_json:
        for row in rows:
            click.echo(json_line(row))
        return
    click.echo(
        table(
            (
                "source",
                "state",
                "last run",
                "status",
                "next due",
                "new",
                "reports",
                "statements",
                "errors",
                "last error",
            ),
            [
                (
                    r["source"],
                    r["state"] if r["enabled"] else "disabled",
                    (r["last_run"] or "")[:16].replace("T", " "),
                    r["last_status"] or "",
                    (r["next_due"] or "")[:16].replace("T", " "),
                    r["articles_last_run"],
                    r["reports_last_run"],
                    r["new_statements_last_run"],
                    r["errors_last_run"],
                    shorten(r["state_reason"] or r["last_error"] or "", 60),
                )
                for r in rows
            ],
        )
    )


@cli.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup(obj: Context, target: Path) -> None:
    """Write a consistent copy of the database to TARGET, safely while it is in use."""
    from storage.db import backup_database

    config = obj.config()
    if target.exists():
        raise click.UsageError(f"{target} exists; give a new file name")
    try:
        pages = backup_database(config.storage_path, target)
    except StoreError as exc:
        _store_error(exc)
    click.echo(f"backed up {config.storage_path} to {target} ({pages} pages)")


@cli.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default="data/peacewatch.db",
    show_default=True,
    help="Database the demo writes to.",
)
@click.option(
    "--port",
    type=int,
    default=8765,
    show_default=True,
    help="Port to serve the archive on (0: any free port; a busy one falls back).",
)
@click.option(
    "--serve",
    is_flag=True,
    help="Only serve the archive and write a config pointing at it, until stopped.",
)
@click.option(
    "--day",
    type=int,
    default=None,
    help="With --serve: which archive day to serve (default: the last).",
)
def demo(db_path: str, port: int, serve: bool, day: int | None) -> None:
    """Crawl the bundled offline archive on a loopback server, day 1 then day 2."""
    from scheduler.demo.steps import demo_config, start_archive

    storage_path = Path(db_path)
    demo_dir = storage_path.parent / "demo"
    server = start_archive(port=port, day=1)
    site = server.site
    try:
        config = demo_config(site, demo_dir, storage_path)
        if serve:
            site.day = day or site.max_day
            click.echo(
                f"serving the archive (day {site.day}) on "
                f"{', '.join(sorted(site.base_urls.values()))}"
            )
            click.echo(f"config: {demo_dir / 'peacewatch.toml'}")
            click.echo(f"try:    peacewatch --config {demo_dir / 'peacewatch.toml'} run")
            click.echo(f"   or:  peacewatch --config {demo_dir / 'peacewatch.toml'} daemon -v")
            click.echo("stop with Ctrl-C")
            _wait_for_stop()
            return
        for current in range(1, site.max_day + 1):
            site.day = current
            try:
                report = run_cycle(config, trigger="demo")
            except StoreError as exc:
                raise click.ClickException(str(exc)) from exc
            _print_cycle(report, f"day {current}")
            _print_alerts(report)
            click.echo()
        click.echo(f"database: {storage_path}  (explore it with sqlite3 or Datasette)")
    finally:
        server.stop()


def _analyzer(config: Config):
    from crawler.analysis.analyzer import Analyzer
    from scheduler.config import read_analysis_data

    try:
        speakers, topics = read_analysis_data(config.analysis)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    return Analyzer.from_data(speakers, topics, config.analysis.topic_threshold)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per report.")
@click.option("--language", type=click.Choice(["ru", "uk", "en"]), help="Default: detected.")
@click.option(
    "--date",
    "when",
    help="Publication date (YYYY-MM-DD) for roles; default: found "
    "in the page, else a leading 'date YYYY-MM-DD' line, else today.",
)
@click.pass_obj
def analyze(
    obj: Context, file: Path, as_json: bool, language: str | None, when: str | None
) -> None:
    """Print the attributed statements of one HTML or text FILE (for tuning)."""
    from scheduler.evaluation.analyze_file import read_article

    analyzer = _analyzer(obj.config())
    try:
        article = read_article(file, language=language, when=when)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    reports = analyzer.analyze(article.text, language=article.language, published=article.date)
    if as_json:
        for report in reports:
            click.echo(json_line(report.to_json()))
        return
    click.echo(f"{file.name}: {article.language}, {article.date}, {len(reports)} reports")
    rows = [
        (
            r.speaker,
            r.speaker_as_written[:24],
            r.kind,
            "recap" if r.recap else "",
            "yes" if r.about_peace_talks else "",
            f"{r.topic_score:g}",
            r.text[:70],
        )
        for r in reports
    ]
    click.echo(table(("speaker", "as written", "kind", "recap", "peace", "score", "text"), rows))


@cli.command(name="eval")
@click.option("--json", "as_json", is_flag=True, help="Scores as one JSON object.")
@click.option("--errors", is_flag=True, help="Also list every disagreement with the labels.")
@click.option(
    "--devset",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Labelled articles (default: seeds/devset).",
)
@click.pass_obj
def evaluate_command(obj: Context, as_json: bool, errors: bool, devset: Path | None) -> None:
    """Score statement, speaker and topic analysis on the labelled dev set."""
    from crawler.analysis.encoder import SentenceEncoder
    from scheduler.config import ARCHIVE_DIR
    from scheduler.cycle import diff_params
    from scheduler.demo.articles import load_archive
    from scheduler.evaluation.clusters import (
        archive_docs,
        cluster_rows,
        devset_docs,
        evaluate_clusters,
    )
    from scheduler.evaluation.devset import evaluate, load_devset, score_rows

    config = obj.config()
    analyzer = _analyzer(config)
    articles = load_devset(devset or config.analysis.devset_path)
    if not articles:
        raise click.UsageError("the dev set is empty")
    result = evaluate(analyzer, articles)
    summary = result.summary()
    encoder = SentenceEncoder() if config.diff.encoder else None
    clusters = evaluate_clusters(analyzer, devset_docs(articles), diff_params(config), encoder)
    summary["clusters"] = clusters.summary()
    archive = evaluate_clusters(
        analyzer, archive_docs(load_archive(ARCHIVE_DIR)), diff_params(config), encoder
    )
    summary["archive_clusters"] = archive.summary()
    if as_json:
        if errors:
            summary["errors"] = result.errors + clusters.errors
        click.echo(json_line(summary))
        return
    click.echo(f"dev set: {summary['articles']} articles {summary['by_language']}")
    click.echo(table(("measure", "precision", "recall", "F1 / accuracy"), score_rows(summary)))
    click.echo()
    click.echo("statement clusters (the diff), dev set | demo archive:")
    rows = zip(
        cluster_rows(summary["clusters"]), cluster_rows(summary["archive_clusters"]), strict=True
    )
    click.echo(table(("measure", "dev set", "archive"), [(a[0], a[1], b[1]) for a, b in rows]))
    if errors:
        for error in result.errors + clusters.errors:
            click.echo(json_line(error))


def _open_existing_db(config: Config):
    from storage.db import open_db

    if not config.storage_path.exists():
        raise click.ClickException(
            f"no database at {config.storage_path}: run `peacewatch run` or `peacewatch demo` first"
        )
    try:
        return open_db(config.storage_path)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


def _since(value: str | None) -> str | None:
    if value is None:
        return None
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD or ISO time)") from exc
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds")


@cli.command()
@click.option(
    "--new",
    is_flag=True,
    help="Only peace-talk statements not alerted yet or alerted by the last run.",
)
@click.option("--speaker", help="Speaker name (canonical or as written; part of it is enough).")
@click.option("--since", help="Said on or after this date (YYYY-MM-DD or ISO time, UTC).")
@click.option("--search", help="Full-text search in the statement's words (any language).")
@click.option("--peace", "peace_only", is_flag=True, help="Only statements about peace talks.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per statement.")
@click.pass_obj
def statements(
    obj: Context,
    new: bool,
    speaker: str | None,
    since: str | None,
    search: str | None,
    peace_only: bool,
    limit: int,
    as_json: bool,
) -> None:
    """List statements, newest first."""
    from storage.statements import StatementFilter, list_statements

    db = _open_existing_db(obj.config())
    try:
        rows = list_statements(
            db,
            StatementFilter(
                new=new,
                speaker=speaker,
                since=_since(since),
                search=search,
                peace_only=peace_only,
                limit=limit,
            ),
        )
    finally:
        db.close()
    if as_json:
        for row in rows:
            click.echo(json_line(row))
        return
    click.echo(
        table(
            ("id", "said (UTC)", "speaker", "lang", "outlets", "peace", "alerted", "text"),
            [
                (
                    r["id"],
                    r["said_at"][:16].replace("T", " "),
                    r["speaker"],
                    r["language"],
                    r["outlet_count"],
                    "yes" if r["about_peace_talks"] else "",
                    {True: "yes", False: "pending", None: ""}[r["alerted"]],
                    shorten(r["text"], 70),
                )
                for r in rows
            ],
        )
    )


@cli.command()
@click.argument("statement_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="The statement and its reports as JSON.")
@click.pass_obj
def show(obj: Context, statement_id: int, as_json: bool) -> None:
    """One statement with every report of it and why each joined."""
    from storage.statements import get_statement

    db = _open_existing_db(obj.config())
    try:
        statement = get_statement(db, statement_id)
    finally:
        db.close()
    if statement is None:
        raise click.ClickException(f"no statement {statement_id}")
    if as_json:
        click.echo(json_line(statement))
        return
    click.echo(
        f"statement {statement['id']}: {statement['speaker']} "
        f"(as written: {statement['speaker_as_written']})"
    )
    click.echo(f"  {statement['text']}")
    click.echo(
        f"  said {statement['said_at']}, {statement['kind']}, {statement['language']}; "
        f"{statement['report_count']} reports in {statement['outlet_count']} outlets "
        f"({', '.join(statement['languages'])}); about peace talks: "
        f"{'yes' if statement['about_peace_talks'] else 'no'}"
        + ("; first seen through a recap" if statement["first_seen_via_recap"] else "")
    )
    click.echo(f"  first: {statement['first_outlet']} {statement['first_url']}")
    if statement["topic_terms"]:
        click.echo(
            f"  terms: {', '.join(statement['topic_terms'])} (score {statement['topic_score']})"
        )
    for alert in statement["alerts"]:
        click.echo(
            f"  alert {alert['channel']}: {alert['status']}"
            + (f" ({alert['last_error']})" if alert["last_error"] else "")
        )
    rows = []
    for r in statement["reports"]:
        why = r["why"]
        if why.get("decision") == "joined":
            parts = ", ".join(f"{k} {v}" for k, v in why.get("parts", {}).items())
            reason = f"joined, score {why['score']} ({parts})"
        else:
            reason = f"created it ({why.get('candidates', 0)} candidates)"
        rows.append(
            (
                r["outlet"],
                r["language"],
                r["published"][:16].replace("T", " "),
                r["kind"],
                "recap" if r["recap"] else "",
                reason,
                r["url"],
            )
        )
    click.echo(table(("outlet", "lang", "published", "kind", "recap", "why", "url"), rows))


def _wait_for_stop() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
