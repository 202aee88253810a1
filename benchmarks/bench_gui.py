"""GUI benchmark: the frame timeline under a flood, measured side by side in one run.

What it measures, for N frames (default 1,000,000 small JSON text frames a server
sends, parsed beforehand in 16 KiB socket reads):

1. **Ingest**: frames added to a :class:`CaptureStore` alone, vs the same frames
   added to a store shown by a visible (offscreen) :class:`TimelineView` that takes
   new rows in with ``refresh()`` on a 40 ms timer (one row insert per tick,
   follow-tail on). The producer adds batches in ~2 ms slices, the way socket reads
   arrive in the event loop. Run with and without ``gc.freeze()`` after each flush.
2. **GUI stall**: lateness of a 10 ms ``PreciseTimer`` during that ingest
   (p50 / p99 / max), against an idle baseline.
3. **Scroll / select** at N rows: move the scroll bar and repaint; select a frame
   (timeline selection -> detail pane -> repaint).
4. **Memory per frame** beyond the payload bytes (tracemalloc over a fresh store:
   the columns and the payload arena's bounds; the parser's payload objects are
   copied into the arena and freed).
5. **Search** N frames for a word: our filter path (``set_filter(search=...)``, the
   store's C-level scan into an ``array('q')`` of visible rows) vs a
   ``QSortFilterProxyModel`` whose ``filterAcceptsRow`` is Python, both feeding a
   visible table.
6. **Loopback flood into the real window** (one ``qasync.QEventLoop``): a raw
   asyncio server on 127.0.0.1 answers the opening handshake
   (:mod:`inspector.protocol.handshake`) and writes N prebuilt small text frames
   (``encode_frame``; default 1,000,000 of ~44 B) as fast as the socket takes them.
   (a) our engine client (``connect``, the capture store only, default options)
   until it has all N; (b) the same flood into a shown ``MainWindow`` at its default
   size (a new tab, ``connect_to``; follow-tail on, the window's journaling as the
   application does it) until the timeline shows all N. (a) and (b) alternate for
   ``--flood-rounds`` rounds; a 10 ms ``PreciseTimer`` measures lateness in both.
   Reports medians, (b)/(a) (also by CPU time, less sensitive to other load), full
   and young garbage collections, and MET / NOT MET for the targets: (b)/(a) >= 0.9,
   (b) lateness p99 <= 20 ms and max <= 50 ms. Settings and journals go to a
   temporary folder.

7. **Memory as the process grows** (``--rss-frames``, default 100k,1M,3M): in a
   fresh process, frames parsed from reads into a store shown by a visible
   :class:`TimelineView` (refreshed as the window does), RSS read at each checkpoint:
   bytes per frame beyond the payload bytes, target <= 100 and flat. Run twice: with
   glibc's default (dynamic) mmap threshold, and with the threshold fixed as
   :func:`inspector.app.run_window` fixes it; also the store alone (no Qt) with the
   fixed threshold, to see what is the store's and what the GUI's. At the last
   checkpoint: searches through the timeline's filter (``RSS_SEARCHES``: case-
   sensitive and not, plain, regex, anchored regex, non-ASCII text, one that most
   rows match) and, with the store alone, a bytes search; target < 0.5 s each.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py [--frames N] [--no-proxy]
        [--flood N (0: skip)] [--flood-rounds R] [--flood-only] [--flood-no-journal]
        [--rss-frames N,N,... (empty: skip)] [--rss-only]
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import asyncio
import gc
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from array import array
from collections.abc import Callable
from itertools import compress
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QEventLoop,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import QApplication, QSplitter, QTableView

from inspector.capture.events import Direction, FramesCaptured, SessionInfo
from inspector.capture.store import CaptureStore
from inspector.engine.client import connect
from inspector.engine.options import ConnectOptions
from inspector.gui.detail import FrameDetailView
from inspector.gui.timeline import TimelineView
from inspector.gui.window.main_window import DEFAULT_SIZE, MainWindow
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.frames import FrameSpec, encode_frame
from inspector.protocol.handshake import (
    HandshakeRequest,
    RequestParser,
    build_error_response,
    build_server_response,
)
from inspector.protocol.parser import FrameParser

READ = 16 * 1024  # bytes per simulated socket read
REFRESH_MS = 40
PROBE_MS = 10
SLICE_S = 0.002  # producer time per event-loop turn
NEEDLE = "ALERT"


def session() -> SessionInfo:
    return SessionInfo("ws://127.0.0.1:9/", "client", "2024-05-01T12:00:00+00:00", 1714564800.0)


def make_chunks(n: int) -> tuple[list[bytes], int]:
    """N unmasked text frames as a server sends them, cut into READ-byte socket reads.
    Every 100th payload holds the search word. Returns the reads and payload bytes."""
    parts = []
    total = 0
    for i in range(n):
        tag = NEEDLE if i % 100 == 37 else "tick"
        p = b'{"seq":%d,"ev":"%s","px":%d.%02d}' % (i, tag.encode(), 100 + i % 900, i % 100)
        parts.append(b"\x81" + bytes((len(p),)) + p)
        total += len(p)
    stream = b"".join(parts)
    return [stream[off : off + READ] for off in range(0, len(stream), READ)], total


class Feed:
    """Parses reads and adds the frames to a store, as the engine does per read."""

    def __init__(self, store: CaptureStore, chunks: list[bytes]) -> None:
        self.store = store
        self.chunks = chunks
        self.parser = FrameParser(Role.SERVER)
        self.next = 0
        self.t0 = time.perf_counter()

    @property
    def done(self) -> bool:
        return self.next >= len(self.chunks)

    def read(self) -> None:
        batch = self.parser.feed(self.chunks[self.next])
        self.next += 1
        if batch:
            self.store.add(FramesCaptured(time.perf_counter() - self.t0, Direction.IN, batch))


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return 0.0, 0.0, 0.0
    s = sorted(values)
    return (
        statistics.median(s),
        s[min(len(s) - 1, int(len(s) * 0.99))],
        s[-1],
    )


class LatenessProbe:
    """A 10 ms PreciseTimer recording how late each tick fires, in ms."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(PROBE_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.worst = -1.0
        self.worst_at = 0.0  # perf_counter when the latest tick of all fired

    def start(self) -> None:
        self.samples.clear()
        self.worst = -1.0
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        late = max(0.0, (now - self._last) * 1000 - PROBE_MS)
        if late > self.worst:
            self.worst, self.worst_at = late, now
        self.samples.append(late)
        self._last = now


def run_loop_until(done: Callable[[], bool], limit_s: float) -> None:
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(5)
    deadline = time.perf_counter() + limit_s

    def poll() -> None:
        if done() or time.perf_counter() > deadline:
            loop.quit()

    check.timeout.connect(poll)
    check.start()
    loop.exec()
    check.stop()


def bench_store_alone(chunks: list[bytes]) -> float:
    """Parse + store, no GUI: frames per second."""
    store = CaptureStore(session())
    feed = Feed(store, chunks)
    t0 = time.perf_counter()
    while not feed.done:
        feed.read()
    elapsed = time.perf_counter() - t0
    return len(store) / elapsed


def bench_gui_ingest(
    chunks: list[bytes], frames: int, freeze: bool, pace: float | None, keep: list[object]
) -> dict[str, float]:
    """Parse + store + a visible timeline refreshed every 40 ms, in one event loop.
    ``pace``: frames per second the "network" delivers (None: as fast as possible)."""
    store = CaptureStore(session())
    view = TimelineView(store)
    view.resize(1100, 600)
    view.show()
    QApplication.processEvents()
    feed = Feed(store, chunks)
    probe = LatenessProbe()
    per_read = frames / len(chunks)
    state = {"refreshes": 0, "refresh_ms": 0.0}

    def produce() -> None:
        end = time.perf_counter() + SLICE_S
        allowed = len(chunks)
        if pace is not None:
            allowed = min(allowed, int((time.perf_counter() - t0) * pace / per_read) + 1)
        while feed.next < allowed and time.perf_counter() < end:
            feed.read()
        if feed.done:
            producer.stop()

    def flush() -> None:
        t = time.perf_counter()
        view.refresh()
        state["refresh_ms"] += (time.perf_counter() - t) * 1000
        state["refreshes"] += 1
        if freeze:
            gc.freeze()

    producer = QTimer()
    producer.setInterval(0 if pace is None else 1)
    producer.timeout.connect(produce)
    refresher = QTimer()
    refresher.setInterval(REFRESH_MS)
    refresher.timeout.connect(flush)
    gc.collect()
    t0 = time.perf_counter()
    feed.t0 = t0
    probe.start()
    producer.start()
    refresher.start()
    run_loop_until(lambda: feed.done and view.model.rowCount() == len(store), 170.0)
    elapsed = time.perf_counter() - t0
    refresher.stop()
    producer.stop()
    probe.stop()
    # The closures and the timers refer to each other through Qt's connections, a
    # cycle the collector cannot see: without this, every run's store stays alive
    # (and makes each later full collection longer).
    refresher.timeout.disconnect()
    producer.timeout.disconnect()
    if freeze:
        gc.unfreeze()
    p50, p99, worst = percentiles(probe.samples)
    bar = view.table.verticalScrollBar()
    result = {
        "rate": len(store) / elapsed,
        "seconds": elapsed,
        "p50": p50,
        "p99": p99,
        "max": worst,
        "refreshes": state["refreshes"],
        "refresh_ms": state["refresh_ms"] / max(1, state["refreshes"]),
        "at_bottom": float(bar.value() == bar.maximum()),
    }
    keep.extend([store, view])
    return result


def bench_idle() -> tuple[float, float, float]:
    probe = LatenessProbe()
    probe.start()
    run_loop_until(lambda: False, 1.0)
    probe.stop()
    return percentiles(probe.samples)


def bench_scroll_select(
    store: CaptureStore, view: TimelineView, keep: list[object]
) -> dict[str, float]:
    detail = FrameDetailView()
    view.frameSelected.connect(lambda row: detail.show_frame(store, row))
    split = QSplitter(Qt.Orientation.Vertical)
    view.setParent(None)
    split.addWidget(view)
    split.addWidget(detail)
    split.resize(1100, 900)
    split.show()
    QApplication.processEvents()
    rng = random.Random(1)
    bar = view.table.verticalScrollBar()
    scrolls = []
    for _ in range(30):
        t = time.perf_counter()
        bar.setValue(rng.randrange(bar.maximum() + 1))
        view.table.viewport().repaint()
        scrolls.append((time.perf_counter() - t) * 1000)
    selects = []
    n = len(store)
    for _ in range(30):
        row = rng.randrange(n)
        t = time.perf_counter()
        view.select_store_row(row)
        view.table.viewport().repaint()
        detail.repaint()
        selects.append((time.perf_counter() - t) * 1000)
        assert detail.row == row
    keep.append(split)
    return {
        "scroll_p50": statistics.median(scrolls),
        "scroll_max": max(scrolls),
        "select_p50": statistics.median(selects),
        "select_max": max(selects),
    }


def bench_memory(chunks: list[bytes], payload_bytes: int) -> tuple[float, float]:
    """Bytes per frame a store holds beyond the payload bytes themselves: tracemalloc
    over parsing the reads into a fresh store (the payload objects are made under
    tracing, so their headers count), minus the payload lengths. Also the columns
    alone, from their buffer sizes."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    store = CaptureStore(session())
    feed = Feed(store, chunks)
    while not feed.done:
        feed.read()
    del feed
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    n = len(store)
    columns = sum(
        a.buffer_info()[1] * a.itemsize
        for a in (
            store.t,
            store.dir,
            store.seq,
            store.offset,
            store.b0,
            store.b1,
            store.length,
            store.mask_key,
            store.msg_start,
        )
    )
    return (used - payload_bytes) / n, columns / n


class PythonFilterProxy(QSortFilterProxyModel):
    """The reference: a proxy calling Python once per row."""

    def __init__(self, store: CaptureStore) -> None:
        super().__init__()
        self.payloads = store.payloads
        self.needle = b""

    def set_needle(self, needle: bytes) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            self.needle = needle
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            self.needle = needle
            self.invalidateFilter()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        return not self.needle or self.needle in self.payloads[source_row]


def bench_search(store: CaptureStore, view: TimelineView, proxy_too: bool) -> dict[str, float]:
    model = view.model
    QApplication.processEvents()
    t = time.perf_counter()
    model.set_filter(search=NEEDLE, case=True)
    QApplication.processEvents()
    ours = time.perf_counter() - t
    found = model.rowCount()
    t = time.perf_counter()
    model.clear_filter()
    QApplication.processEvents()
    ours_clear = time.perf_counter() - t
    out = {"ours": ours, "ours_clear": ours_clear, "found": found}
    if proxy_too:
        from inspector.gui.timeline import FrameTableModel

        source = FrameTableModel(store)
        proxy = PythonFilterProxy(store)
        proxy.setSourceModel(source)
        table = QTableView()
        table.setModel(proxy)
        table.resize(1100, 500)
        table.show()
        QApplication.processEvents()
        t = time.perf_counter()
        proxy.set_needle(NEEDLE.encode())
        QApplication.processEvents()
        out["proxy"] = time.perf_counter() - t
        out["proxy_found"] = proxy.rowCount()
        t = time.perf_counter()
        proxy.set_needle(b"")
        QApplication.processEvents()
        out["proxy_clear"] = time.perf_counter() - t
        table.hide()
        table.setModel(None)
        del proxy, source, table
    return out


# ------------------------------------------------- loopback flood into the real window
FLOOD_N = 1_000_000  # ~2 s per run here: steady state, ~200 timer samples per run
FLOOD_ROUNDS = 3
FLOOD_TIMEOUT_S = 30.0  # per run
POLL_S = 0.002
TARGET_RATIO = 0.9
TARGET_P99_MS = 20.0
TARGET_MAX_MS = 50.0


def flood_blob(n: int) -> tuple[bytes, int]:
    """N small JSON text frames as a server sends them (unmasked), encoded with
    :func:`encode_frame`, in one buffer; also the payload bytes."""
    parts = []
    payload_bytes = 0
    for i in range(n):
        p = b'{"seq":%d,"ev":"tick","px":%d.%02d,"q":%d}' % (i, 100 + i % 900, i % 100, i % 7)
        payload_bytes += len(p)
        parts.append(b"".join(encode_frame(FrameSpec(Opcode.TEXT, p), Role.SERVER)))
    return b"".join(parts), payload_bytes


class FloodServer:
    """A raw asyncio server on 127.0.0.1 (port 0): answers a valid opening handshake
    with :func:`build_server_response`, then writes the prebuilt frames at once (the
    transport sends them as fast as the socket takes them). Whatever the client sends
    afterwards (its close frame) is answered with a close frame and the end of TCP."""

    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self.server: asyncio.Server | None = None
        self.port = 0
        self.started: list[float] = []  # perf_counter when each flood began
        self.cpu_started: list[float] = []  # and this process's CPU time then
        self.transports: set[asyncio.Transport] = set()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/flood"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _FloodProtocol(self), "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for transport in list(self.transports):
            transport.abort()
        if self.server is not None:
            self.server.close()
            await asyncio.wait_for(self.server.wait_closed(), 5)


class _FloodProtocol(asyncio.Protocol):
    CHUNK = 256 * 1024  # bytes handed to the transport at a time

    def __init__(self, owner: FloodServer) -> None:
        self.owner = owner
        self.parser = RequestParser()
        self.transport: asyncio.Transport | None = None
        self.answered = False
        self.paused = False
        self.sent = 0
        self.data = memoryview(owner.blob)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.owner.transports.add(transport)

    def data_received(self, data: bytes) -> None:
        transport = self.transport
        assert transport is not None
        if self.answered:  # the client's close frame: answer it and end the connection
            if not transport.is_closing():
                transport.write(b"\x88\x02\x03\xe8")
                transport.close()
            return
        request = self.parser.feed(data)
        if request is None:
            return
        if not isinstance(request, HandshakeRequest) or not request.ok:
            transport.write(build_error_response(400))
            transport.close()
            return
        self.answered = True
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport.write(build_server_response(request))
        self.owner.started.append(time.perf_counter())
        self.owner.cpu_started.append(time.process_time())
        self.pump()

    def pump(self) -> None:
        """Write the frames as fast as the socket takes them: a chunk at a time until
        the transport's buffer is full (one write of the whole flood would copy it all
        into the transport's buffer in one go: a stall of 40-300 ms, measured)."""
        transport = self.transport
        data = self.data
        while not self.paused and self.sent < len(data):
            if transport is None or transport.is_closing():
                return
            end = min(self.sent + self.CHUNK, len(data))
            transport.write(data[self.sent : end])
            self.sent = end

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self.pump()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.owner.transports.discard(self.transport)


class GcWatch:
    """Pauses of the garbage collector (via ``gc.callbacks``), per generation."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._t = 0.0

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._cb)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._cb)

    def _cb(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.pauses.append((info["generation"], (time.perf_counter() - self._t) * 1000))

    def summary(self) -> str:
        full = [ms for g, ms in self.pauses if g == 2]
        young = [ms for g, ms in self.pauses if g < 2]
        return (
            f"gc: {len(young)} young collections (max {max(young, default=0):.1f} ms), "
            f"{len(full)} full (max {max(full, default=0):.1f} ms)"
        )


async def wait_until(done: Callable[[], bool], limit_s: float, what: str) -> float:
    """Poll ``done`` every 2 ms; returns perf_counter when it held. Raises TimeoutError."""
    deadline = time.perf_counter() + limit_s
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out after {limit_s:g} s waiting for {what}")
        await asyncio.sleep(POLL_S)
    return time.perf_counter()


async def flood_engine_alone(server: FloodServer, n: int) -> dict[str, Any]:
    """(a) our engine client, the capture store only (default options)."""
    probe = LatenessProbe()
    gc.collect()
    with GcWatch() as gcw:
        probe.start()
        started = len(server.started)
        conn = await asyncio.wait_for(connect(server.url, ConnectOptions()), 10)
        try:
            store = conn.store
            assert store is not None
            await wait_until(lambda: len(server.started) > started, 10, "the flood to start")
            t0 = server.started[-1]
            t1 = await wait_until(
                lambda: store.counters(Direction.IN).frames >= n, FLOOD_TIMEOUT_S, "the frames"
            )
            cpu = time.process_time() - server.cpu_started[-1]
            probe.stop()
        finally:
            await asyncio.wait_for(conn.close(1000, ""), 10)
    p50, p99, worst = percentiles(probe.samples)
    return {
        "rate": n / (t1 - t0),
        "cpu_rate": n / cpu,
        "worst_at": probe.worst_at - t0,
        "p50": p50,
        "p99": p99,
        "max": worst,
        "gc": gcw.summary(),
        "read_size": ConnectOptions().read_size,
    }


async def flood_window(
    window: MainWindow, server: FloodServer, n: int, journal: bool = True
) -> dict[str, Any]:
    """(b) the same flood into the real window: a new tab with the URL filled in, then
    its ``connect_to`` (what ``new_session(url, connect=True)`` does); the tab is
    closed afterwards, the way a user lets a capture go. ``journal=False`` turns the
    window's journaling of live sessions off (to see what it costs)."""
    panel = window.new_session(server.url)
    if not journal and hasattr(panel.controller, "journal_dir"):
        panel.controller.journal_dir = None
    await asyncio.sleep(0.1)  # laid out and painted
    probe = LatenessProbe()
    gc.collect()
    try:
        with GcWatch() as gcw:
            probe.start()
            started = len(server.started)
            task = panel.connect_to(server.url)
            assert task is not None
            await asyncio.wait_for(asyncio.shield(task), 10)
            store = panel.controller.store
            assert store is not None and panel.controller.is_open, "the connection did not open"
            model = panel.timeline.model
            await wait_until(lambda: len(server.started) > started, 10, "the flood to start")
            t0 = server.started[-1]
            ticks0 = panel.controller.ticks
            t_engine = await wait_until(
                lambda: store.counters(Direction.IN).frames >= n, FLOOD_TIMEOUT_S, "the frames"
            )
            t1 = await wait_until(
                lambda: model.rowCount() >= n and window.in_label.text().startswith(f"↓ {n:,} "),
                FLOOD_TIMEOUT_S,
                "the window to show them",
            )
            cpu = time.process_time() - server.cpu_started[-1]
            probe.stop()
            bar = panel.timeline.table.verticalScrollBar()
            at_bottom = panel.timeline.following and bar.value() == bar.maximum()
            ticks = panel.controller.ticks - ticks0
            read_size = panel.controller.options.read_size
            journaled = getattr(panel.controller, "journal", None) is not None
    finally:
        await asyncio.wait_for(panel.controller.aclose(2.0), 10)
        window.close_tab(window.tabs.indexOf(panel))
        await asyncio.wait_for(asyncio.gather(*window._closing_tasks), 10)
        del panel
        await asyncio.sleep(0.05)  # the tab's deleteLater
    p50, p99, worst = percentiles(probe.samples)
    return {
        "rate": n / (t1 - t0),
        "cpu_rate": n / cpu,
        "engine_rate": n / (t_engine - t0),
        "p50": p50,
        "p99": p99,
        "max": worst,
        "worst_at": probe.worst_at - t0,
        "gc": gcw.summary(),
        "at_bottom": at_bottom,
        "ticks": ticks,
        "seconds": t1 - t0,
        "read_size": read_size,
        "journaled": journaled,
    }


def bench_flood(n: int, rounds: int, journal: bool = True) -> bool:
    """The loopback flood section; returns True when every target is met."""
    import qasync  # the application's loop; imported here so the rest runs without it

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    # The window reads and writes QSettings: keep them away from the user's.
    settings_dir = tempfile.mkdtemp(prefix="ws-inspector-bench-")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, settings_dir)
    # And its data folder (journals of live sessions), and no question about unsaved
    # captures when the bench closes a tab.
    env = {"WS_INSPECTOR_DATA_DIR": settings_dir, "WS_INSPECTOR_UNSAVED": "discard"}
    saved_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    app.setOrganizationName("ws-inspector-bench")
    app.setApplicationName("ws-inspector-bench")

    t = time.perf_counter()
    blob, payload_bytes = flood_blob(n)
    print(
        f"\n[flood] loopback flood into the real window: {n:,} text frames of "
        f"{payload_bytes / n:.0f} B ({len(blob) / 2**20:.1f} MiB, prebuilt with encode_frame in "
        f"{time.perf_counter() - t:.1f} s) from a raw asyncio server on 127.0.0.1, one "
        f"qasync QEventLoop, {rounds} rounds of (a) then (b)"
    )
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    errors: list[str] = []
    loop.set_exception_handler(lambda _l, ctx: errors.append(str(ctx.get("message"))))
    window = MainWindow()
    if (window.width(), window.height()) != DEFAULT_SIZE:
        # The offscreen screen is smaller than the default size; be the default anyway.
        window.resize(*DEFAULT_SIZE)
    window.show()
    size = f"{window.width()}x{window.height()}"
    server = FloodServer(blob)
    alone: list[dict[str, Any]] = []
    shown: list[dict[str, Any]] = []

    async def scenario() -> None:
        await server.start()
        try:
            for _ in range(rounds):
                alone.append(await flood_engine_alone(server, n))
                shown.append(await flood_window(window, server, n, journal))
        finally:
            await server.close()

    try:
        loop.run_until_complete(asyncio.wait_for(scenario(), 150))
    finally:
        window.close_now()
        window.deleteLater()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()
        asyncio.set_event_loop(None)
        shutil.rmtree(settings_dir, ignore_errors=True)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def line(label: str, runs: list[dict[str, Any]]) -> tuple[float, float, float, float]:
        rate = statistics.median(r["rate"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        worst = max(r["max"] for r in runs)
        each = ", ".join(f"{r['rate']:,.0f}" for r in runs)
        print(f"{label}: {rate:>10,.0f} frames/s (median; runs {each})")
        print(
            f"         10 ms timer lateness p50 {p50:.1f}  p99 {p99:.1f} (median of runs)  "
            f"max {worst:.1f} ms (worst run); per run p99/max: "
            + ", ".join(f"{r['p99']:.0f}/{r['max']:.0f} (at {r['worst_at']:+.2f} s)" for r in runs)
        )
        for r in runs:
            print(f"         {r['gc']}")
        return rate, p50, p99, worst

    kib = alone[0]["read_size"] // 1024
    ra, *_ = line(f"[flood] (a) engine alone, capture store only, reads of {kib} KiB", alone)
    rb, _, p99, worst = line(
        f"[flood] (b) real MainWindow {size} offscreen, follow-tail on, reads of "
        f"{shown[0]['read_size'] // 1024} KiB; frames shown",
        shown,
    )
    print(
        "         engine side of (b): "
        + ", ".join(f"{r['engine_rate']:,.0f}" for r in shown)
        + " frames/s received; "
        + ", ".join(f"{r['ticks']} ticks in {r['seconds']:.1f} s" for r in shown)
        + "; "
        + ("followed to the bottom" if all(r["at_bottom"] for r in shown) else "NOT at the bottom")
        + ("; journaled to disk" if any(r["journaled"] for r in shown) else "; not journaled")
    )
    ratio = rb / ra
    pairs = ", ".join(f"{b['rate'] / a['rate']:.2f}" for a, b in zip(alone, shown, strict=True))
    cpu_a = statistics.median(r["cpu_rate"] for r in alone)
    cpu_b = statistics.median(r["cpu_rate"] for r in shown)
    print(
        f"         per round (b)/(a): {pairs}; by this process's CPU time (less sensitive "
        f"to other load on the machine): (a) {cpu_a:,.0f}, (b) {cpu_b:,.0f} frames per "
        f"CPU-second = {cpu_b / cpu_a:.2f}"
    )
    ok = ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS and worst <= TARGET_MAX_MS
    print(
        f"[flood] (b)/(a) = {ratio:.2f} (target >= {TARGET_RATIO}); (b) lateness p99 "
        f"{p99:.1f} ms (target <= {TARGET_P99_MS:g}), max {worst:.1f} ms (target <= "
        f"{TARGET_MAX_MS:g}): {'MET' if ok else 'NOT MET'}"
    )
    if errors:
        print("[flood] errors reported by the event loop: " + "; ".join(errors[:5]))
    return ok


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux
        return 0


def bench_simulated(args: argparse.Namespace) -> None:
    """Sections 1-5: the simulated ingest (pre-parsed reads), scroll/select, memory and
    search. Everything they build is freed when this returns."""
    n = args.frames
    t = time.perf_counter()
    chunks, payload_bytes = make_chunks(n)
    print(
        f"{n:,} text frames, {payload_bytes / n:.1f} B payload on average, {len(chunks):,} "
        f"reads of {READ // 1024} KiB (made in {time.perf_counter() - t:.1f} s); "
        "ingest = parse + store (+ GUI)"
    )

    idle = bench_idle()
    print(
        f"\nidle: 10 ms timer lateness p50 {idle[0]:.1f}  p99 {idle[1]:.1f}  max {idle[2]:.1f} ms"
    )

    alone = statistics.median(bench_store_alone(chunks) for _ in range(3))
    print(f"\n[ingest] parse + store alone: {alone:>12,.0f} frames/s")

    keep: list[object] = []
    rss0 = rss_bytes()
    rss_gui = 0
    runs: list[tuple[float | None, bool]] = [(None, True), (None, False)]
    if args.pace:
        runs += [(args.pace, True), (args.pace, False)]
    for pace, freeze in runs:
        r = bench_gui_ingest(chunks, n, freeze, pace, keep if not keep else [])
        if not rss_gui:
            rss_gui = rss_bytes() - rss0
        what = "as fast as possible" if pace is None else f"paced at {pace:,.0f}/s"
        print(
            f"[ingest] + visible timeline, {what}, gc.freeze() {'on' if freeze else 'off'}: "
            f"{r['rate']:,.0f} frames/s"
            + (f" = {r['rate'] / alone:.2f} x store alone" if pace is None else "")
        )
        print(
            f"         10 ms timer lateness p50 {r['p50']:.1f}  p99 {r['p99']:.1f}  "
            f"max {r['max']:.1f} ms; {r['seconds']:.1f} s, {r['refreshes']:.0f} refreshes "
            f"({r['refresh_ms']:.1f} ms each), "
            f"{'followed to the bottom' if r['at_bottom'] else 'NOT at the bottom'}"
        )
        gc.collect()
    store, view = keep[0], keep[1]
    assert isinstance(store, CaptureStore) and isinstance(view, TimelineView)
    print(
        f"         RSS growth of the first GUI run: {rss_gui / n:.0f} B/frame "
        f"(payloads {payload_bytes / n:.0f} B + their objects + columns + Qt)"
    )

    ss = bench_scroll_select(store, view, keep)
    print(
        f"\n[scroll] at {len(store):,} rows: set the scroll bar + repaint: "
        f"p50 {ss['scroll_p50']:.1f} ms, max {ss['scroll_max']:.1f} ms"
    )
    print(
        f"[select] select a row -> detail pane -> repaint both: p50 {ss['select_p50']:.1f} ms, "
        f"max {ss['select_max']:.1f} ms"
    )

    per_frame, columns = bench_memory(chunks, payload_bytes)
    print(
        f"\n[memory] per frame beyond payload bytes: {per_frame:.0f} B (target <= 100): "
        f"columns {columns:.0f} B, the rest is the payload arena's bounds (8 B) and growth slack"
    )

    sr = bench_search(store, view, not args.no_proxy)
    print(
        f"\n[search] '{NEEDLE}' in {len(store):,} frames, our filter: {sr['ours']:.3f} s "
        f"({sr['found']:,.0f} rows; target < 0.5 s); clearing it: {sr['ours_clear']:.3f} s"
    )
    if "proxy" in sr:
        print(
            f"[search] QSortFilterProxyModel + Python filterAcceptsRow: {sr['proxy']:.3f} s "
            f"({sr['proxy_found']:,.0f} rows) = {sr['proxy'] / sr['ours']:.1f} x ours; "
            f"clearing it: {sr['proxy_clear']:.3f} s = "
            f"{sr['proxy_clear'] / max(sr['ours_clear'], 1e-6):.0f} x ours"
        )


# ------------------------------------------------- memory as the process grows
RSS_TARGET = 100.0
SEARCH_TARGET_S = 0.5
RSS_REFRESH_READS = 200  # reads between two timeline refreshes (~40 ms of a flood)
#: The searches timed at the last checkpoint (label, text, case, regex): the word
#: is in 1% of the frames; "tick" in 99% (most rows shown).
RSS_SEARCHES = (
    ("plain, case-sensitive", NEEDLE, True, False),
    ("plain, ignoring case", NEEDLE.lower(), False, False),
    ("regex, ignoring case", NEEDLE.lower(), False, True),
    ("regex with a class, ignoring case", "al[e]rt", False, True),
    ("regex with \\b and ^", r"^\{.*\bALERT\b", True, True),
    ("regex anchored at the end", r"ALERT.*\}$", True, True),
    ("text with non-ASCII letters, ignoring case", "alért", False, False),
    ("plain, 99% of the rows match", "tick", True, False),
)


def rss_child(checkpoints: list[int], gui: bool, fixed: bool) -> dict[str, Any]:
    """In this (fresh) process: grow a store (shown by a timeline when ``gui``) to
    each checkpoint, reading RSS; then time searches at the last one."""
    if fixed:
        from inspector.app import fix_mmap_threshold

        fix_mmap_threshold()
    chunks, _ = make_chunks(max(checkpoints))
    app = (QApplication.instance() or QApplication(sys.argv[:1])) if gui else None
    store = CaptureStore(session())
    view = None
    if gui:
        view = TimelineView(store)
        view.resize(1100, 600)
        view.show()
        QApplication.processEvents()
    feed = Feed(store, chunks)
    # The baseline is taken with a first screenful of rows shown: what painting them
    # costs once (glyph and icon caches, the preview cache) is not per frame.
    feed.read()
    if view is not None:
        view.refresh()
        QApplication.processEvents()
    gc.collect()
    rss0 = rss_bytes()
    n0 = len(store)
    payload0 = store.payloads.nbytes
    points = []
    todo = sorted(checkpoints)
    while todo:
        feed.read()
        if view is not None and feed.next % RSS_REFRESH_READS == 0:
            view.refresh()
            QApplication.processEvents()
        if len(store) >= todo[0] or feed.done:
            if view is not None:
                view.refresh()
                QApplication.processEvents()
            n = len(store)
            payload = store.payloads.nbytes - payload0
            grown = rss_bytes() - rss0
            points.append({"frames": n, "beyond": (grown - payload) / (n - n0)})
            todo.pop(0)
    searches: dict[str, tuple[str, float, int, float | None]] = {}
    if view is not None:
        model = view.model
        for label, needle, case, regex in RSS_SEARCHES:
            t = time.perf_counter()
            model.set_filter(search=needle, case=case, regex=regex)
            QApplication.processEvents()
            searches[label] = (needle, time.perf_counter() - t, model.rowCount(), None)
            model.clear_filter()
            QApplication.processEvents()
    else:
        # The store alone: the same searches and a bytes one (the timeline has no box
        # for hex), each beside the former store's way in this same process: one
        # bytes object per payload in a list, each tested on its own.
        from inspector.capture.bulk import matcher

        former = list(store.payloads)
        runs: list[tuple[str, str | bytes, bool, bool]] = [
            (label, needle, case, regex) for label, needle, case, regex in RSS_SEARCHES
        ]
        runs.append(("bytes (hex 22414c45)", bytes.fromhex("22414c45"), True, False))
        for label, pattern, case, regex in runs:
            t = time.perf_counter()
            found = store.search(pattern, case=case, regex=regex)
            ours = time.perf_counter() - t
            test = matcher(pattern, regex=regex, case=case)
            t = time.perf_counter()
            reference = array("q", compress(range(len(former)), test(former)))
            ref = time.perf_counter() - t
            assert reference == found, label
            shown = pattern.hex() if isinstance(pattern, bytes) else pattern
            searches[label] = (shown, ours, len(found), ref)
        del former
    del app
    return {"points": points, "searches": searches}


def bench_rss(checkpoints: list[int]) -> bool:
    runs = (
        ("timeline, glibc default threshold", True, False),
        ("timeline, the window's fixed threshold", True, True),
        ("store alone, fixed threshold", False, True),
    )
    print(
        f"\n[rss] growing to {', '.join(f'{n:,}' for n in checkpoints)} frames in a fresh "
        "process each; RSS growth per frame beyond the payload bytes"
    )
    ok = True
    for label, gui, fixed in runs:
        args = [sys.executable, __file__, "--rss-child", ",".join(map(str, checkpoints))]
        args += ["--rss-gui"] if gui else []
        args += ["--rss-fixed"] if fixed else []
        out = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            print(f"[rss] {label}: failed\n{out.stderr[-1500:]}")
            return False
        result = json.loads(lines[-1])
        cells = "  ".join(f"{p['frames']:>9,}: {p['beyond']:5.0f} B" for p in result["points"])
        print(f"[rss] {label:40} {cells}")
        if gui and fixed:
            worst = max(p["beyond"] for p in result["points"])
            met = worst <= RSS_TARGET
            ok = ok and met
            print(
                f"[rss] the window's way: at most {worst:.0f} B/frame beyond payload "
                f"(target <= {RSS_TARGET:g}): {'MET' if met else 'NOT MET'}"
            )
        n = result["points"][-1]["frames"]
        for what, (needle, seconds, found, ref) in result["searches"].items():
            met = seconds < SEARCH_TARGET_S
            ok = ok and met
            former = (
                ""
                if ref is None
                else f"; the former store's way {ref:.3f} s = {ref / seconds:.1f} x ours"
            )
            print(
                f"[rss] search {what} {needle!r} over {n:,} frames ({found:,} found): "
                f"{seconds:.3f} s (target < {SEARCH_TARGET_S:g} s): {'MET' if met else 'NOT MET'}"
                + former
            )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument(
        "--pace",
        type=float,
        default=150_000,
        help="frames/s of the paced runs (a realistic flood; 0 skips them)",
    )
    parser.add_argument("--no-proxy", action="store_true", help="skip the proxy reference")
    parser.add_argument(
        "--flood",
        type=int,
        default=FLOOD_N,
        help="frames per run of the loopback flood into the real window (0 skips it)",
    )
    parser.add_argument("--flood-rounds", type=int, default=FLOOD_ROUNDS)
    parser.add_argument(
        "--flood-only", action="store_true", help="run only the loopback flood section"
    )
    parser.add_argument(
        "--flood-no-journal",
        action="store_true",
        help="turn the window's journaling of live sessions off in (b), to see its cost",
    )
    parser.add_argument(
        "--rss-frames",
        default="100000,1000000,3000000",
        help="checkpoints of the memory-growth section, comma-separated (empty: skip)",
    )
    parser.add_argument("--rss-only", action="store_true", help="only the memory-growth section")
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    parser.add_argument("--rss-gui", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rss-fixed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        checkpoints = [int(n) for n in args.rss_child.split(",")]
        print(json.dumps(rss_child(checkpoints, args.rss_gui, args.rss_fixed)))
        return 0
    checkpoints = [int(n) for n in args.rss_frames.split(",") if n.strip()]
    if args.rss_only:
        bench_rss(checkpoints)
        return 0
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert app is not None
    started = time.perf_counter()
    if checkpoints:
        bench_rss(checkpoints)
    if not args.flood_only:
        bench_simulated(args)
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()
    if args.flood:
        # Prints MET / NOT MET.
        bench_flood(args.flood, max(1, args.flood_rounds), not args.flood_no_journal)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
