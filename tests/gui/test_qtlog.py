"""Qt's messages reach logging, at the matching level, with their category."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from PySide6.QtCore import (
    QMessageLogContext,
    QtMsgType,
    qCritical,
    qDebug,
    qInstallMessageHandler,
    qWarning,
)

from inspector.gui.qtlog import install_qt_message_handler, qt_message_to_log


def test_qt_messages_are_logged(qapp: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="inspector.gui.qtlog")
    previous = install_qt_message_handler()
    try:
        qWarning("a warning from Qt")
        qDebug("a debug message from Qt")
        qCritical("a critical one")
    finally:
        assert qInstallMessageHandler(previous) is qt_message_to_log
    got = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert got == [
        ("inspector.gui.qtlog", logging.WARNING, "default: a warning from Qt"),
        ("inspector.gui.qtlog", logging.DEBUG, "default: a debug message from Qt"),
        ("inspector.gui.qtlog", logging.ERROR, "default: a critical one"),
    ]


def test_levels_below_the_logger_level_cost_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="inspector.gui.qtlog")
    qt_message_to_log(QtMsgType.QtDebugMsg, QMessageLogContext(), "dropped")
    qt_message_to_log(QtMsgType.QtInfoMsg, QMessageLogContext(), "dropped too")
    assert caplog.records == []
