"""Old home of the prompt-following names; they live in `core/comfy/prompt.py` now.

Kept so `from wan22_gui.core.jobs.follow import FollowTimes` (the job queue, bench wiring)
goes on working; new code imports from `wan22_gui.core.comfy.prompt`.
"""

from __future__ import annotations

from wan22_gui.core.comfy.prompt import (
    Ending,
    FollowState,
    FollowTimes,
    ending_from_history,
    follow,
)

__all__ = ["Ending", "FollowState", "FollowTimes", "ending_from_history", "follow"]
