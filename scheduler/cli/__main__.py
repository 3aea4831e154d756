"""``python -m scheduler.cli``: the command line, as the ``peacewatch`` script runs it."""

from scheduler.cli import main

main()
