"""The ``peacewatch`` command line."""

from scheduler.cli.app import EXIT_ALL_SOURCES_FAILED, cli, main

__all__ = ["EXIT_ALL_SOURCES_FAILED", "cli", "main"]
