"""AppContext: what every panel receives. Passed explicitly, never looked up globally."""

from __future__ import annotations

from dataclasses import dataclass

from wan22_gui.core.appcore import AppCore
from wan22_gui.core.base.logsetup import RingHandler
from wan22_gui.gui.tasks import TaskRunner


@dataclass
class AppContext:
    core: AppCore
    tasks: TaskRunner
    log_ring: RingHandler | None = None
