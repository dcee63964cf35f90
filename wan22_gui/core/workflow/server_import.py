"""A workflow file read against the connected ComfyUI: its nodes and version decide what the
import dialog says (newer core nodes the import worked out, with "update ComfyUI to X or newer
(you have Y)", and every class the server lacks), as `wan22 workflow check` does."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from wan22_gui.core.base.errors import ServerUnavailable
from wan22_gui.core.comfy.client import ComfyClient
from wan22_gui.core.comfy.versions import version_from_stats
from wan22_gui.core.workflow.embedded import read_workflow
from wan22_gui.core.workflow.importer import ImportedWorkflow, ImportReport, describe_import

log = logging.getLogger("wan22.workflow")


@dataclass(frozen=True)
class ServerImport:
    """One import, and what it means on the server (report None: no server was asked).

    Attributes:
        server_note: why the report is missing, for the user ("" when there is one, or when
            no server is connected).
    """

    imported: ImportedWorkflow
    report: ImportReport | None
    server_note: str = ""


def read_for_server(path: Path, url: str | None) -> ServerImport:
    """Import the workflow `path` is or holds, against the server at `url` when there is one.

    Raises:
        WorkflowError: the file holds no workflow the app can read (a server that does not
            answer is not an error: the import is shown without its server part).
    """
    if not url:
        return ServerImport(read_workflow(path), None)
    client = ComfyClient(url)
    try:
        info = client.object_info()
        version = version_from_stats(client.system_stats())
    except ServerUnavailable as exc:
        log.info("import of %s not checked against %s: %s", path, url, exc)
        return ServerImport(read_workflow(path), None,
                            f"Not checked against ComfyUI at {url}: {exc}")
    finally:
        client.close()
    imported = read_workflow(path, info)
    return ServerImport(imported, describe_import(imported, info, comfyui_version=version))
