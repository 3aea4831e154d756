"""``deploy``: the crawler egg to the scrapyd servers of ``[crawl] scrapyd_urls`` (DESIGN §11)."""

from __future__ import annotations

import click

from scheduler.cli.app import Context
from scheduler.output import json_line


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per server.")
@click.pass_obj
def deploy(obj: Context, as_json: bool) -> None:
    """Build the crawler as a scrapyd project (egg) and upload it to every server in
    [crawl] scrapyd_urls; exit 3 if any server did not take it. The egg's version names this
    node's code: a cycle runs only on servers holding the same version."""
    from scheduler.scrapyd.deploy import deploy as upload
    from scheduler.scrapyd.deploy import servers_of

    config = obj.config()
    if not config.crawl.scrapyd_urls:
        raise click.UsageError("no scrapyd server: set [crawl] scrapyd_urls in the config")
    results = upload(servers_of(config.crawl), config.crawl.scrapyd_project)
    for result in results:
        if as_json:
            click.echo(json_line(result.to_json()))
        else:
            state = "ok" if result.ok else "FAILED"
            click.echo(f"{result.server}: {state}: {result.version}: {result.message}")
    if not all(result.ok for result in results):
        raise SystemExit(3)


COMMANDS = (deploy,)
