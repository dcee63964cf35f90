"""Download again: fetch the finished clips a job left on the server, and mend its row.

When `/view` failed after a job finished, the job's history row keeps `server_outputs` (where
each file is on the server, its `/view` URL, the folder it was meant for). `wan22 history fetch
ID` and the Gallery's "Download again" call `download_again`, which downloads what is left and
turns the row into a succeeded job with those outputs; what still fails stays listed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import InputError, Wan22Error
from wan22_gui.core.comfy import retrieve
from wan22_gui.core.comfy.retrieve import RetryPolicy, ServerFile
from wan22_gui.core.history import HistoryStore

ClientFactory = Callable[[str], Any]  # server URL -> a ComfyClient (closed by us)
AGAIN = RetryPolicy(attempts=2, first_pause_s=1.0)  # the user is waiting: one quick retry


def pending_downloads(record: Any) -> list[ServerFile]:
    """The files of a history row that are finished but still only on the server."""
    return [ServerFile.from_dict(entry) for entry in (record.server_outputs or [])]


def download_again(history: HistoryStore, job_id: str, *, server_url: str | None = None,
                   dest: Path | None = None, client_factory: ClientFactory | None = None,
                   policy: RetryPolicy = AGAIN) -> list[Path]:
    """Download the files job `job_id` left on the server; returns their new paths.

    `server_url` replaces the one the job ran on (the server moved); `dest` replaces the
    folder each file was meant for. Blocks (HTTP): call it off the GUI thread.

    Raises:
        InputError: no such job, or nothing of it is left on the server.
        Wan22Error: a file could still not be fetched (the message says where it is); the
            files that did come are recorded all the same.
    """
    record = history.get(job_id)
    if record is None:
        raise InputError(f"History has no job {job_id}.", "List jobs with `wan22 history`.")
    left = pending_downloads(record)
    if not left:
        raise InputError(f"Job {job_id} has nothing left to download from ComfyUI.",
                         "Its files are the outputs listed in `wan22 history`.")
    url = server_url or record.server_url
    if not url:
        raise InputError(f"Job {job_id} does not say which ComfyUI it ran on.",
                         "Give the server with --server URL.")
    client = (client_factory or _client)(url)
    try:
        saved, still, failure = _fetch_all(client, left, dest, policy)
    finally:
        client.close()
    _record(history, job_id, record, saved, still)
    if failure is not None:
        raise Wan22Error(f"{failure} The file is still on the server at {still[0].where()}.",
                         failure.hint or "Check that ComfyUI runs and answers, then try again.")
    return saved


def _fetch_all(client: Any, left: list[ServerFile], dest: Path | None,
               policy: RetryPolicy) -> tuple[list[Path], list[ServerFile], Wan22Error | None]:
    saved: list[Path] = []
    still: list[ServerFile] = []
    failure: Wan22Error | None = None
    for item in left:
        try:
            saved.append(retrieve.fetch(client, item.ref, dest or Path(item.dest),
                                        policy=policy))
        except Wan22Error as exc:
            still.append(ServerFile.from_dict({**item.to_dict(), "error": str(exc)}))
            failure = failure or exc
    return saved, still, failure


def _record(history: HistoryStore, job_id: str, record: Any, saved: list[Path],
            still: list[ServerFile]) -> None:
    """The row gains the new outputs; with nothing left on the server it has succeeded."""
    changes: dict[str, Any] = {"outputs": [*record.outputs, *(str(p) for p in saved)],
                               "server_outputs": [f.to_dict() for f in still]}
    if not still and record.status == "failed" and \
            (record.error or {}).get("phase") == "download":
        changes.update(status="succeeded", error=None)
    history.update(job_id, **changes)


def _client(url: str) -> Any:
    from wan22_gui.core.comfy.client import ComfyClient

    return ComfyClient(url)
