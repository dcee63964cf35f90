"""AppContext: what every panel receives. Passed explicitly, never looked up globally."""

from __future__ import annotations

from dataclasses import dataclass

from wan22_gui.app import App
from wan22_gui.core.base.logsetup import RingHandler
from wan22_gui.gui.tasks import TaskRunner


@dataclass
class AppContext:
    app: App
    tasks: TaskRunner
    log_ring: RingHandler | None = None
