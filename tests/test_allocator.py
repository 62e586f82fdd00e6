"""The booth gives freed memory back to the system over a day (glibc's allocator tuned and trimmed)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from workshop_kit.booth import allocator

glibc_only = pytest.mark.skipif(allocator.glibc() is None, reason="the C library is not glibc")

# Fragments a worker thread's arena as a piece does (many mid-sized arrays, a few kept), then trims.
_FRAGMENT = r"""
import json, threading
import numpy as np, psutil
from workshop_kit.booth import allocator

tuned = allocator.tune()
kept = []

def piece():
    blocks = [np.ones(8192) for _ in range(3000)]  # 64 kB each, 192 MB in all: below the mmap threshold
    kept.extend(blocks[::50])                         # a few stay alive, pinning the pages between the rest
    del blocks

worker = threading.Thread(target=piece)
worker.start()
worker.join()
before = psutil.Process().memory_info().rss
gave = allocator.trim()
after = psutil.Process().memory_info().rss
print(json.dumps({"tuned": tuned, "gave": gave, "before": before, "after": after}))
"""


@glibc_only
def test_trim_gives_a_fragmented_arena_back_to_the_system():
    done = subprocess.run([sys.executable, "-c", _FRAGMENT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["tuned"] and figures["gave"]
    assert figures["before"] - figures["after"] > 100 * 2**20, figures  # most of the 188 MB freed goes back


@glibc_only
def test_the_trimmer_trims_after_pieces_and_never_while_idle():
    trimmer = allocator.Trimmer(every=0.05).start()
    try:
        time.sleep(0.2)
        assert trimmer.rounds == 0  # nothing made, nothing done
        trimmer.made()
        trimmer.made()
        deadline = time.time() + 5
        while trimmer.rounds == 0 and time.time() < deadline:
            time.sleep(0.01)
        assert trimmer.rounds == 1 and not trimmer.due
        time.sleep(0.3)
        assert trimmer.rounds == 1  # idle again
    finally:
        trimmer.stop()


def test_every_booth_call_marks_the_trimmer_even_when_it_fails():
    import gradio as gr

    from workshop_kit.booth.common import call
    from workshop_kit.errors import ParameterError

    allocator.TRIMMER._pending.clear()
    assert call("fr", lambda: 42) == 42 and allocator.TRIMMER.due
    allocator.TRIMMER._pending.clear()

    def refused():
        raise ParameterError("bars", 99, "1 to 16")

    with pytest.raises(gr.Error):
        call("fr", refused)
    assert allocator.TRIMMER.due
