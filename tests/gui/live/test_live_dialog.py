"""The listen address, problem line and buttons the New proxy and New server dialogs
share: the same words for the same mistake (the engine's), nothing accepted while
one is shown, and the buttons after the fields in the focus chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from _gui_support import by_name
from PySide6.QtWidgets import QAbstractButton, QDialog, QLabel, QLineEdit

from inspector.engine.options import parse_listen_address
from inspector.gui.live.dialog import ListenDialog
from inspector.gui.proxy.dialog import NewProxyDialog
from inspector.gui.server.dialog import NewServerDialog

pytestmark = pytest.mark.gui


def _focus_chain(dialog: QDialog) -> list[str]:
    names: list[str] = []
    widget = dialog.nextInFocusChain()
    while widget is not None and widget is not dialog and len(names) < 200:
        if widget.isEnabled() and widget.focusPolicy().value & 1 and widget.objectName():
            names.append(widget.objectName())
        widget = widget.nextInFocusChain()
    return names


@pytest.mark.parametrize(
    ("kind", "prefix"), [(NewProxyDialog, "proxy"), (NewServerDialog, "server")]
)
def test_both_dialogs_refuse_a_bad_address_in_the_same_words(
    qtbot: Any, kind: Callable[[], ListenDialog], prefix: str
) -> None:
    dialog = kind()
    qtbot.addWidget(dialog)
    accepted: list[bool] = []
    dialog.accepted.connect(lambda: accepted.append(True))
    listen = by_name(dialog, QLineEdit, "Listen address")
    assert listen.objectName() == f"{prefix}Listen"
    listen.setText("localhost")
    dialog.accept()
    problem = by_name(dialog, QLabel, "What is wrong")
    assert problem.objectName() == f"{prefix}Problem"
    with pytest.raises(ValueError) as refused:
        parse_listen_address("localhost")
    assert problem.isVisibleTo(dialog) and problem.text() == str(refused.value)
    assert not accepted and dialog.problem() == str(refused.value)
    listen.setText("127.0.0.1:0")
    assert dialog.listen_address() == ("127.0.0.1", 0)


def test_the_buttons_come_after_every_field(qtbot: Any) -> None:
    """They are made last (:meth:`ListenDialog.finish`), though the base class is
    built first."""
    dialog = NewServerDialog()
    qtbot.addWidget(dialog)
    chain = _focus_chain(dialog)
    fields = [n for n in chain if n not in ("serverStart", "serverCancel")]
    assert chain[len(fields) :] == ["serverStart", "serverCancel"]
    assert by_name(dialog, QAbstractButton, "Start server").objectName() == "serverStart"
