"""The options dialog keeps what it has no field for and edits the capture budget."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from inspector.gui.options.defaults import builtin_options
from inspector.gui.options.dialog import OptionsDialog

pytestmark = pytest.mark.gui


def test_the_capture_budget_is_edited_and_other_options_survive(qtbot: Any) -> None:
    base = replace(builtin_options(), max_capture_bytes=64 * 2**20, read_size=4096)
    dialog = OptionsDialog(base)
    qtbot.addWidget(dialog)
    assert dialog.max_capture_spin.value() == 64
    assert dialog.options() == base  # opened and accepted unchanged: nothing lost
    dialog.max_capture_spin.setValue(0)
    assert dialog.options().max_capture_bytes is None  # unlimited
    dialog.max_capture_spin.setValue(8)
    out = dialog.options()
    assert out.max_capture_bytes == 8 * 2**20 and out.read_size == 4096


def test_the_engineio_switch_is_edited_and_kept_as_a_default(qtbot: Any) -> None:
    from inspector.gui.options.defaults import options_from_json, options_to_json

    base = builtin_options()
    assert base.engineio_pongs  # on unless turned off, like automatic pongs
    dialog = OptionsDialog(base)
    qtbot.addWidget(dialog)
    assert dialog.engineio_pongs_check.isChecked()
    assert dialog.engineio_pongs_check.accessibleName()
    dialog.engineio_pongs_check.setChecked(False)
    off = dialog.options()
    assert not off.engineio_pongs and off.auto_pong
    assert not options_from_json(options_to_json(off)).engineio_pongs
    again = OptionsDialog(off)
    qtbot.addWidget(again)
    assert not again.engineio_pongs_check.isChecked()


@pytest.mark.parametrize(
    ("auto_pong", "pong_delay", "choice"),
    [(True, None, "At once"), (True, 0.25, "After a delay"), (False, None, "Never")],
)
def test_the_pong_policy_round_trips(
    qtbot: Any, auto_pong: bool, pong_delay: float | None, choice: str
) -> None:
    base = replace(builtin_options(), auto_pong=auto_pong, pong_delay=pong_delay)
    dialog = OptionsDialog(base)
    qtbot.addWidget(dialog)
    assert dialog.pong_combo.currentText() == choice
    assert dialog.pong_delay_spin.isEnabled() == (choice == "After a delay")
    assert dialog.options() == base


def test_choosing_a_pong_delay_and_a_ping_deadline(qtbot: Any) -> None:
    dialog = OptionsDialog(builtin_options())
    qtbot.addWidget(dialog)
    assert not dialog.ping_timeout_spin.isEnabled()  # no keepalive yet: no deadline
    dialog.pong_combo.setCurrentText("After a delay")
    dialog.pong_delay_spin.setValue(1500)
    dialog.keepalive_spin.setValue(5)
    assert dialog.ping_timeout_spin.isEnabled()
    dialog.ping_timeout_spin.setValue(2)
    dialog.ping_late_combo.setCurrentText("is only recorded")
    dialog.ping_payload_edit.setText("hb")
    out = dialog.options()
    assert (out.auto_pong, out.pong_delay) == (True, 1.5)
    assert (out.keepalive_interval, out.ping_timeout) == (5, 2)
    assert not out.ping_late_fails and out.ping_payload == b"hb"
    dialog.pong_combo.setCurrentText("Never")
    assert (dialog.options().auto_pong, dialog.options().pong_delay) == (False, None)


def test_a_ping_payload_over_125_bytes_cannot_be_accepted(qtbot: Any) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    dialog = OptionsDialog(builtin_options())
    qtbot.addWidget(dialog)
    dialog.ping_payload_edit.setText("é" * 63)  # 126 bytes of UTF-8
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok is not None and not ok.isEnabled()
    assert "at most 125 bytes" in dialog.problem_label.text()


def test_the_reconnect_policy_is_set_and_read_apart_from_the_options(qtbot: Any) -> None:
    from inspector.gui.session.controller import Backoff, ReconnectPolicy

    dialog = OptionsDialog(builtin_options())
    qtbot.addWidget(dialog)
    assert dialog.reconnect_policy() is None and not dialog.max_attempts_spin.isEnabled()
    dialog.set_reconnect_policy(ReconnectPolicy(5, Backoff(first=1.5)))
    assert dialog.reconnect_check.isChecked() and dialog.max_attempts_spin.isEnabled()
    assert dialog.reconnect_policy() == ReconnectPolicy(5, Backoff(first=1.5))
    dialog.max_attempts_spin.setValue(0)
    policy = dialog.reconnect_policy()
    assert policy is not None and policy.max_attempts is None  # no limit
    dialog.reconnect_check.setChecked(False)
    assert dialog.reconnect_policy() is None
    assert dialog.options() == builtin_options()  # not a connection option
