"""Who owns a running job: a lease of pid + process start time + heartbeat, in the history.

Two processes may use one profile (the GUI's queue and a `wan22 generate`, or two CLI runs).
Each job in flight carries its owner; the owner renews `heartbeat_at` every BEAT_S. Recovery
(`recovery.py`) touches only jobs whose owner is dead:
- the lease has no owner (a database from before leases, or a job never taken), or
- the heartbeat is older than STALE_S (the owner hung, died, or is on a machine we cannot see), or
- the owner ran on this host and its pid is gone, or the pid now belongs to a process that
  started at another time (the pid was reused by another program).
A fresh heartbeat from a live process keeps the job its own, however long it runs.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from wan22_gui.core.history import HistoryStore, JobRecord

log = logging.getLogger("wan22.jobs")

BEAT_S = 5.0  # how often an owner renews its jobs' leases
STALE_S = 30.0  # a lease not renewed for this long is dead, whoever holds it
START_TIME_SLACK_S = 1.0  # /proc start times are in clock ticks; allow rounding


@dataclass(frozen=True)
class Owner:
    """One process, as the history names it."""

    pid: int
    started: float | None
    host: str

    def lease(self, now: float | None = None) -> dict[str, Any]:
        """The lease fields (`history.LEASE_FIELDS`) that make this process the owner now."""
        return {"owner_pid": self.pid, "owner_started": self.started, "owner_host": self.host,
                "heartbeat_at": time.time() if now is None else now}


@lru_cache(maxsize=1)
def this_process() -> Owner:
    return Owner(os.getpid(), process_start_time(os.getpid()), socket.gethostname())


def process_start_time(pid: int) -> float | None:
    """When process `pid` started (wall clock), or None where this cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 "starttime", counted after "pid (comm)"
        return _boot_time() + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@lru_cache(maxsize=1)
def _boot_time() -> float:
    with open("/proc/stat", encoding="ascii") as f:
        for line in f:
            if line.startswith("btime "):
                return float(line.split()[1])
    raise ValueError("no btime in /proc/stat")


def pid_running(pid: int) -> bool | None:
    """Whether a process `pid` exists on this host; None where we cannot tell safely."""
    if sys.platform == "win32":
        return None  # os.kill(pid, 0) would terminate it there; the heartbeat decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    except OSError:
        return None
    return True


def owner_alive(record: JobRecord, *, now: float | None = None,
                me: Owner | None = None) -> bool:
    """Whether the process that owns `record` still follows it (see the module doc)."""
    if record.owner_pid is None or record.heartbeat_at is None:
        return False
    now = time.time() if now is None else now
    if now - record.heartbeat_at > STALE_S:
        return False
    me = me or this_process()
    if record.owner_host != me.host:
        return True  # another machine: only its heartbeat can tell
    if record.owner_pid == me.pid:
        return _same_start(record.owner_started, me.started)
    if pid_running(record.owner_pid) is False:
        return False
    return _same_start(record.owner_started, process_start_time(record.owner_pid))


def _same_start(recorded: float | None, actual: float | None) -> bool:
    if recorded is None or actual is None:
        return True  # unknown here: the heartbeat alone decides
    return abs(recorded - actual) <= START_TIME_SLACK_S


def take_over(history: HistoryStore, record: JobRecord, me: Owner | None = None) -> bool:
    """Become the owner of a dead owner's job; False when another process was quicker."""
    return history.claim(record.job_id, (me or this_process()).lease(),
                         expected={"owner_pid": record.owner_pid,
                                   "owner_started": record.owner_started})


class Heartbeat:
    """Renews the leases of the jobs one runner follows, on a daemon thread that runs only
    while there is a job (so a runner needs no close)."""

    def __init__(self, history: HistoryStore, owner: Owner | None = None,
                 every_s: float = BEAT_S) -> None:
        self.history = history
        self.owner = owner or this_process()
        self.every_s = every_s
        self._jobs: set[str] = set()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, job_id: str) -> None:
        with self._cond:
            self._jobs.add(job_id)
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="wan22-lease",
                                                daemon=True)
                self._thread.start()

    def discard(self, job_id: str) -> None:
        with self._cond:
            self._jobs.discard(job_id)
            self._cond.notify_all()

    def _beat(self) -> None:
        while True:
            with self._cond:
                self._cond.wait(self.every_s)
                jobs = sorted(self._jobs)
                if not jobs:
                    self._thread = None
                    return
            try:
                self.history.beat(jobs, self.owner.pid, time.time())
            except Exception as exc:  # e.g. a full disk: the job's own writes report it
                log.warning("could not renew the lease of %s: %s", ", ".join(jobs), exc)


def dead_jobs(history: HistoryStore, *, skip: set[str] | frozenset[str] = frozenset(),
              now: float | None = None) -> list[JobRecord]:
    """Generation jobs left queued or running by an owner that is gone, newest first."""
    active = history.list(kind="generate", status=("queued", "running"))
    return [r for r in active if r.job_id not in skip and not owner_alive(r, now=now)]
