"""The timeline's "Show payloads as" menu: one entry per registered view, forcing a
view for the whole connection and back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _timeline_samples import cell, make_view
from conftest import Capture
from pytestqt.qtbot import QtBot

from inspector.gui.timeline import COL_PAYLOAD
from inspector.gui.timeline.view_menu import BEST_VIEW
from inspector.protocol.frames import FrameSpec
from inspector.views.registry import default_registry

pytestmark = pytest.mark.gui


def test_the_menu_forces_a_view_for_the_connection(
    capture: Callable[..., Capture], qtbot: QtBot
) -> None:
    c = capture()
    c.receive(FrameSpec(1, b'{"a": 1}'), FrameSpec(2, b"\x00\x01\x02"))
    view = make_view(qtbot, c)
    menu = view.payload_view_menu()
    titles = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert titles == [BEST_VIEW, *(v.title for v in default_registry())]
    assert [a.text() for a in menu.actions() if a.isChecked()] == [BEST_VIEW]
    assert cell(view.model, 1, COL_PAYLOAD) == "00 01 02"
    text = next(a for a in menu.actions() if a.objectName() == "payloadView_text")
    text.trigger()
    assert view.model.forced_view() == "text"
    assert cell(view.model, 1, COL_PAYLOAD) == "\\x00\\x01\\x02"
    again = view.payload_view_menu()
    assert [a.objectName() for a in again.actions() if a.isChecked()] == ["payloadView_text"]
    best = next(a for a in again.actions() if a.text() == BEST_VIEW)
    best.trigger()
    assert view.model.forced_view() is None
    assert cell(view.model, 1, COL_PAYLOAD) == "00 01 02"


def test_without_a_store_the_menu_is_disabled(qtbot: QtBot) -> None:
    from inspector.gui.timeline import TimelineView

    view = TimelineView()
    qtbot.addWidget(view)
    assert not view.payload_view_menu().isEnabled()


def test_the_timelines_context_menu_offers_it(window: object) -> None:
    from PySide6.QtWidgets import QMenu

    panel = window.current_panel()  # type: ignore[attr-defined]
    assert panel is not None
    menu = panel.copy_menu.build_menu(-1)
    sub = menu.findChild(QMenu, "payloadViewMenu")
    assert sub is not None and sub.title() == "Show payloads as"
