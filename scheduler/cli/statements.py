"""Reading the store: ``statements`` (list, search, filter) and ``show`` (one statement)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from scheduler.cli.app import Context, InputError, echo_rows, read_store
from scheduler.cli.render import statement_detail, statements_table
from scheduler.output import json_line

#: SQLite's largest integer: an id beyond it cannot exist (and cannot be bound)
SQLITE_MAX_INTEGER = 2**63 - 1


def _since(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
        if when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError) as exc:  # OverflowError: before year 1 or after 9999 in UTC
        raise click.BadParameter(
            f"{value!r} is not a date between 0001-01-01 and 9999-12-31 (YYYY-MM-DD or ISO time)",
            param_hint="'--since'",
        ) from exc
    return when.isoformat(timespec="seconds")


@click.command()
@click.option(
    "--new",
    is_flag=True,
    help="Only peace-talk statements not alerted yet or alerted by the last run.",
)
@click.option(
    "--speaker",
    help="Speaker name in any language or case the gazetteer knows (Песков = Пєсков = Peskov); "
    "a name it does not know: part of the name as written.",
)
@click.option("--since", help="Said on or after this date (YYYY-MM-DD or ISO time, UTC).")
@click.option(
    "--search",
    help="Words of the statement, in any case form (Женева finds Женеве), or its speaker's "
    "name in any language.",
)
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

    rows = read_store(
        obj.config(),
        lambda db: list_statements(
            db,
            StatementFilter(
                new=new,
                speaker=speaker,
                since=_since(since),  # read after the database is found, as before
                search=search,
                peace_only=peace_only,
                limit=limit,
            ),
        ),
    )
    echo_rows(rows, as_json, statements_table)


@click.command()
@click.argument("statement_id", type=click.IntRange(1, SQLITE_MAX_INTEGER))
@click.option("--json", "as_json", is_flag=True, help="The statement and its reports as JSON.")
@click.pass_obj
def show(obj: Context, statement_id: int, as_json: bool) -> None:
    """One statement with every report of it and why each joined."""
    from storage.statements import get_statement

    statement = read_store(obj.config(), lambda db: get_statement(db, statement_id))
    if statement is None:
        raise InputError(f"no statement {statement_id}")
    click.echo(json_line(statement) if as_json else statement_detail(statement))


COMMANDS = (statements, show)
