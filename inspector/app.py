"""The desktop application: a Qt window over the asyncio engine, run on qasync.

:func:`run_window` starts it: with a ``ws://`` URL it connects; with a capture
(``.jsonl``) it opens it read-only (a ``.har`` file: each of its WebSocket sessions
in a tab); with ``demo`` it starts an echo server in this process, connects to it and
sends a few messages so there is traffic to look at straight away. The command line
(``ws-inspector [URL | FILE] [--demo]``) is parsed by :mod:`inspector.cli`, which
checks for a usable display before anything of Qt starts.

Quitting (File > Quit, closing the window, Ctrl+C in the terminal) closes every
connection with a close frame and a bounded wait before the event loop stops. File >
Quit and closing the window first ask about captures that were not saved; Ctrl+C does
not ask: the journals of those sessions stay, and the next start offers them back.
Exceptions from callbacks, tasks and Qt slots all end up in one place: the log and
the window's status bar. Qt's own messages go to the log too (:mod:`.gui.qtlog`).

For tests and scripts: ``WS_INSPECTOR_QUIT_AFTER_MS`` (or ``quit_after_ms``) quits by
itself after that many milliseconds, and ``on_ready(window)`` runs once the window
is up (and, with ``--demo``, once the demo traffic was sent).
``WS_INSPECTOR_DATA_DIR`` moves the data folder (live journals), and
``WS_INSPECTOR_UNSAVED=discard|keep|cancel`` answers the unsaved-capture question.
"""

from __future__ import annotations

# The Qt layer first: it makes PySide6's scan of each module imported after PySide6
# cheap (see gui/pyside_scan.py), for this module's own imports too when PySide6 is
# already loaded (a program that made its QApplication first; the start-up
# benchmark), and for qasync's and asyncio's modules.
from . import gui  # noqa: F401

# isort: split
import contextlib
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from . import __version__
from .gui.gcpolicy import GuiThreadCollector
from .gui.qtlog import install_qt_message_handler
from .gui.window.main_window import MainWindow

if TYPE_CHECKING:
    import asyncio

    # Loaded by the demo alone: the window starts without the server code.
    from .engine.server import EchoServer

__all__ = ["QUIT_AFTER_ENV", "fix_mmap_threshold", "main", "run_demo", "run_window"]

log = logging.getLogger(__name__)

APP_NAME = "ws-inspector"
ORG_NAME = "ws-inspector"
QUIT_AFTER_ENV = "WS_INSPECTOR_QUIT_AFTER_MS"
SHUTDOWN_TIMEOUT = 2.0
#: How often Python gets control while Qt waits, so a SIGINT handler can run.
SIGNAL_POLL_MS = 200

DEMO_SUBPROTOCOL = "demo.v1"
DEMO_JSON = '{"type": "subscribe", "channel": "ticker", "symbols": ["BTC-USD", "ETH-USD"], "id": 1}'


async def run_demo(window: MainWindow, *, pause: float = 0.08) -> EchoServer:
    """Start an echo server on 127.0.0.1 (port chosen by the system), connect the
    current tab to it and send text, JSON, binary, a fragmented message and a ping.
    Returns the server; the caller closes it."""
    import asyncio

    from .engine.server import EchoServer

    server = EchoServer("127.0.0.1", 0, subprotocols=(DEMO_SUBPROTOCOL,))
    await server.start()
    panel = window.current_panel() or window.new_session()
    controller = panel.controller
    from dataclasses import replace

    controller.options = replace(controller.options, subprotocols=(DEMO_SUBPROTOCOL,))
    task = panel.connect_to(server.url)
    if task is not None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(task), 10)
    if not controller.is_open:
        return server
    compose = panel.compose
    sends: list[tuple[str, str, Callable[[], bool]]] = [
        (
            "text",
            "TEXT  'Hello, WebSocket! 👋'",
            lambda: controller.send_text("Hello, WebSocket! 👋"),
        ),
        ("text", f"TEXT  {DEMO_JSON[:40]!r}…", lambda: controller.send_text(DEMO_JSON)),
        (
            "binary",
            "BINARY  32 B  89 50 4e 47 …",
            lambda: controller.send_binary(b"\x89PNG\r\n\x1a\n" + bytes(range(24))),
        ),
        (
            "text",
            "TEXT ×4  'This message travels in four fragments…'",
            lambda: controller.send_text(
                "This message travels in four fragments: one, two, three, four.",
                fragments=4,
                compress=False,
            ),
        ),
        ("ping", "PING  'demo-ping'", lambda: controller.send_ping(b"demo-ping")),
    ]
    for kind, label, action in sends:
        compose.send_entry(kind, label, action)
        await asyncio.sleep(pause)
    compose.text_edit.setPlainText('{"type": "hello", "from": "ws-inspector"}')
    return server


#: glibc's mallopt parameter, and the size from which allocations get their own mapping.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 * 1024


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Give every allocation of ``threshold`` bytes or more its own mapping (glibc).

    A capture's columns and payload list grow by realloc. glibc raises its mmap
    threshold (up to 32 MiB) each time a mapped block is freed, so from then on the
    growing buffers live in the heap, and each realloc that moves one leaves the old
    buffer behind as a hole the heap keeps resident: measured 20-40 B per frame of
    RSS on top of the ~97 B the store holds (benchmarks/bench_gui.py, section 7).
    With a fixed threshold, big buffers stay mapped and grow with mremap (no copy,
    no hole) and freed ones go back to the system. 256 KiB: a 100k-frame capture's
    columns (800 KB each) are mapped too (1 MiB left 20 B per frame of holes there);
    the engine reads into its own reused buffer, so no socket read is mapped anew.
    Returns whether it was set (False off glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))


def _quit_after_ms(value: int | None) -> int | None:
    if value is not None:
        return value
    raw = os.environ.get(QUIT_AFTER_ENV, "").strip()
    if not raw:
        return None
    try:
        return max(0, int(raw))
    except ValueError:
        log.warning("%s=%r is not a number of milliseconds; ignored", QUIT_AFTER_ENV, raw)
        return None


ReadyCallback = Callable[[MainWindow], Awaitable[Any] | Any]


def main(
    argv: Sequence[str] | None = None,
    *,
    quit_after_ms: int | None = None,
    on_ready: ReadyCallback | None = None,
) -> int:
    """The window from the window's command-line arguments (``[URL | FILE] [--demo]``,
    parsed by the command's one parser); see :func:`run_window`."""
    from .cli.main import parse_window_args

    ns = parse_window_args(sys.argv[1:] if argv is None else argv)
    return run_window(ns.target, demo=ns.demo, quit_after_ms=quit_after_ms, on_ready=on_ready)


def run_window(
    target: str | None = None,
    *,
    demo: bool = False,
    quit_after_ms: int | None = None,
    on_ready: ReadyCallback | None = None,
) -> int:
    """Run the window until the user quits; returns the exit code (0). ``target`` is
    a URL to connect to or a capture or HAR file to open; ``demo`` starts the demo."""
    previous_qt_handler = install_qt_message_handler()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    if not app.organizationName():
        app.setOrganizationName(ORG_NAME)
        app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    quit_on_last = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)  # quitting goes through our shutdown

    # The window is built, shown and painted before the event loop exists: qasync
    # (~25 ms to import, measured by benchmarks/bench_startup.py) loads after the
    # first paint. Nothing the window does while being built needs the loop.
    window = MainWindow(offer_recovery=False)
    window.show()
    app.processEvents()  # the first paint (where the platform has exposed the window)
    window.captures.recovery.offer()  # journals left by an earlier run: the banner
    # Before any capture grows (ctypes, ~2 ms to import, loads after the first paint).
    fix_mmap_threshold()

    # asyncio too (~15 ms, with ssl and subprocess): the first screen makes no task.
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    collector = GuiThreadCollector()
    collector.install()

    quit_event = asyncio.Event()
    window.quit_handler = quit_event.set
    demo_server: list[EchoServer] = []

    # -- one place for unexpected errors: the log and the status bar
    def report(message: str, exc: BaseException | None = None) -> None:
        if exc is not None:
            log.error("%s", message, exc_info=(type(exc), exc, exc.__traceback__))
        else:
            log.error("%s", message)
        with contextlib.suppress(RuntimeError):  # the window may be gone already
            window.show_error(message if exc is None else f"{message} ({exc!r})")

    def loop_exception_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        report(str(context.get("message") or "unexpected error"), exc)

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            quit_event.set()
            return
        log.error("unhandled exception:\n%s", "".join(traceback.format_exception(kind, exc, tb)))
        with contextlib.suppress(RuntimeError):
            window.show_error(f"unexpected error: {exc!r}")

    loop.set_exception_handler(loop_exception_handler)
    previous_hook = sys.excepthook
    sys.excepthook = excepthook

    # -- Ctrl+C: Python runs signal handlers only when it gets control; a timer
    # gives it control a few times a second while Qt waits for events.
    interrupted = threading.Event()
    previous_sigint: Any = None
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous_sigint = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    poll = QTimer()
    poll.setInterval(SIGNAL_POLL_MS)
    poll.timeout.connect(lambda: quit_event.set() if interrupted.is_set() else None)
    poll.start()

    quit_timer: QTimer | None = None
    delay = _quit_after_ms(quit_after_ms)
    if delay is not None:
        quit_timer = QTimer()
        quit_timer.setSingleShot(True)
        quit_timer.timeout.connect(quit_event.set)

    async def shutdown() -> None:
        window.save_settings()
        # Quitting goes on whatever fails here; what failed is logged.
        try:
            await asyncio.wait_for(window.aclose_all(SHUTDOWN_TIMEOUT), SHUTDOWN_TIMEOUT + 1)
        except Exception:
            log.warning("closing the connections on quit failed", exc_info=True)
        for server in demo_server:
            try:
                await asyncio.wait_for(server.close(), SHUTDOWN_TIMEOUT + 1)
            except Exception:
                log.warning("closing the demo server on quit failed", exc_info=True)
        current = asyncio.current_task()
        leftovers = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        for t in leftovers:
            t.cancel()
        if leftovers:
            await asyncio.wait(leftovers, timeout=SHUTDOWN_TIMEOUT)
        window.close_now()

    async def run() -> None:
        window.show()
        if quit_timer is not None and delay is not None:
            quit_timer.start(delay)
        try:
            if demo:
                demo_server.append(await run_demo(window))
            elif target and "://" not in target and os.path.exists(target):
                await window.open_capture(target)
            elif target:
                panel = window.current_panel() or window.new_session()
                panel.connect_to(target)
            if on_ready is not None:
                result = on_ready(window)
                if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                    await result
        except Exception as exc:  # reported, and the window stays up
            report("starting failed", exc)
        await quit_event.wait()
        await shutdown()

    # If something else quits the Qt application (a session manager, app.quit()),
    # close the connections as far as can be done without the loop running.
    def about_to_quit() -> None:
        quit_event.set()
        for panel in window.panels():
            try:
                panel.shutdown()
            except Exception:
                log.warning("closing a tab as Qt quit failed", exc_info=True)

    app.aboutToQuit.connect(about_to_quit)
    code = 0
    try:
        try:
            loop.run_until_complete(run())
        except RuntimeError as exc:
            if "stopped before Future completed" not in str(exc):
                raise
            # Qt quit on its own: finish closing with the loop running once more.
            loop.run_until_complete(asyncio.wait_for(shutdown(), SHUTDOWN_TIMEOUT + 2))
    finally:
        app.aboutToQuit.disconnect(about_to_quit)
        poll.stop()
        if quit_timer is not None:
            quit_timer.stop()
        if in_main_thread and previous_sigint is not None:
            signal.signal(signal.SIGINT, previous_sigint)
        sys.excepthook = previous_hook
        app.setQuitOnLastWindowClosed(quit_on_last)
        window.quit_handler = None
        window.close_now()
        try:
            loop.run_until_complete(asyncio.sleep(0))
        except Exception:
            log.warning("the event loop's last turn failed", exc_info=True)
        # Delete the window now, while this run's loop exists. Left to deleteLater, Qt
        # deletes it (its timers and socket notifiers) during whatever event loop runs
        # next, a later run's in the same process, and that crashed (SIGSEGV).
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        collector.uninstall()
        loop.close()
        asyncio.set_event_loop(None)
        qInstallMessageHandler(previous_qt_handler)
    return code
