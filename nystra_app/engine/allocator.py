"""Keep freed memory in the process during a restore, so the kernel is not asked for it again.

Why: a model's activations at full resolution are tens to hundreds of MB each. glibc's malloc
serves blocks above its mmap threshold (at most 32 MB) with a fresh `mmap` and returns them with
`munmap` on free, and trims the heap top above its trim threshold. Every such block is therefore
page-faulted in and zeroed by the kernel again on every layer of every tile: a 12 MP DehazeFormer-T
restore took ~98 million minor faults and spent more CPU time in the kernel than in arithmetic.
With mmap off and trimming off, freed blocks stay in the heap and the next layer reuses them; the
peak is unchanged (the same blocks are live at once), and `release_freed_memory` hands the heap back
after the restore. Elsewhere than glibc (macOS, Windows, musl) both calls do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
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


def release_freed_memory() -> None:
    """Return the heap's free pages to the system (after a restore, so an idle app stays small)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
