"""The window starts without what its first screen does not show.

A fresh interpreter parses the window's command line, imports :mod:`inspector.app`
and builds and paints a :class:`MainWindow` (offscreen, with fresh settings and data
folders); the modules that load when first used (the probe, the proxy, HAR, the
server code, the terminal commands, the payload formats) must not be in
``sys.modules`` by then, nor the engine's client (it loads with the first
connection), h11, the websockets package (only its C unmask helper is loaded, from
its file) and ``importlib.metadata``. Then it opens a Check server tab, a proxy
tab's module path, the library's dock and a handshake name, to show the lazy names
still resolve. The compose pane's pages besides Text and the frame detail's tabs
load with their first use too, and ``qasync`` and ``asyncio`` after the window's first
paint (the event loop starts right after it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Loaded on first use, never by the first screen.
LAZY_MODULES = (
    "inspector.engine.server",
    "inspector.engine.proxy",
    "inspector.probe",
    "inspector.automation",
    "inspector.gui.probe",
    "inspector.gui.proxy.dialog",
    "inspector.gui.proxy.view",
    "inspector.gui.session.proxy",
    "inspector.capture.formats.har",
    "inspector.views.formats",
    "inspector.cli.capture",
    "inspector.cli.convert",
    "inspector.cli.decode",
    "inspector.cli.probe",
    "inspector.cli.proxy",
    "inspector.cli.replay",
    "inspector.cli.serve",
    "inspector.gui.options.dialog",
    "inspector.gui.library.panel",
    "inspector.library.store",
    "inspector.library.items",
    "inspector.gui.handshake.pane",
    "inspector.gui.handshake.summary",
    "inspector.gui.window.rtt_pane",
    "inspector.engine.client",
    "inspector.engine.connection",
    "inspector.engine.journal",
    "inspector.protocol.handshake.client",
    "inspector.protocol.handshake.h11_bridge",
    "h11",
    "websockets",
    "importlib.metadata",
    "platform",
    "cryptography",
    "msgpack",
    "cbor2",
    "blackboxprotobuf",
    "google.protobuf",
    "inspector.gui.compose.binary",
    "inspector.gui.compose.format",
    "inspector.gui.compose.forms",
    "inspector.gui.compose.control",
    "inspector.gui.compose.frame",
    "inspector.gui.compose.raw",
    "inspector.gui.detail.bits",
    "inspector.gui.detail.header_tab",
    "inspector.gui.detail.masking",
    "inspector.gui.detail.payload",
    "inspector.gui.detail.hexview",
    "inspector.gui.detail.json_view",
    "inspector.gui.detail.text_view",
    "inspector.gui.detail.decoded_view",
    "inspector.gui.detail.message",
    "inspector.gui.detail.violations",
    "qasync",
    "asyncio",
    "inspector.capture.formats.jsonl",
    "inspector.capture.formats.journal",
    "inspector.gui.captures.dialogs",
    "hashlib",
    "html",
    "datetime",
    "shlex",
    "socket",
    "ctypes",
    # The data model loads with the first connection or capture: the first screen's
    # signals carry objects, its annotations are not evaluated, and a tab's options
    # are made when first needed.
    "inspector.capture.events",
    "inspector.capture.store",
    "inspector.capture.live",
    "inspector.capture.arena",
    "inspector.capture.query",
    "inspector.capture.wire",
    "inspector.protocol.events",
    "inspector.protocol.frames",
    "inspector.protocol.violations",
    "inspector.protocol.handshake.accept",
    "inspector.engine.options",
    "inspector.engine.reconnect",
    "inspector.gui.session.reconnect",
    "inspector.views.base",
    "inspector.views.registry",
    "inspector.views.context",
    "inspector.views.conversation",
    "inspector.views.frame_fields",
    # The first screen defines no dataclass (its records are NamedTuples or a slotted
    # class). It parses no JSON either, but this test's child loads json itself.
    "dataclasses",
)

#: Qt classes PySide6 makes (with their enums) on first use that the first screen
#: does not use: its dialogs, rich text and gradients, and the QWidget subclasses a
#: widget made by Qt (a scroll area's own viewport) is looked up among.
LAZY_QT_CLASSES = {
    "QtWidgets": (
        "QStyle",
        "QFileDialog",
        "QMessageBox",
        "QDialogButtonBox",
        "QInputDialog",
        "QWizard",
        "QGraphicsView",
        "QCalendarWidget",
        "QMdiArea",
    ),
    "QtGui": ("QTextDocument", "QGradient", "QImage", "QDesktopServices"),
    "QtCore": ("QUrl",),
}

_CHILD = r"""
import json, sys
from inspector.cli.main import parse_window_args

ns = parse_window_args([])
import inspector.app
from PySide6.QtWidgets import QApplication

app = QApplication([sys.argv[0]])
window = inspector.app.MainWindow(offer_recovery=False)  # as the command builds it
window.show()
app.processEvents()
lazy = json.loads(sys.argv[1])
loaded_at_start = sorted(m for m in lazy if m in sys.modules)
import linecache
cached_sources = sorted(linecache.cache)
import PySide6
# PySide6 makes a class (and its enums) on first use: QStyle's cost ~8 ms.
qt_made = sorted(
    f"{module}.{name}"
    for module, names in json.loads(sys.argv[2]).items()
    for name in names
    if name in vars(getattr(PySide6, module))
)
window.captures.recovery.offer()  # what the command does next
journal_loaded = "inspector.capture.formats.journal" in sys.modules
window.check_server()  # the first use loads the probe tab
from inspector.gui.proxy import NewProxyDialog

window.library.show()  # the library's dock builds its panel when first shown
from inspector.protocol.handshake import ResponseParser

panel = window.panels()[0]  # the connection tab (the Check server tab is current)
panel.compose.tabs.setCurrentIndex(panel.compose.TAB_FORMAT)
detail_tabs = panel.detail.tabs.count()

print(json.dumps({
    "target": ns.target,
    "tabs": window.tabs.count(),
    "loaded_at_start": loaded_at_start,
    "cached_sources": cached_sources,
    "qt_made": qt_made,
    "probe_loaded": "inspector.gui.probe.view" in sys.modules,
    "probe_views": len(window.probe_views()),
    "proxy_dialog": NewProxyDialog.__name__,
    "library_panel": type(window.library.dock.widget()).__name__,
    "library_loaded": "inspector.library.store" in sys.modules,
    "handshake_name": ResponseParser.__module__,
    "format_loaded": "inspector.gui.compose.format" in sys.modules,
    "binary_loaded": "inspector.gui.compose.binary" in sys.modules,
    "detail_tabs": detail_tabs,
    "payload_loaded": "inspector.gui.detail.payload" in sys.modules,
    "journal_loaded": journal_loaded,
}))
window.close_tab(window.tabs.currentIndex(), confirmed=True)
print(json.dumps({"tabs_after_close": window.tabs.count()}))
window.close_now()
"""


# As the command starts the window: qasync is not loaded yet when the window first
# paints, and is once the window is up (the event loop runs on it).
_LOOP_CHILD = r"""
import json, sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow
from inspector.cli.display import display_problem

assert display_problem() is None  # as the command checks
import inspector.app

seen = {}

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if isinstance(obj, QMainWindow) and event.type() == QEvent.Type.Paint and not seen:
            seen["qasync_at_first_paint"] = "qasync" in sys.modules
            seen["asyncio_at_first_paint"] = "asyncio" in sys.modules
            seen["ctypes_at_first_paint"] = "ctypes" in sys.modules
            seen["socket_at_first_paint"] = "socket" in sys.modules
            seen["journal_at_first_paint"] = "inspector.capture.formats.journal" in sys.modules
        return False

app = QApplication([sys.argv[0]])
watcher = FirstPaint()
app.installEventFilter(watcher)

def ready(window):
    seen["qasync_when_ready"] = type(__import__("asyncio").get_running_loop()).__module__
    seen["journal_when_ready"] = "inspector.capture.formats.journal" in sys.modules

code = inspector.app.run_window(quit_after_ms=100, on_ready=ready)
app.removeEventFilter(watcher)
print(json.dumps(dict(seen, code=code)))
"""


def run_child(tmp_path: Path, child: str = _CHILD) -> list[dict[str, object]]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        WS_INSPECTOR_DATA_DIR=str(tmp_path / "inspector"),
    )
    out = subprocess.run(
        [sys.executable, "-c", child, json.dumps(LAZY_MODULES), json.dumps(LAZY_QT_CLASSES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_first_screen_leaves_lazy_modules_unloaded(tmp_path: Path) -> None:
    first, after = run_child(tmp_path)
    assert first["loaded_at_start"] == []
    assert first["cached_sources"] == []  # PySide6's scan keeps no module's lines
    assert first["qt_made"] == []  # QStyle: made to paint a search hit or a violation
    assert first["target"] is None
    assert first["tabs"] == 2  # the first connection tab and the Check server tab
    assert first["probe_loaded"] is True
    assert first["probe_views"] == 1
    assert first["proxy_dialog"] == "NewProxyDialog"
    assert first["library_panel"] == "LibraryPanel"
    assert first["library_loaded"] is True
    assert first["handshake_name"] == "inspector.protocol.handshake.h11_bridge"
    assert first["format_loaded"] is True  # shown: built
    assert first["binary_loaded"] is False  # never shown nor asked for
    assert first["detail_tabs"] == 6
    assert first["payload_loaded"] is True
    assert first["journal_loaded"] is False  # no journal to look into: no reader loaded
    assert after["tabs_after_close"] == 1  # closing the probe tab took it away


def _leave_a_journal(data: Path) -> None:
    """A journal a killed session left behind (no end line), in the data folder."""
    from inspector.capture.events import SessionInfo, SessionRole
    from inspector.capture.formats.folders import journal_dir
    from inspector.capture.formats.journal import JournalWriter

    info = SessionInfo("ws://127.0.0.1:1/", SessionRole.CLIENT, "2026-12-04T00:00:00+00:00", 1.8e9)
    writer = JournalWriter.create(journal_dir(data), info)
    writer.flush()
    writer.abandon()


@pytest.mark.slow
def test_the_event_loop_and_the_journals_load_after_the_first_paint(tmp_path: Path) -> None:
    _leave_a_journal(tmp_path / "inspector")  # the child's WS_INSPECTOR_DATA_DIR
    (figures,) = run_child(tmp_path, _LOOP_CHILD)
    assert figures["qasync_at_first_paint"] is False
    assert figures["asyncio_at_first_paint"] is False
    assert figures["ctypes_at_first_paint"] is False  # the display check uses _ctypes alone
    assert figures["socket_at_first_paint"] is False  # offscreen: no X server to ask
    assert str(figures["qasync_when_ready"]).startswith("qasync")
    assert figures["journal_at_first_paint"] is False
    assert figures["journal_when_ready"] is True  # the journal left was looked into
    assert figures["code"] == 0
