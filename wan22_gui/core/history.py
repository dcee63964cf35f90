"""Job history and the app's queue, in one SQLite database (WAL) in the user data dir.

Every job the app ever ran or queued is one row: what was asked (params), the exact graph sent,
where it ran, how long each phase took, GPU metrics, outputs, and how it ended. Pending rows with
a queue position are the app's queue, so the queue survives a restart with the history.

One connection, one lock: writes are serialised, WAL keeps readers in other processes (the CLI
while the GUI runs) from blocking. A corrupt database file is kept aside, never deleted.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
import builtins
from typing import Any, Iterable

from wan22_gui.core.base.errors import StorageError, storage_reason
from wan22_gui.core.base.signals import Signal

log = logging.getLogger("wan22.history")

SCHEMA_VERSION = 3  # 2: the owner lease (owner_pid, ...); 3: backend, requires (the pool)
KINDS = ("generate", "interpolate", "bench")
STATUSES = ("pending", "queued", "running", "succeeded", "failed", "interrupted", "cancelled")
ACTIVE_STATUSES = ("queued", "running")  # a job in these states has a prompt on a server
FINAL_STATUSES = ("succeeded", "failed", "interrupted", "cancelled")


# the columns the gallery's grid needs (its light "summary" list), and the JobSpec keys of them
SUMMARY_FIELDS = frozenset({"kind", "status", "created_at", "params", "timings", "outputs",
                            "parent_id", "source_image", "label", "deleted"})
SUMMARY_PARAMS = ("prompt", "width", "height", "frames", "fps", "source")
_ID_CHUNK = 500  # job ids per "IN (...)" query, well under SQLite's variable limit


def new_job_id() -> str:
    """A fresh job id: sortable by creation time, unique across processes."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]


@dataclass
class JobRecord:
    """One job, as stored. Times are wall clock (`time.time()`).

    Attributes:
        job_id: the app's id (`new_job_id()`); ComfyUI's id is `prompt_id`.
        kind: "generate", "interpolate" or "bench".
        status: one of STATUSES. "pending" = in the app's queue, "queued" = sent to ComfyUI.
        params: the JobSpec as JSON (`JobSpec.to_dict()`).
        graph: the exact API graph sent to ComfyUI (empty until sent).
        timings: phase name -> seconds (summed when a phase occurs twice).
        metrics: GPU figures from telemetry (peak_vram_bytes, energy_wh, ...).
        outputs: absolute paths of the downloaded files.
        error: None, or {"message", "hint", "phase", "node_id", "node_type", "exception_type",
            "oom": bool, "log_tail": [str], "fix": {field: value} | None}.
        parent_id: the clip an interpolation was made from.
        label: short text for the gallery ("RIFE ×2 (ComfyUI)", "Retry with 65 frames").
        node_timings: per executed node {"node_id", "class_type", "phase", "start", "end",
            "seconds", "steps"}; cached nodes have "cached": True and no times.
        phase_spans: {"phase", "start", "end"} in the order they happened.
        queue_pos: position in the app's queue while pending (lower runs first), else None.
        server_outputs: finished files the app could not download, still on the server:
            {"filename", "subfolder", "type", "location", "url", "dest", "error"}
            (`comfy.retrieve.ServerFile`); emptied once they are fetched.
        owner_pid, owner_started, owner_host: the process that runs (or last ran) the job:
            its pid, that process's start time (so a reused pid is told apart) and host.
        heartbeat_at: when that process last said it still follows the job
            (`core.jobs.lease`); a job whose owner is gone is recovered, never a live one.
        backend: the name of the pool's backend the scheduler sent it to (recorded before
            the prompt is sent, so a restart knows where to look); requires: a backend name
            or pin the job may only run on.
    """

    job_id: str
    kind: str = "generate"
    status: str = "pending"
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    params: dict = field(default_factory=dict)
    graph: dict = field(default_factory=dict)
    server_url: str | None = None
    preset: str | None = None
    prompt_id: str | None = None
    timings: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    outputs: list = field(default_factory=list)
    error: dict | None = None
    parent_id: str | None = None
    source_image: str | None = None
    label: str | None = None
    deleted: bool = False
    node_timings: list = field(default_factory=list)
    phase_spans: list = field(default_factory=list)
    queue_pos: int | None = None
    server_outputs: list = field(default_factory=list)  # a new column (_add_missing_columns)
    owner_pid: int | None = None
    owner_started: float | None = None
    owner_host: str | None = None
    heartbeat_at: float | None = None
    backend: str | None = None  # the pool's backend that ran (or runs) it; None: the one server
    requires: str | None = None  # a backend name or pin the user asked for ("5090")

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, when both are known."""
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.started_at)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HistoryChange:
    """What one committed write changed (the payload of `HistoryStore.rows_changed`).

    Attributes:
        ids: the rows written.
        kind: "added", "updated", "deleted" (marked deleted) or "reordered" (queue positions).
        fields: the fields written (every field for "added").
    """

    ids: tuple[str, ...]
    kind: str
    fields: frozenset[str]

    def touches(self, names: frozenset[str]) -> bool:
        """Whether this write may have changed any of the fields `names`."""
        return self.kind in ("added", "deleted") or bool(self.fields & names)


@dataclass(frozen=True)
class JobSummary:
    """The light view of a job that lists need (no graph, node timings, metrics or spans).

    `params` holds only the SUMMARY_PARAMS keys present; load the whole row with
    `HistoryStore.get` when the details are wanted.
    """

    job_id: str
    kind: str
    status: str
    created_at: float
    params: dict
    timings: dict
    outputs: tuple[str, ...]
    parent_id: str | None = None
    source_image: str | None = None
    label: str | None = None


_JSON_FIELDS = {"params", "graph", "timings", "metrics", "outputs", "error", "node_timings",
                "phase_spans", "server_outputs"}
_FIELD_NAMES = tuple(f.name for f in fields(JobRecord))
_COLUMN_TYPES = {
    "created_at": "REAL NOT NULL", "started_at": "REAL", "finished_at": "REAL",
    "deleted": "INTEGER NOT NULL DEFAULT 0", "queue_pos": "INTEGER",
    "owner_pid": "INTEGER", "owner_started": "REAL", "heartbeat_at": "REAL",
}
LEASE_FIELDS = ("owner_pid", "owner_started", "owner_host", "heartbeat_at")


def _schema() -> str:
    columns = ["job_id TEXT PRIMARY KEY"] + [
        f"{name} {_COLUMN_TYPES.get(name, 'TEXT')}" for name in _FIELD_NAMES if name != "job_id"
    ]
    return (
        f"CREATE TABLE IF NOT EXISTS jobs ({', '.join(columns)});"
        "CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, queue_pos);"
        "CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at);"
        "CREATE INDEX IF NOT EXISTS jobs_parent ON jobs(parent_id);"
    )


def _to_column(name: str, value: Any) -> Any:
    if name in _JSON_FIELDS:
        return None if value is None else json.dumps(value, default=str, ensure_ascii=False)
    if name == "deleted":
        return int(bool(value))
    return value


def _from_row(row: sqlite3.Row) -> JobRecord:
    values: dict[str, Any] = {}
    for name in _FIELD_NAMES:
        value = row[name]
        if name in _JSON_FIELDS and value is not None:
            try:
                value = json.loads(value)
            except ValueError:
                log.warning("job %s: unreadable %s in history, shown empty", row["job_id"], name)
                value = None
        if name in _JSON_FIELDS and value is None and name != "error":
            value = [] if name in ("outputs", "node_timings", "phase_spans",
                                   "server_outputs") else {}
        values[name] = bool(value) if name == "deleted" else value
    return JobRecord(**values)


class HistoryStore:
    """The history database. Thread-safe; every method may be called from any thread.

    Signals:
        changed(job_id): a row was added, updated or marked deleted (emitted on the caller's
            thread, after the write is committed).
        rows_changed(HistoryChange): the same writes, once per write, with every row id and
            the fields written, so a list can refresh just those rows (and skip writes of
            fields it does not show).
    """

    BUSY_TIMEOUT_S = 10.0  # how long to wait for another process's write lock

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self._lock = threading.RLock()
        self.changed = Signal("history.changed")
        self.rows_changed = Signal("history.rows_changed")
        self._conn = self._open()

    # -- lifecycle --------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect()
        except (sqlite3.OperationalError, OSError) as exc:
            # locked, read-only, unwritable folder, disk full: the file is fine, leave it be
            raise _unusable(self.db_path, exc) from None
        except sqlite3.DatabaseError as exc:
            aside = self.db_path.with_name(f"{self.db_path.name}.corrupt-{int(time.time())}")
            log.warning("history database %s is unreadable (%s); kept as %s and started anew",
                        self.db_path, exc, aside)
            self.db_path.replace(aside)
            for suffix in ("-wal", "-shm"):
                stale = self.db_path.with_name(self.db_path.name + suffix)
                if stale.exists():
                    stale.replace(aside.with_name(aside.name + suffix))
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.db_path), check_same_thread=False,
                               timeout=self.BUSY_TIMEOUT_S)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={int(self.BUSY_TIMEOUT_S * 1000)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            with conn:
                conn.executescript(_schema())
                self._add_missing_columns(conn)
                if version < SCHEMA_VERSION:
                    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    @staticmethod
    def _add_missing_columns(conn: sqlite3.Connection) -> None:
        """Older databases gain the columns of newer fields (never dropped, never renamed).

        Version 1 -> 2 adds the lease columns; rows from before have no owner, so a job an
        older version left queued or running counts as ownerless and is recovered as before.
        Version 2 -> 3 adds `backend` and `requires`: older rows ran on the one server.
        """
        present = {r[1] for r in conn.execute("PRAGMA table_info(jobs)")}
        for name in _FIELD_NAMES:
            if name not in present:
                conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {_COLUMN_TYPES.get(name, 'TEXT')}")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None  # type: ignore[assignment]

    # -- writes -----------------------------------------------------------------------------

    def add(self, record: JobRecord) -> None:
        """Insert a new job. Raises ValueError for an unknown kind/status or a duplicate id."""
        _check(record.kind, KINDS, "kind")
        _check(record.status, STATUSES, "status")
        names = ", ".join(_FIELD_NAMES)
        marks = ", ".join("?" for _ in _FIELD_NAMES)
        values = [_to_column(n, getattr(record, n)) for n in _FIELD_NAMES]
        try:
            with self._lock, self._conn:
                self._conn.execute(f"INSERT INTO jobs ({names}) VALUES ({marks})", values)
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"job {record.job_id} is already in the history") from exc
        self.changed.emit(record.job_id)
        self.rows_changed.emit(HistoryChange((record.job_id,), "added", frozenset(_FIELD_NAMES)))

    def update(self, job_id: str, *, if_status: str | None = None, **changes: Any) -> bool:
        """Set some fields of a job. Returns False when the job does not exist (or, with
        `if_status`, no longer has that status: compare-and-set, so of two processes
        dispatching the same waiting job only one wins).

        Raises:
            KeyError: a field name that JobRecord does not have.
        """
        if not changes:
            return self.get(job_id) is not None
        for name in changes:
            if name not in _FIELD_NAMES or name == "job_id":
                raise KeyError(f"JobRecord has no field {name!r}")
        if "status" in changes:
            _check(changes["status"], STATUSES, "status")
        assignments = ", ".join(f"{n} = ?" for n in changes)
        values = [_to_column(n, v) for n, v in changes.items()] + [job_id]
        where = "job_id = ?"
        if if_status is not None:
            where += " AND status = ?"
            values.append(if_status)
        with self._lock, self._conn:
            cursor = self._conn.execute(f"UPDATE jobs SET {assignments} WHERE {where}", values)
        if cursor.rowcount:
            self.changed.emit(job_id)
            kind = "deleted" if changes.get("deleted") else "updated"
            self.rows_changed.emit(HistoryChange((job_id,), kind, frozenset(changes)))
        return bool(cursor.rowcount)

    def mark_deleted(self, job_id: str) -> None:
        """Hide a job from lists (its row and files stay; the gallery deletes files itself)."""
        self.update(job_id, deleted=True, queue_pos=None)

    def set_queue_order(self, job_ids: Iterable[str]) -> None:
        """Give pending jobs positions 0, 1, 2, ... in the order given."""
        ids = list(job_ids)
        with self._lock, self._conn:
            for pos, job_id in enumerate(ids):
                self._conn.execute(
                    "UPDATE jobs SET queue_pos = ? WHERE job_id = ? AND status = 'pending'",
                    (pos, job_id),
                )
        for job_id in ids:
            self.changed.emit(job_id)
        if ids:
            self.rows_changed.emit(HistoryChange(tuple(ids), "reordered", frozenset({"queue_pos"})))

    # -- the owner lease (core.jobs.lease decides who is alive) -----------------------------

    def claim(self, job_id: str, lease: dict[str, Any], *,
              expected: dict[str, Any] | None = None) -> bool:
        """Make `lease` (LEASE_FIELDS) the owner of an active job, atomically.

        With `expected`, only if the job's owner is still that one (compare-and-set: of two
        processes recovering the same dead job, one wins). False when the job is not active
        or its owner changed meanwhile.
        """
        names = [n for n in LEASE_FIELDS if n in lease]
        sql = (f"UPDATE jobs SET {', '.join(f'{n} = ?' for n in names)} WHERE job_id = ? "
               f"AND status IN ({', '.join('?' for _ in ACTIVE_STATUSES)})")
        args: builtins.list[Any] = [lease[n] for n in names] + [job_id, *ACTIVE_STATUSES]
        if expected is not None:
            sql += " AND owner_pid IS ? AND owner_started IS ?"
            args += [expected.get("owner_pid"), expected.get("owner_started")]
        with self._lock, self._conn:
            taken = self._conn.execute(sql, args).rowcount
        if taken:
            self.changed.emit(job_id)
            self.rows_changed.emit(HistoryChange((job_id,), "updated", frozenset(names)))
        return bool(taken)

    def beat(self, job_ids: Iterable[str], owner_pid: int, now: float) -> None:
        """Renew the lease of jobs this owner still follows (no `changed`: nothing to show)."""
        ids = list(job_ids)
        if not ids:
            return
        with self._lock, self._conn:
            self._conn.execute(
                f"UPDATE jobs SET heartbeat_at = ? WHERE owner_pid = ? "
                f"AND job_id IN ({', '.join('?' for _ in ids)})", [now, owner_pid, *ids])

    # -- reads ------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobRecord | None:
        rows = self._query("SELECT * FROM jobs WHERE job_id = ?", [job_id])
        return rows[0] if rows else None

    def list(
        self,
        kind: str | None = None,
        status: str | Iterable[str] | None = None,
        include_deleted: bool = False,
        limit: int | None = None,
    ) -> list[JobRecord]:
        """Jobs, newest first, filtered by kind and status (one name or several)."""
        where, args = [], []  # type: list[str], list[Any]
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            args.extend(statuses)
        if not include_deleted:
            where.append("deleted = 0")
        sql = "SELECT * FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, job_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self._query(sql, args)

    def children(self, job_id: str) -> builtins.list[JobRecord]:
        """Jobs made from this one (interpolations of a clip), oldest first."""
        return self._query(
            "SELECT * FROM jobs WHERE parent_id = ? AND deleted = 0 ORDER BY created_at", [job_id]
        )

    def summaries(self, ids: Iterable[str] | None = None,
                  kinds: Iterable[str] = ("generate", "interpolate")) -> builtins.list[JobSummary]:
        """Light rows (JobSummary) of the jobs not deleted, newest first: all of `kinds`, or
        only those of `ids` (an id that is deleted, of another kind or unknown is left out)."""
        kinds = list(kinds)
        base = (f"SELECT {_SUMMARY_COLUMNS} FROM jobs WHERE deleted = 0 "
                f"AND kind IN ({', '.join('?' for _ in kinds)})")
        order = " ORDER BY created_at DESC, job_id DESC"
        if ids is None:
            return self._summaries(base + order, kinds)
        wanted = list(dict.fromkeys(ids))
        found: builtins.list[JobSummary] = []
        for start in range(0, len(wanted), _ID_CHUNK):
            chunk = wanted[start:start + _ID_CHUNK]
            found += self._summaries(
                base + f" AND job_id IN ({', '.join('?' for _ in chunk)})" + order, kinds + chunk)
        return sorted(found, key=lambda r: (r.created_at, r.job_id), reverse=True)

    def _summaries(self, sql: str, args: builtins.list[Any]) -> builtins.list[JobSummary]:
        try:
            with self._lock:
                rows = self._conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:  # as _query: the words, not sqlite's
            raise _unusable(self.db_path, exc) from None
        return [_summary_from_row(r) for r in rows]

    def pending_queue(self) -> builtins.list[JobRecord]:
        """The app's queue: pending jobs in run order."""
        return self._query(
            "SELECT * FROM jobs WHERE status = 'pending' AND deleted = 0 "
            "ORDER BY queue_pos IS NULL, queue_pos, created_at",
            [],
        )

    def next_queue_pos(self) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT MAX(queue_pos) FROM jobs WHERE status = 'pending'"
            ).fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def _query(self, sql: str, args: builtins.list[Any]) -> builtins.list[JobRecord]:
        try:
            with self._lock:
                rows = self._conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:  # a damaged page is found only when read
            raise _unusable(self.db_path, exc) from None
        return [_from_row(r) for r in rows]


# json_extract reads just the few JobSpec keys in SQLite (no JSON parsing of whole specs in
# Python); json_valid keeps one damaged row from failing the whole list
_SUMMARY_COLUMNS = ", ".join(
    ["job_id", "kind", "status", "created_at", "timings", "outputs", "parent_id", "source_image",
     "label"] + [f"CASE WHEN json_valid(params) THEN json_extract(params, '$.{key}') END AS p_{key}"
                 for key in SUMMARY_PARAMS])


def _summary_from_row(row: sqlite3.Row) -> JobSummary:
    params = {key: row[f"p_{key}"] for key in SUMMARY_PARAMS if row[f"p_{key}"] is not None}
    timings, outputs = _json_or(row["timings"], {}), _json_or(row["outputs"], [])
    return JobSummary(
        job_id=row["job_id"], kind=row["kind"], status=row["status"],
        created_at=row["created_at"], params=params,
        timings=timings if isinstance(timings, dict) else {},
        outputs=tuple(str(o) for o in outputs) if isinstance(outputs, list) else (),
        parent_id=row["parent_id"], source_image=row["source_image"], label=row["label"])


def _json_or(text: str | None, empty: Any) -> Any:
    if text is None:
        return empty
    try:
        return json.loads(text)
    except ValueError:
        return empty


def _unusable(db_path: Path, exc: BaseException) -> StorageError:
    """The words for a history database that cannot be opened or read (nothing is moved)."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StorageError(f"The history database {db_path} is locked by another program.",
                            "Close other copies of the app (or the program holding the file) "
                            "and try again.")
    if "readonly" in text or "read-only" in text:
        return StorageError(f"The history database {db_path} is read-only.",
                            "Make the file and its folder writable, or set WAN22_HOME to a "
                            "folder you can write to.")
    if isinstance(exc, sqlite3.OperationalError) or isinstance(exc, OSError):
        return StorageError(f"The history database {db_path} cannot be opened: "
                            f"{storage_reason(exc) if isinstance(exc, OSError) else exc}.",
                            "Free some space or fix the folder's permissions, or set "
                            "WAN22_HOME to a folder you can write to.")
    return StorageError(f"The history database {db_path} is damaged ({exc}).",
                        "Close the app and move the file aside: the app then starts a new "
                        "history. Old jobs can often be recovered with "
                        f"`sqlite3 {db_path.name} .recover`.")


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown job {what} {value!r} (expected one of {', '.join(allowed)})")
