"""Qt's own messages (warnings about fonts, platform plugins, style sheets...) go into
:mod:`logging`, instead of straight to standard error, so that ``--log-level`` governs
them like ours and they carry their Qt category (``qt.qpa.xcb``, ``default``...)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

__all__ = ["install_qt_message_handler", "qt_message_to_log"]

log = logging.getLogger(__name__)

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}

QtMessageHandler = Callable[[QtMsgType, QMessageLogContext, str], Any]


def qt_message_to_log(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """The message handler: one log record per Qt message, at the matching level."""
    level = _LEVELS.get(kind, logging.WARNING)
    if not log.isEnabledFor(level):
        return
    category = context.category or "default"
    where = f" ({context.file}:{context.line})" if context.file else ""
    log.log(level, "%s: %s%s", category, message, where)


def install_qt_message_handler() -> QtMessageHandler | None:
    """Route Qt's messages into logging; returns the handler that was installed before
    (``None`` for Qt's default), for :func:`qInstallMessageHandler` to put back."""
    previous: QtMessageHandler | None = qInstallMessageHandler(qt_message_to_log)
    return previous
