"""The doctor's findings about the chosen launch, most serious first; or, when there is nothing
to check (no ComfyUI folder found), why not: it never stays on "Checking..." for ever."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from wan22_gui.core.server.doctor import Finding
from wan22_gui.gui.richtext import message_html

NOTHING_TO_CHECK = ("Nothing to check yet: no ComfyUI folder is chosen. The doctor checks the "
                    "launch flags once ComfyUI is found.")

_STYLE = {"error": ("#b00020", "Error"), "warning": ("#8a5300", "Warning"),
          "info": ("#555555", "Note")}


class DoctorList(QWidget):
    """One wrapped label per finding; "No problems found" when there is none."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("doctor_list")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.findings: list[Finding] = []
        self.set_findings([], pending="Checking the launch flags...")

    def set_findings(self, findings: list[Finding], *, pending: str = "",
                     problem: str | None = None) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.findings = list(findings)
        texts = [self._html(f) for f in findings]
        if problem:
            texts.append(f"<span style='color:#555'>{message_html(problem)}</span>")
        if not texts:
            texts = [message_html(pending) if pending else
                     "<span style='color:#2e7d32'>No problems found in these flags.</span>"]
        for text in texts:
            label = QLabel(text, wordWrap=True)
            label.setObjectName("doctor_finding")
            self._layout.addWidget(label)

    def show_nothing_to_check(self) -> None:
        """The end state without an install: say so instead of "Checking..."."""
        self.set_findings([], pending=NOTHING_TO_CHECK)

    def shown(self) -> list[str]:
        """The plain text of each line as shown (for tests and the first-run check)."""
        from PySide6.QtGui import QTextDocument

        lines = []
        for i in range(self._layout.count()):
            label = self._layout.itemAt(i).widget()
            if isinstance(label, QLabel):  # not findChildren: replaced ones linger until deleted
                doc = QTextDocument()
                doc.setHtml(label.text())
                lines.append(doc.toPlainText())
        return lines

    def texts(self) -> list[str]:
        return [f"{f.level}: {f.message}" for f in self.findings]

    @staticmethod
    def _html(finding: Finding) -> str:
        color, word = _STYLE.get(finding.level, _STYLE["info"])
        fix = f" <i>{message_html(finding.fix)}</i>" if finding.fix else ""
        return (f"<span style='color:{color}'><b>{word}:</b> {message_html(finding.message)}"
                f"</span>{fix}")
