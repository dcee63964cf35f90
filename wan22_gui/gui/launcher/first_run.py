"""The launcher's first-run page: three ways to get a ComfyUI, for someone who has none set.

    I have ComfyUI here       -> pick its folder (the launcher then finds, probes and starts it)
    ComfyUI runs elsewhere    -> its address, Attach
    I don't have it yet       -> what to install, with links

Shown when no ComfyUI folder is set and no attached server is remembered; reachable later from
the launcher's "Getting started..." button. It only asks; the launcher panel does the work.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from wan22_gui.gui.richtext import colored

INSTALL_HELP = (
    "<b>I don't have it yet.</b> Install ComfyUI first (free, open source): on Windows the "
    "<i>portable</i> download, elsewhere a git clone with its own Python environment, as its "
    "<a href='https://github.com/comfyanonymous/ComfyUI#installing'>install guide</a> says. "
    "Then put the Wan 2.2 14B image-to-video files into its <code>models/</code> folders "
    "(the <a href='https://docs.comfy.org/tutorials/video/wan/wan2_2'>Wan 2.2 guide</a> links "
    "each one):<br>"
    "&nbsp;• <code>diffusion_models/</code>: wan2.2_i2v_high_noise_14B_fp8_scaled, "
    "wan2.2_i2v_low_noise_14B_fp8_scaled<br>"
    "&nbsp;• <code>loras/</code>: the two wan2.2_i2v_lightx2v_4steps_lora_v1 files (high, low)<br>"
    "&nbsp;• <code>text_encoders/</code>: umt5_xxl_fp8_e4m3fn_scaled<br>"
    "&nbsp;• <code>vae/</code>: wan_2.1_vae<br>"
    "An NVIDIA GPU with 24 GB or more is best; the app picks the launch flags for yours. "
    "Come back here and choose the folder when it is done."
)


def _card(*widgets: QWidget) -> QFrame:
    card = QFrame()
    card.setObjectName("first_run_card")
    card.setFrameShape(QFrame.Shape.StyledPanel)
    layout = QVBoxLayout(card)
    layout.setContentsMargins(8, 8, 8, 8)
    for widget in widgets:
        layout.addWidget(widget)
    return card


def _label(text: str) -> QLabel:
    label = QLabel(text, wordWrap=True)
    label.setOpenExternalLinks(True)
    return label


class FirstRunPage(QWidget):
    """Signals:
        folder_chosen(str): the user picked the ComfyUI folder.
        attach_requested(str): the user wants to attach to this address.
        skipped(): show the full launcher.
    """

    folder_chosen = Signal(str)
    attach_requested = Signal(str)
    skipped = Signal()

    def __init__(self, attach_url: str) -> None:
        super().__init__()
        self.setObjectName("first_run_page")
        title = QLabel("<h3>Welcome — where is your ComfyUI?</h3>"
                       "The app runs Wan 2.2 in ComfyUI. Tell it where one is:", wordWrap=True)
        self.pick = QPushButton("Choose the ComfyUI folder...")
        self.pick.setObjectName("first_run_pick")
        self.pick.clicked.connect(self._pick)
        here = _card(_label("<b>I have ComfyUI on this computer.</b> Pick its folder (the one "
                            "with <code>main.py</code>, or the portable folder); the app starts "
                            "it with the right flags for your GPU."), self.pick)
        self.url = QLineEdit(attach_url)
        self.url.setObjectName("first_run_url")
        self.url.setPlaceholderText("http://192.168.1.20:8188")
        self.attach = QPushButton("Attach")
        self.attach.setObjectName("first_run_attach")
        self.attach.clicked.connect(lambda: self.attach_requested.emit(self.url.text().strip()))
        self.url.returnPressed.connect(self.attach.click)
        row = QHBoxLayout()
        row.addWidget(self.url, 1)
        row.addWidget(self.attach)
        row_widget = QWidget()
        row_widget.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        elsewhere = _card(_label("<b>ComfyUI runs elsewhere</b> (another computer, a container, "
                                 "or started by hand). Its address:"), row_widget)
        missing = _card(_label(INSTALL_HELP))
        self.message = QLabel(wordWrap=True)
        self.message.setObjectName("first_run_message")
        self.message.hide()
        skip = QPushButton("Show the full launcher")
        skip.setObjectName("first_run_skip")
        skip.setFlat(True)
        skip.clicked.connect(self.skipped)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for widget in (title, here, elsewhere, self.message, missing):
            layout.addWidget(widget)
        layout.addWidget(skip)
        layout.addStretch(1)

    def _pick(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the ComfyUI folder")
        if folder:
            self.folder_chosen.emit(folder)

    def say(self, text: str, *, error: bool = False) -> None:
        """What became of the last choice ("" hides it)."""
        self.message.setText(colored(text, "#b00020" if error else "#1b5e20"))
        self.message.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        self.attach.setEnabled(not busy)
        self.pick.setEnabled(not busy)
