"""The log channel: one JSON object a line, to a file and/or stderr.

A line is accepted once it is written and flushed to the file (fsync), so a crash right after
cannot lose an alert that the outbox already marked sent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from storage.text import safe_data


def alert_line(payload: dict[str, Any]) -> str:
    """One JSON object, with no control or bidi-control character in any of its strings."""
    return json.dumps(safe_data(payload), ensure_ascii=False, sort_keys=True)


def write_alerts(
    payloads: Sequence[dict[str, Any]], path: Path | None, stderr: TextIO | None = None
) -> None:
    """Append the alerts; raises OSError when the file cannot take them (full disk, …)."""
    lines = "".join(alert_line(p) + "\n" for p in payloads)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())
    if stderr is not None:
        stderr.write(lines)
        stderr.flush()
