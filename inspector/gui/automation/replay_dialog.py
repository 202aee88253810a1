"""The "Replay against…" dialog: where to, how fast, messages or exact frames, and
whether to compare the answers."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..session.support import check_url
from ..widgets import theme
from .model import TIMINGS, timing_word

__all__ = ["PlanSummary", "ReplayDialog", "ReplayRequest"]

#: How many steps a replay sends and what it says about the capture, for messages
#: (False) and for exact frames (True).
PlanSummary = Mapping[bool, tuple[int, Sequence[str]]]


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    url: str
    timing: str  # a --timing word: original, fast or a factor
    frames: bool
    compare: bool


class ReplayDialog(QDialog):
    """Asks how to replay a capture; :meth:`request` once accepted. Opened with
    ``open()`` (never ``exec()``: it would nest an event loop under qasync)."""

    def __init__(
        self,
        url: str,
        source: str,
        *,
        plans: PlanSummary,
        frames_possible: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._plans = plans
        self.setObjectName("replayDialog")
        self.setAccessibleName("Replay a capture")
        self.setWindowTitle("Replay against…")
        self.setWindowModality(Qt.WindowModality.WindowModal)

        intro = QLabel(
            f"Send what the client of <b>{html.escape(source)}</b> sent again, with its "
            "handshake options, and capture the new session in a tab of its own.",
            self,
        )
        intro.setObjectName("replayIntro")
        intro.setWordWrap(True)

        self.url_edit = QLineEdit(url, self)
        self.url_edit.setObjectName("replayUrl")
        self.url_edit.setAccessibleName("Replay URL")
        self.url_edit.setPlaceholderText("ws://host:port/path")

        self.timing_combo = QComboBox(self)
        self.timing_combo.setObjectName("replayTiming")
        self.timing_combo.setAccessibleName("Replay timing")
        for word, label in TIMINGS:
            self.timing_combo.addItem(label, word)
        self.factor_spin = QDoubleSpinBox(self)
        self.factor_spin.setObjectName("replayFactor")
        self.factor_spin.setAccessibleName("Timing factor")
        self.factor_spin.setToolTip("The captured gaps times this (0.5: twice as fast)")
        self.factor_spin.setRange(0.01, 100.0)
        self.factor_spin.setDecimals(2)
        self.factor_spin.setSingleStep(0.25)
        self.factor_spin.setValue(0.5)
        self.factor_spin.setPrefix("× ")
        self.factor_spin.setEnabled(False)
        self.timing_combo.currentIndexChanged.connect(
            lambda _i: self.factor_spin.setEnabled(self.timing_combo.currentData() == "scale")
        )
        timing_row = QHBoxLayout()
        timing_row.addWidget(self.timing_combo, 1)
        timing_row.addWidget(self.factor_spin)

        self.messages_radio = QRadioButton("Messages", self)
        self.messages_radio.setObjectName("replayMessages")
        self.messages_radio.setAccessibleName("Send the messages")
        self.messages_radio.setToolTip("The client's messages, pings and close, framed anew")
        self.frames_radio = QRadioButton("Exact frames", self)
        self.frames_radio.setObjectName("replayFrames")
        self.frames_radio.setAccessibleName("Send the exact frames")
        self.frames_radio.setToolTip(
            "Every frame the client sent, header bits, masks and length forms as captured "
            "(crafted frames included)"
        )
        self.frames_radio.setEnabled(frames_possible)
        if not frames_possible:
            self.frames_radio.setToolTip("The capture holds messages, not frames (HAR)")
        self.messages_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.messages_radio)
        group.addButton(self.frames_radio)
        self.frames_radio.toggled.connect(lambda _on: self._show_plan())
        what_row = QHBoxLayout()
        what_row.addWidget(self.messages_radio)
        what_row.addWidget(self.frames_radio)
        what_row.addStretch(1)

        self.compare_check = QCheckBox("Compare the server's answers with the capture's", self)
        self.compare_check.setObjectName("replayCompare")
        self.compare_check.setAccessibleName("Compare the answers")
        self.compare_check.setChecked(True)

        form = QFormLayout()
        form.addRow(self._buddy("&URL:", self.url_edit), self.url_edit)
        form.addRow(self._buddy("&Timing:", self.timing_combo), timing_row)
        form.addRow("Send:", what_row)
        form.addRow("", self.compare_check)

        self.notes_label = QLabel(self)
        self.notes_label.setObjectName("replayNotes")
        self.notes_label.setAccessibleName("About this replay")
        self.notes_label.setWordWrap(True)
        self._show_plan()

        self.error_label = QLabel(self)
        self.error_label.setObjectName("replayError")
        self.error_label.setAccessibleName("Replay problem")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.replay_button = QPushButton("&Replay", self)
        self.replay_button.setObjectName("replayStart")
        self.replay_button.setAccessibleName("Start the replay")
        self.replay_button.setDefault(True)
        buttons.addButton(self.replay_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._try_accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def _buddy(self, text: str, widget: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(widget)
        return label

    def _show_plan(self) -> None:
        steps, notes = self._plans[self.frames_radio.isChecked()]
        count = f"{steps} {'frame' if self.frames_radio.isChecked() else 'step'}"
        lines = [f"{count}{'' if steps == 1 else 's'} to send.", *notes]
        self.notes_label.setText(
            "<br>".join(html.escape(line[:1].upper() + line[1:]) for line in lines)
        )

    def request(self) -> ReplayRequest:
        word = str(self.timing_combo.currentData())
        return ReplayRequest(
            url=self.url_edit.text().strip(),
            timing=timing_word(word, self.factor_spin.value()),
            frames=self.frames_radio.isChecked(),
            compare=self.compare_check.isChecked(),
        )

    def _try_accept(self) -> None:
        problem = check_url(self.url_edit.text().strip())
        if problem is not None:
            self.error_label.setText(problem)
            self.error_label.setStyleSheet(f"color: {theme.current().violation.name()};")
            self.error_label.show()
            self.url_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.accept()
