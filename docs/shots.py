"""What the screenshot scripts share: a window at its default size on a qasync loop,
with settings and the data folder (live journals) in temporary directories, so the
user's are not touched and theirs do not show up in the pictures.

``WS_INSPECTOR_SHOT_SIZE=1024x640`` makes the window that size instead (to look at a
small screen; the pictures in docs/ are taken at the default size)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from typing import TypeVar

import qasync
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from inspector.gui.window.main_window import DEFAULT_SIZE, MainWindow

T = TypeVar("T")


def shot_size() -> tuple[int, int]:
    """The window's size: ``WS_INSPECTOR_SHOT_SIZE`` (``WIDTHxHEIGHT``), else the default."""
    size = os.environ.get("WS_INSPECTOR_SHOT_SIZE")
    if not size:
        return DEFAULT_SIZE
    width, _, height = size.lower().partition("x")
    return int(width), int(height)


def run_in_window(shoot: Callable[[MainWindow], Awaitable[T]], timeout: float) -> T:
    settings_dir = tempfile.mkdtemp(prefix="ws-inspector-shots-")
    data_dir = tempfile.mkdtemp(prefix="ws-inspector-shots-data-")
    os.environ["WS_INSPECTOR_DATA_DIR"] = data_dir
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, settings_dir)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    QCoreApplication.setOrganizationName("ws-inspector-screenshots")
    QCoreApplication.setApplicationName("ws-inspector-screenshots")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow()
    window.resize(*shot_size())
    window.show()
    try:
        return loop.run_until_complete(asyncio.wait_for(shoot(window), timeout))
    finally:
        window.close_now()
        # What closing spawned (a server's goodbye to its clients) runs before the
        # loop goes, as the application's own shutdown lets it.
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=2))
        loop.close()
        asyncio.set_event_loop(None)
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(settings_dir, ignore_errors=True)
