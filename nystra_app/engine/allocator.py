"""Keep freed memory in the process during a restore, so the kernel is not asked for it again.

Why: a model's activations at full resolution are tens to hundreds of MB each. glibc's malloc
serves blocks above its mmap threshold (at most 32 MB) with a fresh `mmap` and returns them with
`munmap` on free, and trims the heap top above its trim threshold. Every such block is therefore
page-faulted in and zeroed by the kernel again on every layer of every tile: a 12 MP DehazeFormer-T
restore took ~98 million minor faults and spent more CPU time in the kernel than in arithmetic.
With mmap off and trimming off, freed blocks stay in the heap and the next layer reuses them; the
peak is unchanged (the same blocks are live at once), and `release_freed_memory` hands the heap back
after the restore. Elsewhere than glibc (macOS, Windows, musl) these calls do nothing.

A restore on another thread than the main one (the app's worker) allocates from that thread's own arena,
whose heaps are at most 64 MB and are unmapped whenever they empty, whatever the trim threshold: three
times the faults of the same restore on the main thread. `share_one_arena` makes every thread use the
main heap; it must run before that thread first allocates (the app does it at start).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8
_TRIM_ABOVE = 2**31 - 1  # bytes of free heap top kept: the most mallopt's int takes (2 GiB)


@cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()  # only glibc has it; musl raises AttributeError
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
        return libc
    except (OSError, AttributeError):
        return None


def retain_freed_memory() -> bool:
    """Make malloc keep large freed blocks for reuse (process-wide, idempotent); True where it applies."""
    libc = _glibc()
    if libc is None:
        return False
    ok = libc.mallopt(_M_MMAP_MAX, 0) == 1
    return ok and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_ABOVE) == 1


def share_one_arena() -> bool:
    """Make every thread allocate from the main heap (M_ARENA_MAX = 1); True where it applies.

    Measured (0.6 MP DehazeFormer-T restore on a worker thread, fresh process each): 825k -> 260k minor
    faults, 1.7 -> 0.6 s system time, as on the main thread. Set in the main thread before any other
    thread allocates: glibc fixes its arena limit at the first extra arena, and a thread keeps its arena.
    """
    libc = _glibc()
    return libc is not None and libc.mallopt(_M_ARENA_MAX, 1) == 1


def release_freed_memory() -> None:
    """Return the heap's free pages to the system (after a restore, so an idle app stays small)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
