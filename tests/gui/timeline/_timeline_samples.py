"""Sessions and helpers the timeline's tests share."""

from __future__ import annotations

from collections.abc import Callable

from conftest import TIMEOUT_FACTOR, Capture
from pytestqt.qtbot import QtBot

from inspector.gui.timeline import FrameTableModel, TimelineView
from inspector.protocol.frames import FrameSpec

WAIT_MS = int(2000 * TIMEOUT_FACTOR)


def sample(capture: Callable[..., Capture]) -> Capture:
    """A small session with one frame of every interesting kind.

    Rows: 0 out TEXT "hello server" (masked) · 1 in TEXT JSON · 2 in TEXT FIN=0 ·
    3 in PING · 4 in CONT · 5 in CONT FIN · 6 out PONG (auto) · 7 in BINARY ·
    8 in TEXT 300 x · 9 in TEXT RSV1 (violation) · 10 in masked TEXT (violation) ·
    11-13 out BINARY in 3 fragments · 14 in CLOSE 1000 "bye now" · 15 out CLOSE (auto)
    """
    c = capture()
    c.send(lambda p: p.send_text("hello server"))
    c.receive(FrameSpec(1, b'{"type":"welcome","id":42}'))
    c.receive(
        FrameSpec(1, b"part one ", fin=False),
        FrameSpec(9, b"ping!"),
        FrameSpec(0, b"part two ", fin=False),
        FrameSpec(0, b"end", fin=True),
    )
    c.receive(FrameSpec(2, bytes(range(64))))
    c.receive(FrameSpec(1, b"x" * 300))
    c.receive(FrameSpec(1, b"bad rsv", rsv1=True))
    c.receive(FrameSpec(1, b"masked from server", mask=True, mask_key=b"\x01\x02\x03\x04"))
    c.send(lambda p: p.send_binary(b"\x00\x01\x02" * 20, fragments=3))
    c.receive(FrameSpec(8, b"\x03\xe8bye now"))
    assert len(c.store) == 16
    return c


def cell(model: FrameTableModel, row: int, col: int, role: int = 0) -> object:
    return model.data(model.index(row, col), role)


def column(model: FrameTableModel, col: int) -> list[object]:
    return [cell(model, r, col) for r in range(model.rowCount())]


def store_rows(model: FrameTableModel) -> list[int]:
    return [model.store_row(r) for r in range(model.rowCount())]


def make_view(qtbot: QtBot, c: Capture, height: int = 300, width: int = 900) -> TimelineView:
    view = TimelineView(c.store)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view, timeout=WAIT_MS)
    return view


def flood(c: Capture, n: int, batch: int = 50) -> None:
    for i in range(0, n, batch):
        c.receive(*(FrameSpec(1, f"frame {i + k}".encode()) for k in range(batch)))
