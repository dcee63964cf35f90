"""The pool as one optional service of the app: the store, the pool and the scheduler, built
together on first use (an app whose user added no backend never builds them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wan22_gui.core.backends.pool import BackendPool
from wan22_gui.core.backends.scheduler import Scheduler, session_factory_for
from wan22_gui.core.backends.store import BackendStore
from wan22_gui.core.comfy.session import stable_client_id

if TYPE_CHECKING:
    from wan22_gui.core.base.settings import Settings
    from wan22_gui.core.history import HistoryStore


@dataclass(frozen=True)
class BackendServices:
    """Built, not started: the caller starts `pool` and `scheduler` when it shows the queue."""

    store: BackendStore
    pool: BackendPool
    scheduler: Scheduler

    @classmethod
    def open(cls, settings: Settings, history: HistoryStore, output_dir: Path) -> BackendServices:
        store = BackendStore(settings)
        pool = BackendPool(store)
        # the app's fixed client id: after a restart the events of running jobs come back
        factory = session_factory_for(stable_client_id(settings))
        return cls(store, pool, Scheduler(history, pool, output_dir, session_factory=factory))

    def close(self) -> None:
        self.scheduler.close()
        self.pool.close()  # stops the local backends it launched
