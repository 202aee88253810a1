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
