"""``alerts test CHANNEL`` and ``alerts retry``: the outbox in reach (DESIGN §7)."""

from __future__ import annotations

import click

from scheduler.cli.app import Context, open_existing_db, store_error
from scheduler.config import ALERT_CHANNELS
from scheduler.output import json_line
from storage.db import StoreError


@click.group()
def alerts() -> None:
    """Check a channel, or put failed alerts back in the outbox."""


@alerts.command("test")
@click.argument("channel", type=click.Choice(ALERT_CHANNELS))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per recipient.")
@click.pass_obj
def test_channel(obj: Context, channel: str, as_json: bool) -> None:
    """Send one test message on CHANNEL now (outside the outbox); exit 3 if any recipient
    did not get it."""
    from scheduler.alerts.probe import send_test

    outcome = send_test(channel, obj.config().alerts)
    for recipient, result in outcome:
        if as_json:
            click.echo(json_line({"channel": channel, "recipient": recipient, "result": result}))
        else:
            click.echo(f"{channel}: {recipient}: {result}")
    if any(result != "ok" for _, result in outcome):
        raise SystemExit(3)


@alerts.command("retry")
@click.option("--channel", type=click.Choice(ALERT_CHANNELS), help="Only this channel's.")
@click.option("--json", "as_json", is_flag=True, help="The count as a JSON object.")
@click.pass_obj
def retry(obj: Context, channel: str | None, as_json: bool) -> None:
    """Put failed alerts back as pending, due now; the next run or daemon delivery sends them."""
    from storage.db import open_db
    from storage.outbox import retry_failed

    config = obj.config()
    open_existing_db(config).close()  # a clear error when there is no store yet
    try:
        db = open_db(config.storage_path)
    except StoreError as exc:
        store_error(exc)
    try:
        count = retry_failed(db, channel)
    finally:
        db.close()
    if as_json:
        click.echo(json_line({"channel": channel, "alerts_put_back": count}))
    else:
        click.echo(
            f"{count} failed alert(s) put back as pending" + (f" ({channel})" if channel else "")
        )


COMMANDS = (alerts,)
