"""The ``peacewatch`` command line: a thin layer over config, cycle and demo.

Exit codes: 0 ok (some sources may have failed), 2 usage or configuration error,
3 every source failed, 1 an unexpected error.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from scheduler.config import Config, ConfigError, config_path_from_environment, load_config
from scheduler.cycle import CycleReport, run_cycle
from scheduler.output import run_table
from storage.db import StoreError

EXIT_ALL_SOURCES_FAILED = 3


class Context:
    def __init__(self, config_option: str | None) -> None:
        self.config_option = config_option

    def config(self) -> Config:
        try:
            return load_config(config_path_from_environment(self.config_option))
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from exc


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


@cli.command()
@click.option("--source", "source_ids", multiple=True, help="Crawl only this source (repeatable).")
@click.pass_obj
def run(obj: Context, source_ids: tuple[str, ...]) -> None:
    """Run one cycle over the enabled sources and exit (for cron)."""
    config = obj.config()
    sources = config.enabled_sources
    if source_ids:
        known = {s.id: s for s in config.sources}
        missing = [s for s in source_ids if s not in known]
        if missing:
            raise click.UsageError(f"unknown source(s): {', '.join(missing)}")
        sources = [known[s] for s in source_ids]
    if not sources:
        raise click.UsageError("no enabled sources in the registry")
    try:
        report = run_cycle(config, sources=sources, trigger="run")
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_cycle(report, "cycle")
    if report.all_failed:
        click.echo("error: every source failed", err=True)
        sys.exit(EXIT_ALL_SOURCES_FAILED)


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
    from scheduler.demo import demo_config, start_archive

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
            click.echo()
        click.echo(f"database: {storage_path}  (explore it with sqlite3 or Datasette)")
    finally:
        server.stop()


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
