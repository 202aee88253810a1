"""A viewport made in Python is set up as a scroll area's own, and draws the same."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTableView, QWidget
from pytestqt.qtbot import QtBot

from inspector.gui.widgets.viewport import VIEWPORT_NAME, plain_viewport


def _settings(viewport: QWidget) -> dict[str, object]:
    attributes = [a.name for a in Qt.WidgetAttribute if viewport.testAttribute(a)]
    return {
        "name": viewport.objectName(),
        "background": viewport.backgroundRole(),
        "foreground": viewport.foregroundRole(),
        "fills": viewport.autoFillBackground(),
        "focus": viewport.focusPolicy(),
        "focus proxy": type(viewport.focusProxy()).__name__,
        "mouse tracking": viewport.hasMouseTracking(),
        "attributes": attributes,
    }


def _table(qtbot: QtBot, *, ours: bool) -> QTableView:
    table = QTableView()
    qtbot.addWidget(table)
    if ours:
        table.setViewport(plain_viewport(table))
    rows = QStandardItemModel(3, 2, table)
    for r in range(3):
        for c in range(2):
            rows.setItem(r, c, QStandardItem(f"{r},{c}"))
    table.setModel(rows)
    table.resize(240, 160)
    return table


def test_plain_viewport_is_set_up_as_qts_own(qtbot: QtBot) -> None:
    stock, ours = _table(qtbot, ours=False), _table(qtbot, ours=True)
    assert ours.viewport().objectName() == VIEWPORT_NAME
    assert _settings(ours.viewport()) == _settings(stock.viewport())


def test_plain_viewport_draws_what_qts_own_draws(qtbot: QtBot) -> None:
    images: list[QImage] = []
    for ours in (False, True):
        table = _table(qtbot, ours=ours)
        table.show()
        qtbot.waitExposed(table)
        images.append(table.grab().toImage())
    assert images[0] == images[1]
