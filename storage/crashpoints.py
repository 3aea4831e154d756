"""A test hook: kill this process at a named point of the pipeline, as ``kill -9`` would.

Used by the fault-injection tests (DESIGN §10) to check that a crash anywhere leaves the store
consistent and the next run finishes the work. Off unless ``[testing] crash_at`` names points;
the CLI configures it once at process start and the crawl subprocess from its job. The points:

- ``after-fetch``: an article was fetched and analysed, nothing of it stored yet;
- ``mid-insert``: the article row is inserted, its reports are not (transaction open);
- ``after-commit``: the article and its reports are committed, the crawl's stats not updated;
- ``between-accept-and-sent``: the channel (SMTP server) accepted an alert, the outbox has not
  marked it sent (the one duplicate the outbox allows, with the same Message-ID).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

CRASH_POINTS = ("after-fetch", "mid-insert", "after-commit", "between-accept-and-sent")
#: The exit status of a process killed at a crash point (EX_SOFTWARE).
CRASH_EXIT_CODE = 70

_armed: frozenset[str] = frozenset()


def parse_crash_points(value: str | Iterable[str]) -> frozenset[str]:
    """``"a, b"`` or a list of names → the set; unknown names are a ValueError."""
    names = value.split(",") if isinstance(value, str) else list(value)
    points = frozenset(name.strip() for name in names if name.strip())
    unknown = sorted(points - set(CRASH_POINTS))
    if unknown:
        raise ValueError(
            f"unknown crash point(s) {', '.join(unknown)} (one of {', '.join(CRASH_POINTS)})"
        )
    return points


def configure(value: str | Iterable[str]) -> None:
    """Arm the named points for this process (``""``: none)."""
    global _armed
    _armed = parse_crash_points(value)


def crash_point(name: str) -> None:
    """Exit at once, without cleanup (no rollback, no flush, no atexit), if ``name`` is armed."""
    if name in _armed:
        sys.stderr.write(f"peacewatch: crash point {name} reached; exiting\n")
        sys.stderr.flush()
        os._exit(CRASH_EXIT_CODE)
