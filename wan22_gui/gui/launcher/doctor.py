"""The doctor's findings about the chosen launch, most serious first."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from wan22_gui.core.server.doctor import Finding

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
            texts.append(f"<span style='color:#555'>{html.escape(problem)}</span>")
        if not texts:
            texts = [html.escape(pending) if pending else
                     "<span style='color:#2e7d32'>No problems found in these flags.</span>"]
        for text in texts:
            label = QLabel(text, wordWrap=True)
            label.setObjectName("doctor_finding")
            self._layout.addWidget(label)

    def texts(self) -> list[str]:
        return [f"{f.level}: {f.message}" for f in self.findings]

    @staticmethod
    def _html(finding: Finding) -> str:
        color, word = _STYLE.get(finding.level, _STYLE["info"])
        fix = f" <i>{html.escape(finding.fix)}</i>" if finding.fix else ""
        return (f"<span style='color:{color}'><b>{word}:</b> {html.escape(finding.message)}"
                f"</span>{fix}")
