"""The ``peacewatch`` command line: one small module per group of commands, each command a few
lines over library functions (DESIGN §6)."""

from scheduler.cli.alerts import COMMANDS as ALERT_COMMANDS
from scheduler.cli.analysis import COMMANDS as ANALYSIS_COMMANDS
from scheduler.cli.app import EXIT_ALL_SOURCES_FAILED, cli
from scheduler.cli.crawl import COMMANDS as CRAWL_COMMANDS
from scheduler.cli.demo import COMMANDS as DEMO_COMMANDS
from scheduler.cli.deploy import COMMANDS as DEPLOY_COMMANDS
from scheduler.cli.setup import COMMANDS as SETUP_COMMANDS
from scheduler.cli.statements import COMMANDS as STATEMENT_COMMANDS
from scheduler.cli.ui import COMMANDS as UI_COMMANDS

for _command in (
    CRAWL_COMMANDS
    + STATEMENT_COMMANDS
    + ANALYSIS_COMMANDS
    + DEMO_COMMANDS
    + SETUP_COMMANDS
    + UI_COMMANDS
    + ALERT_COMMANDS
    + DEPLOY_COMMANDS
):
    cli.add_command(_command)

__all__ = ["EXIT_ALL_SOURCES_FAILED", "cli", "main"]


def main() -> None:
    cli()
