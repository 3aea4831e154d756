"""``ui``: the reader's web view over the store (DESIGN §7), read-only, on 127.0.0.1."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from scheduler.cli.app import Context, read_store


@click.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Database to show (default: the config's).",
)
@click.option("--demo", is_flag=True, help="Show the demo's database (what `demo` wrote).")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The view has no login: keep it on loopback, or put it behind a "
    "proxy that has one.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.pass_obj
def ui(obj: Context, db_path: Path | None, demo: bool, host: str, port: int) -> None:
    """Serve the web view: new statements by occasion, speakers, days, search in any word
    form, sources and the outbox, a chart; Datasette's table browser beside them."""
    from scheduler.config import default_demo_database
    from scheduler.ui.server import serve

    config = obj.config()
    if demo:
        db_path = default_demo_database()
    if db_path is not None:
        config = dataclasses.replace(config, storage_path=db_path)
    read_store(config, lambda db: None)  # a clear error for a missing or unreadable store
    click.echo(f"peacewatch: {config.storage_path} on http://{host}:{port}/ (Ctrl-C stops)")
    serve(config.storage_path, host, port)


COMMANDS = (ui,)
