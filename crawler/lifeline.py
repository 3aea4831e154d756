"""A child process dies with its parent: the crawl with the ``run`` or daemon that started it,
the analysis worker with its crawl.

The crawl runs in its own session, so a signal to the scheduler's process group never reaches
it, and a scheduler killed by ``kill -9`` cannot stop it: without this it crawls on outside the
run lock, beside the next run, and a hanging one lives forever. The worker of a dead crawl
would wait on its task queue for good (CPython hands it both ends of the queue's pipe, so the
pipe never reports end of file).

Two ways, both in the child: on Linux the kernel sends SIGKILL when the parent ends
(``prctl(PR_SET_PDEATHSIG)``); everywhere a daemon thread checks once a second that the parent
is still the one that started it (an orphan is re-parented, so its parent pid changes). The
child checks once at start too, in case the parent ended before it could ask. SIGKILL, not
SIGTERM: a crawl asked to stop waits for its downloads, and with nobody to enforce its
timeout a hanging one would never end. Nothing is lost by it: every article is committed in
its own transaction, and the next run closes the dead run as interrupted and reads the
sources' feeds in full.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

#: prctl(2) option: the signal this process gets when its parent ends.
PR_SET_PDEATHSIG = 1
#: How often the watch thread looks at the parent pid.
WATCH_SECONDS = 1.0


def _ask_kernel() -> bool:
    """Linux: SIGKILL when the parent ends. False where prctl is not there."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _orphaned(parent_pid: int) -> bool:
    return os.getppid() != parent_pid


def _end() -> None:
    """End at once, as the kernel's SIGKILL would: no cleanup, no flush."""
    os.kill(os.getpid(), signal.SIGKILL)


def _watch(parent_pid: int, every: float) -> None:
    while not _orphaned(parent_pid):
        time.sleep(every)
    _end()


def die_with_parent(parent_pid: int, *, every: float = WATCH_SECONDS) -> None:
    """Tie this process's life to ``parent_pid`` (0: do nothing). Ends it at once when that
    process is gone already."""
    if parent_pid <= 0:
        return
    _ask_kernel()
    if _orphaned(parent_pid):
        _end()
    threading.Thread(
        target=_watch, args=(parent_pid, every), name="die-with-parent", daemon=True
    ).start()
