"""``python -m scheduler.cli``: the command line, as the ``peacewatch`` script runs it."""

from scheduler.cli.app import main

main()
