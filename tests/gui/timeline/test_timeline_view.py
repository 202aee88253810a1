"""The timeline widget: follow-tail, selection, the filter bar, names for assistive
technology, painting only what is visible, column widths."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from _timeline_samples import WAIT_MS, cell, flood, make_view, sample, store_rows
from conftest import Capture
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from inspector.capture.events import Direction
from inspector.gui.timeline import COL_OPCODE, COL_PAYLOAD, COLUMNS
from inspector.protocol.frames import FrameSpec

pytestmark = pytest.mark.gui


def test_follow_tail(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    view = make_view(qtbot, c)
    bar = view.table.verticalScrollBar()
    flood(c, 500)
    assert view.refresh() == 500
    assert view.following
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    assert "Following" in view.follow_button.text()

    bar.setValue(10)  # the user scrolls up
    assert not view.following
    flood(c, 100)
    view.refresh()
    assert bar.value() == 10, "paused: the view does not move"
    assert "Paused" in view.follow_button.text() and "100 new" in view.follow_button.text()

    bar.setValue(bar.maximum())  # back at the bottom: follow again
    assert view.following
    flood(c, 100)
    view.refresh()
    assert bar.value() == bar.maximum()
    assert view.model.rowCount() == 700

    bar.setValue(0)
    assert not view.following
    flood(c, 50)
    view.refresh()
    qtbot.mouseClick(view.follow_button, Qt.MouseButton.LeftButton)
    assert view.following and bar.value() == bar.maximum()


def test_follow_survives_filter_changes(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    view = make_view(qtbot, c)
    flood(c, 400)
    view.refresh()
    view.model.set_filter(search="frame 1")
    assert view.following
    bar = view.table.verticalScrollBar()
    assert bar.value() == bar.maximum()
    flood(c, 200)
    view.refresh()
    assert bar.value() == bar.maximum()
    assert view.status_label.text() == f"{view.model.rowCount():,} of 600 frames"


def test_selection_emits_the_store_row(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    view = make_view(qtbot, c, height=500)
    view.refresh()
    view.model.set_filter(dirs=[Direction.OUT])
    selected: list[int] = []
    view.frameSelected.connect(selected.append)
    table = view.table
    rect = table.visualRect(view.model.index(2, COL_PAYLOAD))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert selected == [11]
    assert view.selected_store_row() == 11
    assert not view.following, "looking at a frame pauses following"
    # The selection survives a filter change that keeps the frame...
    view.model.set_filter(dirs=[Direction.OUT], kinds=["binary", "continuation"])
    assert table.selectionModel().selectedRows()[0].row() == view.model.view_row(11)
    assert selected == [11]
    # ...and is kept (the detail pane goes on showing it) by one that hides it.
    view.model.set_filter(dirs=[Direction.IN])
    assert selected == [11] and view.selected_store_row() == 11
    assert table.selectionModel().selectedRows() == []
    assert view.select_store_row(14)
    assert selected[-1] == 14
    assert not view.select_store_row(0)


def test_filter_bar_drives_the_model(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    view = make_view(qtbot, c)
    view.refresh()
    model = view.model
    view.out_button.setChecked(False)
    assert store_rows(model) == [1, 2, 3, 4, 5, 7, 8, 9, 10, 14]
    view.out_button.setChecked(True)
    view.ping_button.setChecked(True)
    assert model.rowCount() == 14
    view.ping_button.setChecked(False)
    view.violations_button.setChecked(True)
    assert store_rows(model) == [9, 10]
    view.violations_button.setChecked(False)
    for kind, action in view.kind_actions.items():
        action.setChecked(kind == "control")
    assert store_rows(model) == [3, 6, 14, 15]
    assert view.kinds_button.text() == "Kinds (1)"
    for action in view.kind_actions.values():
        action.setChecked(True)
    assert model.rowCount() == 16

    # Typing is debounced, then applied.
    view.focus_filter()
    qtbot.keyClicks(view.search_edit, "welcome")
    assert model.rowCount() == 16, "not applied while typing"
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=WAIT_MS)
    assert view.status_label.text() == "1 of 16 frames"

    # An invalid regex shows an error and no stale rows.
    view.search_edit.setText("welc(")
    view.regex_button.setChecked(True)
    assert view.error_label.isVisibleTo(view)
    assert "Invalid regular expression" in view.error_label.text()
    assert model.rowCount() == 0
    view.search_edit.setText("welc.me")
    qtbot.keyClick(view.search_edit, Qt.Key.Key_Return)
    assert not view.error_label.isVisibleTo(view)
    assert store_rows(model) == [1]
    view.case_button.setChecked(True)
    view.search_edit.setText("WELC.ME")
    qtbot.keyClick(view.search_edit, Qt.Key.Key_Return)
    assert model.rowCount() == 0
    qtbot.keyClick(view.search_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: model.rowCount() == 16, timeout=WAIT_MS)

    view.clock_button.setChecked(True)
    assert model.wall_clock


def test_controls_have_names(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    view = make_view(qtbot, sample(capture))
    controls = [
        w
        for w in view.findChildren(QAbstractButton) + view.findChildren(QLineEdit)
        if w.isEnabled() and w.metaObject().className() != "QTableCornerButton"
    ]
    assert len(controls) >= 10
    for w in [*controls, view.table]:
        assert w.objectName(), w
        assert w.accessibleName(), w.objectName()
    names = {w.objectName() for w in view.findChildren(QWidget)}
    assert {
        "filterOut",
        "filterIn",
        "filterKinds",
        "filterHidePingPong",
        "filterViolations",
        "filterSearch",
        "filterRegex",
        "filterCase",
        "followButton",
        "frameTable",
    } <= names


def test_table_settings_for_speed(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    from PySide6.QtWidgets import QHeaderView

    view = make_view(qtbot, sample(capture))
    table = view.table
    vh = table.verticalHeader()
    assert not vh.isVisible()
    assert vh.sectionResizeMode(0) == QHeaderView.ResizeMode.Fixed
    assert not table.wordWrap()
    assert table.textElideMode() == Qt.TextElideMode.ElideRight


def test_repaint_touches_only_visible_rows(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    c = capture()
    view = make_view(qtbot, c)
    flood(c, 20000, batch=1000)
    view.refresh()
    calls = 0
    model = view.model
    original = model.data

    def counting(index, role=0):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return original(index, role)

    model.data = counting  # type: ignore[method-assign]
    view.table.viewport().grab()
    visible_rows = (
        view.table.viewport().height() // view.table.verticalHeader().defaultSectionSize()
    )
    assert calls > 0, "Qt reaches data() through the instance"
    assert calls < (visible_rows + 2) * len(COLUMNS) * 12, "only visible cells are asked"


def test_grab_renders(qtbot: QtBot, capture: Callable[..., Capture], tmp_path: Path) -> None:
    view = make_view(qtbot, sample(capture), height=420)
    view.refresh()
    view.select_store_row(9)
    image = view.grab().toImage()
    assert not image.isNull() and image.width() == 900
    assert view.grab().save(str(tmp_path / "timeline.png"))


def test_every_opcode_name_fits_its_column(qtbot: QtBot, capture: Callable[..., Capture]) -> None:
    # A reserved opcode is what a broken peer sends; "RESE…" would not say which one.
    from PySide6.QtWidgets import QStyleOptionViewItem

    c = capture()
    c.receive(*(FrameSpec(op, b"x") for op in (*range(3, 8), *range(0xB, 0x10), 0x2)))
    c.receive(FrameSpec(1, b"a", fin=False), FrameSpec(0, b"b"))  # with a bracket
    view = make_view(qtbot, c)
    view.refresh()
    table = view.table
    option = QStyleOptionViewItem()
    table.initViewItemOption(option)
    width = table.columnWidth(COL_OPCODE)
    for row in range(view.model.rowCount()):
        index = view.model.index(row, COL_OPCODE)
        needed = table.itemDelegate().sizeHint(option, index).width()
        assert needed <= width, (cell(view.model, row, COL_OPCODE), needed, width)
