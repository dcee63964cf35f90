"""Memory for a clip's decoded frames: one array, in huge pages where Linux offers them.

The first write to fresh memory faults its pages in. For one 832×1216 BGRA frame (4 MB) that
cost ~9 ms with 4 KiB pages on a 2-core VM, up to 35 ms when three decoders fault at once, more
than decoding the frame, and it fell on the very frame a user had just stepped to. In 2 MiB
pages (an anonymous mapping advised MADV_HUGEPAGE) it is ~0.4 ms. Faulting the array in ahead
on a thread of its own was tried and dropped: on 2 cores it slowed the decoders and the repaint
more than it saved.
"""

from __future__ import annotations

import mmap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def frame_store(shape: tuple[int, ...]) -> "np.ndarray":
    """An uninitialised uint8 array of `shape`, in huge pages where the OS offers them."""
    import numpy as np

    size = int(np.prod(shape))
    if size == 0 or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.empty(shape, np.uint8)
    try:
        memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        memory.madvise(mmap.MADV_HUGEPAGE)
    except (OSError, ValueError):
        return np.empty(shape, np.uint8)
    return np.frombuffer(memory, np.uint8).reshape(shape)  # the array keeps `memory` alive
