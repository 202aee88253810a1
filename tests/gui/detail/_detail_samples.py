"""Helpers the detail pane's tests share."""

from __future__ import annotations

from conftest import TIMEOUT_FACTOR
from pytestqt.qtbot import QtBot

from inspector.gui.detail import FrameDetailView

BIG = 64 * 2**20
WAIT_MS = int(2000 * TIMEOUT_FACTOR)


def make_detail(qtbot: QtBot) -> FrameDetailView:
    view = FrameDetailView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view, timeout=WAIT_MS)
    return view


def fields_by_name(view: FrameDetailView) -> dict[str, tuple[str, int, str, int, int]]:
    return {f.name: (f.bits, f.value, f.text, f.start, f.width) for f in view.bits.fields}
