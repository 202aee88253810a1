"""The Replay against… dialog on its own: what it asks for and what it returns."""

from __future__ import annotations

from typing import Any

import pytest
from _gui_support import by_name
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QRadioButton

from inspector.gui.automation.replay_dialog import ReplayDialog, ReplayRequest

pytestmark = pytest.mark.gui

PLANS = {False: (4, ["a header was withheld from the capture: not sent"]), True: (7, [])}


def _dialog(qtbot: Any, *, frames_possible: bool = True) -> ReplayDialog:
    dialog = ReplayDialog(
        "ws://127.0.0.1:9/x", "talk.jsonl", plans=PLANS, frames_possible=frames_possible
    )
    qtbot.addWidget(dialog)
    return dialog


def test_the_defaults_replay_the_messages_with_their_spacing_and_compare(qtbot: Any) -> None:
    dialog = _dialog(qtbot)
    assert dialog.request() == ReplayRequest("ws://127.0.0.1:9/x", "original", False, True)
    notes = by_name(dialog, QLabel, "About this replay").text()
    assert notes == "4 steps to send.<br>A header was withheld from the capture: not sent"
    assert not by_name(dialog, QDoubleSpinBox, "Timing factor").isEnabled()


def test_a_scaled_frames_replay_without_comparing(qtbot: Any) -> None:
    dialog = _dialog(qtbot)
    combo = by_name(dialog, QComboBox, "Replay timing")
    combo.setCurrentIndex(combo.findData("scale"))
    factor = by_name(dialog, QDoubleSpinBox, "Timing factor")
    assert factor.isEnabled()
    factor.setValue(0.25)
    by_name(dialog, QRadioButton, "Send the exact frames").setChecked(True)
    by_name(dialog, QCheckBox, "Compare the answers").setChecked(False)
    assert dialog.request() == ReplayRequest("ws://127.0.0.1:9/x", "0.25", True, False)
    assert by_name(dialog, QLabel, "About this replay").text() == "7 frames to send."
    combo.setCurrentIndex(combo.findData("fast"))
    assert dialog.request().timing == "fast"


def test_a_har_capture_has_no_frames_to_offer(qtbot: Any) -> None:
    dialog = _dialog(qtbot, frames_possible=False)
    frames = by_name(dialog, QRadioButton, "Send the exact frames")
    assert not frames.isEnabled() and "HAR" in frames.toolTip()
    assert not dialog.request().frames
