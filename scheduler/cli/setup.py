"""Setting up: ``init`` (a commented starter config) and ``config path`` (where files are)."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli.app import Context, InputError
from scheduler.output import json_line


@click.command()
@click.option(
    "--path",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it (default: peacewatch.toml in your config directory).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--json", "as_json", is_flag=True, help="The file written, as a JSON object.")
def init(target: Path | None, force: bool, as_json: bool) -> None:
    """Write a commented starter config (database, alert log and feed in your data directory)."""
    from scheduler.config import starter_config, user_config_file

    target = target or user_config_file()
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists; use --force to overwrite it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(starter_config(), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    click.echo(json_line({"config": str(target)}) if as_json else f"wrote {target}")


@click.group(name="config")
def config_group() -> None:
    """Where peacewatch reads its configuration and keeps its data."""


@config_group.command(name="path")
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
@click.pass_obj
def config_path(obj: Context, as_json: bool) -> None:
    """Print the config file in use, the data files and the shipped data."""
    from scheduler.config import locations

    config = obj.config()
    found = locations(config)
    if as_json:
        click.echo(json_line({key: str(value) if value else None for key, value in found.items()}))
        return
    width = max(len(key) for key in found)
    for key, value in found.items():
        shown = value if value else "(none: built-in defaults)" if key == "config" else "(off)"
        click.echo(f"{key.replace('_', ' '):<{width}}  {shown}")


COMMANDS = (init, config_group)
