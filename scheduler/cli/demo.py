"""``demo``: the whole pipeline against the bundled offline archive on a loopback server."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli.app import store_error
from scheduler.cli.render import echo_alerts, echo_cycle
from storage.db import StoreError


@click.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="Database the demo writes to, its config, feed and log beside it (default: "
    "data/demo/peacewatch.db in a checkout of the project, else demo/peacewatch.db in your "
    "data directory: apart from your own database).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
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
    type=click.IntRange(min=1),
    default=None,
    help="With --serve: which archive day to serve (default: the last).",
)
def demo(db_path: str | None, port: int, serve: bool, day: int | None) -> None:
    """Crawl the bundled offline archive on a loopback server, day 1 then day 2."""
    from scheduler.config import default_demo_database
    from scheduler.demo.steps import crawl_days, demo_config, start_archive, wait_for_stop

    storage_path = Path(db_path) if db_path else default_demo_database()
    demo_dir = storage_path.parent
    server = start_archive(port=port, day=1)
    site = server.site
    try:
        try:
            config = demo_config(site, demo_dir, storage_path)
        except OSError as exc:  # its folder cannot be written, as for the database itself
            store_error(StoreError(f"cannot write the demo's files in {demo_dir}: {exc}"))
        if serve:
            site.day = day or site.max_day
            config_file = demo_dir / "peacewatch.toml"
            click.echo(
                f"serving the archive (day {site.day}) on "
                f"{', '.join(sorted(site.base_urls.values()))}"
            )
            click.echo(f"config: {config_file}")
            click.echo(f"try:    peacewatch --config {config_file} run")
            click.echo(f"   or:  peacewatch --config {config_file} daemon -v")
            click.echo("stop with Ctrl-C")
            wait_for_stop()
            return
        try:
            for current, report in crawl_days(site, config):
                echo_cycle(report, f"day {current}")
                echo_alerts(report)
                click.echo()
        except StoreError as exc:
            store_error(exc)
        click.echo(f"database: {storage_path}  (explore it with sqlite3 or Datasette)")
    finally:
        server.stop()


COMMANDS = (demo,)
