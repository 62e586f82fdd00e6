"""Keeping a day-long booth's memory flat: the C allocator told to give freed memory back to the system.

Python, NumPy and the engines free every piece's arrays once it is made, but glibc's ``malloc`` keeps the freed
pages for later: each worker thread of the web server gets an arena of its own (up to eight per core), each arena
grows in heaps of 64 MB, and after a large block is freed glibc raises its threshold for handing blocks straight
to the system, so later large arrays land in those heaps and leave holes. The booth's size then climbs in steps
over the day though nothing leaks.

:func:`tune` caps the arenas and fixes the large-block threshold, once, before the server's threads start;
:class:`Trimmer` returns the free pages of every arena to the system (``malloc_trim``) after the booth has made
pieces, from a thread of its own, at most every few seconds. Elsewhere than glibc (macOS, Windows, musl) both do
nothing and say so: their allocators give memory back on their own terms.

>>> from workshop_kit.booth.allocator import Trimmer
>>> trimmer = Trimmer(every=0.5)
>>> trimmer.due, trimmer.rounds
(False, 0)
>>> trimmer.made()                      # a piece was made: the next round gives memory back
>>> trimmer.due
True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import sys
import threading
from dataclasses import dataclass, field

__all__ = ["ARENAS", "MMAP_THRESHOLD", "TRIMMER", "Trimmer", "glibc", "trim", "tune"]

logger = logging.getLogger("workshop_kit.booth")

ARENAS = 2
"""Malloc arenas the booth's process keeps (glibc's default is eight per core: 128 on a 16-core kiosk)."""

MMAP_THRESHOLD = 1 << 20
"""Blocks from 1 MiB up (a sound, a picture, a mesh's arrays) are mapped on their own and unmapped when freed."""

# mallopt's parameter numbers, from glibc's <malloc.h>
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


@functools.cache
def glibc() -> ctypes.CDLL | None:
    """The running process's glibc, or ``None`` where the C library is another one (or cannot be asked)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        version = ctypes.CFUNCTYPE(ctypes.c_char_p)(("gnu_get_libc_version", libc))
        version()
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def tune(arenas: int = ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """Cap glibc's arenas and fix its large-block threshold; ``True`` if glibc took both, ``False`` elsewhere.

    Call it before the server starts its threads: arenas already made stay. Fixing the mmap threshold also stops
    glibc raising it after each large free, and sets the trim threshold (free memory kept at a heap's top) to
    twice its value."""
    libc = glibc()
    if libc is None:
        return False
    done = bool(libc.mallopt(_M_ARENA_MAX, int(arenas))) and bool(libc.mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)))
    done = done and bool(libc.mallopt(_M_TRIM_THRESHOLD, 2 * int(mmap_threshold)))
    logger.info("allocator: %s arenas, blocks from %d bytes mapped alone (%s)", arenas, mmap_threshold,
                "set" if done else "refused")
    return done


def trim() -> bool:
    """Give the free pages of every arena back to the system; ``True`` if some memory went back, ``False`` if none
    did or the C library is not glibc."""
    libc = glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


@dataclass
class Trimmer:
    """Gives memory back (:func:`trim`) after pieces are made: :meth:`made` marks one, a thread of its own trims at
    most once every ``every`` seconds while pieces come, and never while the booth is idle."""

    every: float = 2.0
    rounds: int = 0
    _pending: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def made(self) -> None:
        """A piece was made and its arrays freed: trim at the next round."""
        self._pending.set()

    @property
    def due(self) -> bool:
        """Whether pieces were made since the last round."""
        return self._pending.is_set()

    def start(self) -> Trimmer:
        """Start the thread (once); returns the trimmer, so ``Trimmer().start()`` reads as one line."""
        if self._thread is None and glibc() is not None:
            self._thread = threading.Thread(target=self._run, name="workshop-kit-trim", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._pending.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._pending.wait()
            if self._stop.is_set():
                return
            self._pending.clear()
            trim()
            self.rounds += 1
            self._stop.wait(self.every)


TRIMMER = Trimmer()
"""The booth's trimmer: :func:`workshop_kit.booth.common.call` marks each piece, the server starts its thread."""
