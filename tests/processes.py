"""Processes as Linux's /proc shows them, for the suite's leftover-process check and the orphan
tests (psutil is not a dependency): the descendants of a process, whether one is still alive,
its command line.

A process is known by its pid *and* its start time, so a pid the kernel reused is not taken for
the process that had it before. Zombies (exited, not yet reaped) count as gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
#: prctl(2): orphans of this process's descendants are re-parented to it, not to init.
PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Proc:
    pid: int
    started: int  # clock ticks after boot (field 22 of /proc/PID/stat)

    def command(self) -> str:
        try:
            raw = (PROC / str(self.pid) / "cmdline").read_bytes()
        except OSError:
            return "?"
        return raw.replace(b"\0", b" ").decode(errors="replace").strip() or "?"


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(ppid, state, start time) of a process, None when there is none."""
    try:
        data = (PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    fields = data.rpartition(b")")[2].split()  # the command name may hold spaces and ")"
    return int(fields[1]), fields[0].decode(), int(fields[19])


def _table() -> dict[int, tuple[int, str, int]]:
    table = {}
    for entry in os.listdir(PROC):
        if entry.isdigit() and (found := _stat(int(entry))) is not None:
            table[int(entry)] = found
    return table


def living_descendants(root: int | None = None) -> set[Proc]:
    """Every process below ``root`` (default: this one), zombies left out."""
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    table = _table()
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: set[Proc] = set()
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        _, state, started = table[pid]
        if state not in "ZX":
            found.add(Proc(pid, started))
    return found


def is_alive(proc: Proc) -> bool:
    found = _stat(proc.pid)
    return found is not None and found[2] == proc.started and found[1] not in "ZX"


def children_of(pid: int) -> set[Proc]:
    return {p for p in living_descendants(pid) if (_stat(p.pid) or (0,))[0] == pid}


def wait_gone(procs: Iterable[Proc], timeout: float) -> set[Proc]:
    """Wait up to ``timeout`` seconds for the processes to end; those still alive."""
    left = set(procs)
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = {p for p in left if is_alive(p)}
    return left


def reap_zombies(keep: Iterable[Proc] = ()) -> None:
    """Reap this process's exited children that no one else waits for: orphans re-parented
    to it (see ``become_subreaper``) and children of finished tests. Those in ``keep`` (a
    fixture's ``Popen`` may still wait for them) are left alone."""
    me, kept = os.getpid(), set(keep)
    for pid, (ppid, state, started) in _table().items():
        if ppid == me and state == "Z" and Proc(pid, started) not in kept:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


def kill(procs: Iterable[Proc]) -> None:
    for proc in procs:
        if is_alive(proc):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)


def become_subreaper() -> bool:
    """Make orphans of our descendants ours (Linux): a worker whose crawl died stays countable."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def describe(procs: Iterable[Proc]) -> str:
    return "; ".join(
        f"pid {p.pid}: {p.command()[:160]}" for p in sorted(procs, key=lambda p: p.pid)
    )
