"""Scrolling the timeline over payloads a view decodes vs plain text, in one run.

Two captures of N frames each (default 1,000,000): MessagePack maps (binary frames,
``{"id": n, "text": "hello"}`` encoded by hand, so no MessagePack library is needed
to build them) and plain text messages of the same size. Each is shown in a visible
(offscreen) :class:`TimelineView` at 1280x800; the benchmark jumps the scroll bar to
random positions (rows never summarised before: the Summary column asks the payload
view registry for every visible row) and repaints, then repaints in place (cached).
Medians and 90th percentiles in ms, and the ratio MessagePack / text (issue 12: no
slower, so at most 1.0). Which view summarises the MessagePack rows depends on the
registry installed (hex with the raw views only).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_views_gui.py [--frames N] [--jumps K]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from inspector.capture.events import Direction, FramesCaptured, SessionInfo, SessionRole
from inspector.capture.store import CaptureStore
from inspector.gui.timeline import TimelineView
from inspector.protocol.constants import Role
from inspector.protocol.frames import FrameParser, FrameSpec, encode_frame
from inspector.views.conversation import conversation_for

CHUNK = 64 * 1024


def msgpack_map(n: int) -> bytes:
    # fixmap of 2: "id" -> uint32 n, "text" -> "hello"
    return b"\x82\xa2id\xce" + n.to_bytes(4, "big") + b"\xa4text\xa5hello"


def capture(opcode: int, payload: bytes, frames: int) -> CaptureStore:
    store = CaptureStore(
        SessionInfo("ws://127.0.0.1:9/", SessionRole.CLIENT, "", 0.0), max_payload_bytes=None
    )
    wire = b"".join(encode_frame(FrameSpec(opcode, payload), Role.SERVER)) * frames
    parser = FrameParser(Role.CLIENT)
    for i in range(0, len(wire), CHUNK):
        batch = parser.feed(wire[i : i + CHUNK])
        if batch:
            store.add(FramesCaptured(0.0, Direction.IN, batch))
    return store


def scroll(store: CaptureStore, jumps: int, seed: int) -> tuple[list[float], list[float], str]:
    view = TimelineView(store)
    view.resize(1280, 800)
    view.show()
    QApplication.processEvents()
    view.refresh()
    bar = view.table.verticalScrollBar()
    rng = random.Random(seed)
    fresh, cached = [], []
    for _ in range(jumps):
        bar.setValue(rng.randrange(bar.maximum() + 1))
        t = time.perf_counter()
        view.table.viewport().repaint()
        fresh.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        view.table.viewport().repaint()
        cached.append((time.perf_counter() - t) * 1000)
    shown = conversation_for(store).render(0).view
    view.close()
    view.deleteLater()
    return fresh, cached, shown


def p90(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.9)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--jumps", type=int, default=200)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    packed = msgpack_map(123456)
    text = b"id 0123456 text hello"[: len(packed)].ljust(len(packed), b".")
    stores = {
        "msgpack": capture(2, packed, args.frames),
        "text": capture(1, text, args.frames),
    }
    results = {}
    for name, store in stores.items():
        fresh, cached, shown = scroll(store, args.jumps, seed=1)
        results[name] = (statistics.median(fresh), p90(fresh), statistics.median(cached))
        print(
            f"{name:<8} ({shown} view) repaint after a jump: median "
            f"{results[name][0]:.2f} ms, p90 {results[name][1]:.2f} ms; "
            f"cached {results[name][2]:.2f} ms"
        )
    ratio = results["msgpack"][0] / results["text"][0]
    print(f"ratio msgpack/text (median after a jump): {ratio:.2f} (target <= 1.0)")
    del app


if __name__ == "__main__":
    main()
