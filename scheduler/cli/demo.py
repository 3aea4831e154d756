"""``demo``: the whole pipeline against the bundled offline archive on a loopback server."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli.app import store_error
from scheduler.cli.render import cycle_record, echo_alerts, echo_cycle
from scheduler.config import in_checkout
from scheduler.output import json_line
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
@click.option("-v", "--verbose", is_flag=True, help="Print every alert each day raised.")
@click.option(
    "--json", "as_json", is_flag=True, help="Each day's cycle, then the summary, as JSON lines."
)
def demo(
    db_path: str | None, port: int, serve: bool, day: int | None, verbose: bool, as_json: bool
) -> None:
    """Crawl the bundled offline archive on a loopback server, day 1 then day 2, and sum up
    (every statement stays in `statements` and the web view)."""
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
                if as_json:
                    click.echo(json_line({"day": current, **cycle_record(report)}))
                    continue
                echo_cycle(report, f"day {current}")
                echo_alerts(report, every=verbose)
                click.echo()
        except StoreError as exc:
            store_error(exc)
        _summary(storage_path, demo_dir / "peacewatch.toml", as_json)
    finally:
        server.stop()


def _summary(storage_path: Path, config_file: Path, as_json: bool) -> None:
    """Alerts per day, the seed's statement, and where to look next."""
    from scheduler.demo.steps import demo_summary
    from storage.db import open_db_readonly

    db = open_db_readonly(storage_path)
    try:
        summary = demo_summary(db)
    finally:
        db.close()
    if as_json:
        click.echo(json_line({"summary": summary, "database": str(storage_path)}))
        return
    days = ", ".join(
        f"day {n}: {r['statements']}" + (f" (+{r['updates']} update)" if r["updates"] else "")
        for n, r in enumerate(summary["alerts_per_run"], 1)
    )
    total = sum(r["statements"] for r in summary["alerts_per_run"])
    click.echo(f"summary: {total} alerts, one per speaker and occasion ({days})")
    seed = summary["seed_statement"]
    if seed is not None:
        click.echo(
            f"the seed's statement: {seed['speaker']} on {seed['said_on']}, one alert for "
            f"{seed['report_count']} reports in {seed['outlet_count']} outlets "
            f"({', '.join(seed['languages'])}): statement {seed['id']}"
        )
    pw = "peacewatch" if not in_checkout() else ".venv/bin/peacewatch"
    click.echo(f"every statement:  {pw} --config {config_file} statements --peace")
    if seed is not None:
        click.echo(f"the seed's:       {pw} --config {config_file} show {seed['id']}")
    click.echo(f"the web view:     {pw} ui --db {storage_path}   (http://127.0.0.1:8001/)")


COMMANDS = (demo,)
