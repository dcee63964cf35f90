"""Blind A/B in the compare view: two clips shown as A and B in a random order with their
titles and facts hidden; the user answers "Which looks better?", then sees which was which and
the pair's tally (kept by `core.interpolation.blind`, in the app's data folder)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from wan22_gui.core.interpolation.blind import BlindRound, BlindTally, PairTally
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.player.view import ClipSource


def blind_clips(first: ClipSource, second: ClipSource) -> tuple[BlindRound, list[ClipSource]]:
    """Draw the order and make the two clips to show, titled only 'A' and 'B'."""
    round_ = BlindRound.draw(first.path, second.path)
    by_path = {str(first.path): first, str(second.path): second}
    shown = [ClipSource(by_path[path].path, letter) for path, letter in zip(round_.shown, "AB")]
    return round_, shown


class BlindBar(QWidget):
    """'Which looks better? [A] [B] [Same]', then the reveal and the tally.

    Signals:
        judged(PairTally): the verdict was stored.
    """

    judged = Signal(object)

    def __init__(self, ctx: AppContext, round_: BlindRound, titles: dict[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("blind_bar")
        self.ctx = ctx
        self.round = round_
        self.titles = titles  # path -> real title, shown only after the verdict
        self.tally_store = BlindTally.in_folder(ctx.app.paths.data_dir)
        self.question = QLabel("Which looks better?")
        self.buttons = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.addWidget(self.question)
        for choice, text in (("a", "A"), ("b", "B"), ("same", "Same")):
            button = QPushButton(text)
            button.setObjectName(f"blind_{choice}")
            button.clicked.connect(lambda _=False, c=choice: self.choose(c))
            self.buttons[choice] = button
            row.addWidget(button)
        self.result = QLabel()
        self.result.setObjectName("blind_result")
        self.result.setWordWrap(True)
        row.addWidget(self.result, 1)
        self.ctx.tasks.run_in_background(
            lambda: self.tally_store.tally(*round_.shown), self._show_tally_so_far, self._on_failed)

    def choose(self, choice: str) -> None:
        """Store the verdict (in the background) and reveal the clips."""
        for button in self.buttons.values():
            button.setEnabled(False)
        self.ctx.tasks.run_in_background(
            lambda: self.tally_store.record(self.round, choice), self._on_recorded, self._on_failed)

    def reveal_text(self) -> str:
        a, b = (self.titles.get(p, p) for p in self.round.shown)
        return f"A was {a}, B was {b}."

    def _show_tally_so_far(self, tally: PairTally) -> None:
        if tally.rounds and not self.result.text():
            self.result.setText(f"This pair was judged {tally.rounds} time"
                                f"{'s' if tally.rounds != 1 else ''} before.")

    def _on_recorded(self, tally: PairTally) -> None:
        self.question.setText("Thanks.")
        self.result.setText(f"{self.reveal_text()}  Tally: {tally.text(self.titles)}")
        self.judged.emit(tally)

    def _on_failed(self, exc: BaseException) -> None:
        for button in self.buttons.values():
            button.setEnabled(True)
        text = getattr(exc, "user_text", lambda: str(exc))()
        self.result.setText(f"Not counted: {text}")
        self.result.setStyleSheet("color: #d9534f;")
