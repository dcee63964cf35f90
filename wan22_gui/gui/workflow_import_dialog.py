"""The dialog a dropped workflow opens: what was found (roles, models, problems); Use or Cancel.

With a server connected, the problems are the server's: every node class it lacks with its
advice (a newer core node says "update ComfyUI to X or newer (you have Y)"), and the newer nodes
the import worked out into plain values, as `wan22 workflow check` prints them.

"Use" puts the workflow's settings (prompts, size, length, frame rate, seed, sampling, model
files) into the Generate form; the user's start image stays. Nothing is queued from here.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QListWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
    QWidget,
)

from wan22_gui.core.workflow.importer import ImportedWorkflow, ImportReport
from wan22_gui.core.workflow.readback import ReadBack, model_files

FORMATS = {"api": "API format (the graph as it ran)", "ui": "editor format (converted)"}


class WorkflowImportDialog(QDialog):
    """Shows one imported workflow. `accepted` means Use."""

    def __init__(self, path: Path, imported: ImportedWorkflow, readback: ReadBack,
                 parent: QWidget | None = None, *, report: ImportReport | None = None,
                 server_note: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("workflow_import_dialog")
        self.setWindowTitle(f"Import workflow — {path.name}")
        self.readback = readback
        self.summary = QLabel(f"<b>{path.name}</b>: {FORMATS.get(imported.source_format, '')}, "
                              f"{len(imported.graph)} nodes.")
        self.summary.setObjectName("import_summary")
        self.summary.setWordWrap(True)
        self.roles = QTreeWidget()
        self.roles.setObjectName("import_roles")
        self.roles.setHeaderLabels(["Role", "Node", "Class"])
        self.roles.setRootIsDecorated(False)
        for role, node_id in sorted(imported.roles.items()):
            node = imported.graph.get(node_id, {})
            title = node.get("_meta", {}).get("title") or node.get("class_type", "")
            QTreeWidgetItem(self.roles, [role, f"#{node_id} {title}", node.get("class_type", "")])
        self.roles.resizeColumnToContents(0)
        self.models = QListWidget()
        self.models.setObjectName("import_models")
        self.models.addItems(model_files(imported.graph) or ["(no model files named)"])
        self.problems = QLabel(self._problem_text(imported, report, server_note))
        self.problems.setObjectName("import_problems")
        self.problems.setWordWrap(True)
        taken = ", ".join(readback.taken) or "nothing the form can show"
        self.use_text = QLabel(f"Use puts these into the Generate form: {taken}. "
                               "Your start image stays.")
        self.use_text.setObjectName("import_use_text")
        self.use_text.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.use_button = buttons.addButton("Use", QDialogButtonBox.ButtonRole.AcceptRole)
        self.use_button.setObjectName("import_use")
        self.use_button.setEnabled(bool(readback.taken))
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("Roles found"))
        layout.addWidget(self.roles, 2)
        layout.addWidget(QLabel("Models"))
        layout.addWidget(self.models, 1)
        layout.addWidget(self.problems)
        layout.addWidget(self.use_text)
        layout.addWidget(buttons)
        self.resize(620, 560)

    @staticmethod
    def _problem_text(imported: ImportedWorkflow, report: ImportReport | None,
                      server_note: str) -> str:
        if report is None:
            lines = [imported.missing_text(), *imported.warnings, server_note]
        else:  # the server's view: what it lacks first, then what the import worked out
            lines = [report.missing_roles, *(m.sentence() for m in report.lacking),
                     *report.notes]
        lines = [line for line in lines if line]
        if not lines:
            return "Problems: none found."
        ready = report is not None and report.ready and not report.missing_roles
        heading = "Ready on this ComfyUI. Notes:" if ready else "Problems:"
        return f"{heading}\n• " + "\n• ".join(lines)
