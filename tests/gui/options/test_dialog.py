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
