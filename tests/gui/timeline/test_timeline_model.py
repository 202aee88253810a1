"""The timeline's table model over a real CaptureStore: rows by refresh, columns,
roles, fragments, violations, filters (through the model) and the store mapping."""

from __future__ import annotations

import random
import tracemalloc
from array import array
from collections.abc import Callable
from dataclasses import replace

import pytest
from _timeline_samples import cell, column, sample, store_rows
from conftest import MASK_KEY, Capture
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QIcon
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from inspector.capture.events import Direction, FramesCaptured, SessionRole
from inspector.capture.store import CaptureStore
from inspector.gui.timeline import (
    COL_DIR,
    COL_FIN,
    COL_KEY,
    COL_LENGTH,
    COL_MASK,
    COL_OPCODE,
    COL_PAYLOAD,
    COL_ROW,
    COL_RSV,
    COL_TIME,
    COLUMNS,
    FIRST_FRAGMENT,
    FRAGMENT_ROLE,
    INSIDE_MESSAGE,
    LAST_FRAGMENT,
    MIDDLE_FRAGMENT,
    PREVIEW_CHARS,
    STORE_ROW_ROLE,
    FrameTableModel,
    TimelineView,
)
from inspector.gui.widgets import theme
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import FrameSpec
from inspector.views.base import PayloadMeta, Rendered, View
from inspector.views.formats import raw
from inspector.views.registry import Registry

pytestmark = pytest.mark.gui


# ----------------------------------------------------------------------- model
def test_rows_appear_on_refresh_in_one_insert(
    capture: Callable[..., Capture], qtmodeltester: ModelTester
) -> None:
    c = capture()
    model = FrameTableModel(c.store)
    qtmodeltester.check(model)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda parent, first, last: inserts.append((first, last)))
    for i in range(5):
        c.receive(*(FrameSpec(1, f"msg {i}.{k}".encode()) for k in range(7)))
    assert model.rowCount() == 0, "rows appear only on refresh"
    assert model.pending() == 35
    assert model.refresh() == 35
    assert inserts == [(0, 34)]
    assert model.refresh() == 0
    assert inserts == [(0, 34)], "no signal when nothing is new"
    c.receive(FrameSpec(2, b"\x01"), FrameSpec(2, b"\x02"))
    assert model.refresh() == 2
    assert inserts == [(0, 34), (35, 36)]
    assert model.rowCount() == 37 == model.total_count()
    qtmodeltester.check(model)


def test_model_tester_with_filter_and_inserts(
    capture: Callable[..., Capture], qtmodeltester: ModelTester
) -> None:
    c = sample(capture)
    model = FrameTableModel(c.store)
    qtmodeltester.check(model)
    assert model.set_filter(dirs=[Direction.IN], search="a") is None
    qtmodeltester.check(model)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda parent, first, last: inserts.append((first, last)))
    before = model.rowCount()
    c.receive(FrameSpec(1, b"alpha"), FrameSpec(1, b"zzz"), FrameSpec(1, b"beta"))
    c.send(lambda p: p.send_frame(FrameSpec(1, b"also out")))
    assert model.refresh() == 2
    assert inserts == [(before, before + 1)]
    assert [cell(model, r, COL_PAYLOAD) for r in (before, before + 1)] == ["alpha", "beta"]
    qtmodeltester.check(model)
    model.clear_filter()
    qtmodeltester.check(model)
    assert model.rowCount() == len(c.store)


def test_columns_show_the_frame(capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    model = FrameTableModel(c.store)
    assert model.columnCount() == len(COLUMNS)
    assert [model.headerData(i, Qt.Orientation.Horizontal) for i in range(len(COLUMNS))] == list(
        COLUMNS
    )
    row0 = [cell(model, 0, col) for col in range(len(COLUMNS))]
    assert row0 == [
        "0",
        "0.001000",
        "\u2191 out",
        "1",
        "---",
        "TEXT",
        "1",
        MASK_KEY.hex(),
        "12",
        "hello server",
    ]
    assert cell(model, 1, COL_DIR) == "\u2193 in"
    assert cell(model, 1, COL_MASK) == "0"
    assert cell(model, 1, COL_KEY) == ""
    assert cell(model, 1, COL_PAYLOAD) == '{"type":"welcome","id":42}'
    assert cell(model, 2, COL_FIN) == "0"
    assert cell(model, 3, COL_OPCODE) == "PING"
    assert cell(model, 3, COL_PAYLOAD) == "ping!"
    assert cell(model, 6, COL_OPCODE) == "PONG"
    assert cell(model, 7, COL_OPCODE) == "BINARY"
    assert str(cell(model, 7, COL_PAYLOAD)).startswith("00 01 02 03")
    assert str(cell(model, 7, COL_PAYLOAD)).endswith("\u2026")
    assert cell(model, 8, COL_LENGTH) == "300"
    preview = str(cell(model, 8, COL_PAYLOAD))
    assert preview == "x" * PREVIEW_CHARS + "\u2026"
    assert cell(model, 9, COL_RSV) == "1--"
    assert cell(model, 10, COL_KEY) == "01020304"
    assert cell(model, 14, COL_OPCODE) == "CLOSE"
    assert cell(model, 14, COL_PAYLOAD) == "1000 Normal closure 'bye now'"
    assert cell(model, 15, COL_PAYLOAD) == "1000 Normal closure"
    assert cell(model, 5, COL_ROW, STORE_ROW_ROLE) == 5
    # Alignment and fonts come from the cached class/instance values.
    assert cell(model, 0, COL_LENGTH, Qt.ItemDataRole.TextAlignmentRole) == int(
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    )
    assert cell(model, 0, COL_KEY, Qt.ItemDataRole.FontRole) is cell(
        model, 1, COL_KEY, Qt.ItemDataRole.FontRole
    )


def test_the_dir_column_follows_the_session_role(capture: Callable[..., Capture]) -> None:
    # A proxy's capture says client -> server and server -> client; the words are kept
    # per role, so a client's capture shown next in the same model says out and in.
    def proxied() -> Capture:
        c = capture()
        c.store = CaptureStore(replace(c.store.session, role=SessionRole.PROXY))
        return c

    model = FrameTableModel(sample(proxied).store)
    assert [cell(model, r, COL_DIR) for r in (0, 1)] == ["\u2191 c\u2192s", "\u2193 s\u2192c"]
    model.set_store(sample(capture).store)
    assert [cell(model, r, COL_DIR) for r in (0, 1)] == ["\u2191 out", "\u2193 in"]


def test_unused_roles_are_none(capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    model = FrameTableModel(c.store)
    for role in (
        Qt.ItemDataRole.EditRole,
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.SizeHintRole,
        Qt.ItemDataRole.StatusTipRole,
        Qt.ItemDataRole.WhatsThisRole,
    ):
        assert cell(model, 0, COL_TIME, role) is None
    assert model.data(QModelIndex()) is None
    assert cell(model, 0, COL_TIME, Qt.ItemDataRole.DecorationRole) is None


def test_wall_clock_toggle(capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    model = FrameTableModel(c.store)
    changed: list[int] = []
    model.dataChanged.connect(lambda a, b, roles: changed.append(a.column()))
    model.set_wall_clock(True)
    text = str(cell(model, 0, COL_TIME))
    assert len(text) == len("12:00:00.001") and text[2] == ":" and text.endswith(".001")
    assert model.headerData(COL_TIME, Qt.Orientation.Horizontal) == "Clock"
    assert changed == [COL_TIME]
    model.set_wall_clock(False)
    assert cell(model, 0, COL_TIME) == "0.001000"


def test_fragments_are_grouped(capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    model = FrameTableModel(c.store)
    positions = [cell(model, r, COL_OPCODE, FRAGMENT_ROLE) for r in range(16)]
    assert positions[2:6] == [FIRST_FRAGMENT, INSIDE_MESSAGE, MIDDLE_FRAGMENT, LAST_FRAGMENT]
    assert positions[11:14] == [FIRST_FRAGMENT, MIDDLE_FRAGMENT, LAST_FRAGMENT]
    assert positions[0] == positions[1] == positions[6] == positions[14] == 0
    tip = str(cell(model, 4, COL_OPCODE, Qt.ItemDataRole.ToolTipRole))
    assert "TEXT message that starts at row 2" in tip
    assert cell(model, 4, COL_OPCODE, Qt.ItemDataRole.AccessibleTextRole) == "CONT, fragment"
    fg = cell(model, 4, COL_OPCODE, Qt.ItemDataRole.ForegroundRole)
    assert isinstance(fg, QBrush) and fg.color() == theme.current().fragment


def test_violation_rows(capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    model = FrameTableModel(c.store)
    tip = str(cell(model, 9, COL_TIME, Qt.ItemDataRole.ToolTipRole))
    assert "RFC 6455 \u00a75.2" in tip and "reserved-bit" in tip and "RSV1" in tip
    tip10 = str(cell(model, 10, COL_PAYLOAD, Qt.ItemDataRole.ToolTipRole))
    assert "RFC 6455 \u00a75.1" in tip10 and "masked-server-frame" in tip10
    icon = cell(model, 9, COL_ROW, Qt.ItemDataRole.DecorationRole)
    assert isinstance(icon, QIcon) and not icon.isNull()
    assert cell(model, 8, COL_ROW, Qt.ItemDataRole.DecorationRole) is None
    bg = cell(model, 9, COL_LENGTH, Qt.ItemDataRole.BackgroundRole)
    assert isinstance(bg, QBrush) and bg.color() == theme.current().violation_tint
    plain = cell(model, 8, COL_LENGTH, Qt.ItemDataRole.BackgroundRole)
    assert isinstance(plain, QBrush) and plain.color() == theme.current().incoming_tint
    assert cell(model, 9, COL_ROW, Qt.ItemDataRole.AccessibleTextRole) == "9, 1 violations"


def _previews(model: FrameTableModel, text_row: int, binary_row: int) -> tuple[str, str, str]:
    """The payload cells of a text and a binary row, and the text row's tooltip."""
    return (
        str(cell(model, text_row, COL_PAYLOAD)),
        str(cell(model, binary_row, COL_PAYLOAD)),
        str(cell(model, text_row, COL_PAYLOAD, Qt.ItemDataRole.ToolTipRole)),
    )


def test_preview_of_a_huge_payload_is_cheap(capture: Callable[..., Capture]) -> None:
    # What the first preview of a run allocates once (the views' modules, their
    # tables) is not what this measures: small rows of the same kinds, in a model of
    # their own and with other first bytes (no cache of theirs serves the big rows),
    # are shown first.
    warm = capture()
    small = b"B" * (4 * PREVIEW_CHARS)
    warm.store.append_frame(
        0.1,
        Direction.IN,
        0,
        0,
        bytes.fromhex("81") + bytes([126]) + len(small).to_bytes(2, "big"),
        small,
    )
    warm.store.append_frame(
        0.2,
        Direction.IN,
        1,
        0,
        bytes.fromhex("82") + bytes([126]) + len(small).to_bytes(2, "big"),
        b"\x01" * len(small),
    )
    warmed = _previews(FrameTableModel(warm.store), 0, 1)
    assert warmed[0] == "B" * PREVIEW_CHARS + "\u2026" and warmed[1].startswith("01 01")

    c = capture()
    big = b"A" * (64 * 2**20)
    c.store.append_frame(
        0.5, Direction.IN, 0, 0, bytes.fromhex("817f") + len(big).to_bytes(8, "big"), big
    )
    c.store.append_frame(
        0.6,
        Direction.IN,
        1,
        0,
        bytes.fromhex("827f") + len(big).to_bytes(8, "big"),
        b"\x00" * len(big),
    )
    model = FrameTableModel(c.store)
    tracemalloc.start()
    try:
        text, hexed, tip = _previews(model, 0, 1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert text == "A" * PREVIEW_CHARS + "\u2026"
    assert hexed.startswith("00 00") and len(hexed) <= PREVIEW_CHARS + 2
    assert len(tip) < 1000
    assert peak < 256 * 1024, "the previews read a prefix: the payload is not copied"
    assert cell(model, 0, COL_LENGTH) == f"{len(big):,}"


def test_payload_not_kept_and_empty(capture: Callable[..., Capture]) -> None:
    c = capture()
    c.store.append_frame(
        0.1, Direction.IN, 0, 0, bytes.fromhex("827f") + (2**40).to_bytes(8, "big"), b""
    )
    c.store.append_frame(0.2, Direction.IN, 1, 0, bytes.fromhex("8900"), b"")
    model = FrameTableModel(c.store)
    assert cell(model, 0, COL_PAYLOAD) == f"(payload not kept: {2**40:,} bytes)"
    assert cell(model, 1, COL_PAYLOAD) == "(empty)"


# --------------------------------------------------------------------- filters
def test_filter_direction_kind_ping_violations(capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    model = FrameTableModel(c.store)
    assert model.set_filter(dirs=[Direction.OUT]) is None
    assert store_rows(model) == [0, 6, 11, 12, 13, 15]
    assert model.set_filter(dirs=["in"]) is None
    assert store_rows(model) == [1, 2, 3, 4, 5, 7, 8, 9, 10, 14]
    assert model.set_filter(dirs=[]) is None
    assert model.rowCount() == 0
    assert model.set_filter(kinds=["text"]) is None
    assert store_rows(model) == [0, 1, 2, 8, 9, 10]
    assert model.set_filter(kinds=["binary", "continuation"]) is None
    assert store_rows(model) == [4, 5, 7, 11, 12, 13]
    assert model.set_filter(kinds=["control"]) is None
    assert store_rows(model) == [3, 6, 14, 15]
    assert model.set_filter(kinds=["control"], hide_ping_pong=True) is None
    assert store_rows(model) == [14, 15]
    assert model.set_filter(hide_ping_pong=True) is None
    assert 3 not in store_rows(model) and 6 not in store_rows(model)
    assert model.rowCount() == 14
    assert model.set_filter(violations_only=True) is None
    assert store_rows(model) == [9, 10]
    assert model.set_filter(violations_only=True, dirs=[Direction.OUT]) is None
    assert store_rows(model) == []
    assert model.set_filter(kinds=["bogus"]) is not None
    assert store_rows(model) == [], "a bad filter leaves the filter as it was"
    model.clear_filter()
    assert model.rowCount() == 16 and not model.filter.active


def test_filter_search_text_regex_case(capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    model = FrameTableModel(c.store)
    assert model.set_filter(search="welcome") is None
    assert store_rows(model) == [1]
    assert model.set_filter(search="PART") is None
    assert store_rows(model) == [2, 4, 5], "case-insensitive; the last fragment matches by message"
    assert model.set_filter(search="PART", case=True) is None
    assert store_rows(model) == []
    assert model.set_filter(search="part two end") is None
    assert store_rows(model) == [5], "text split across fragments is found in the message"
    assert model.set_filter(search=r"h\w+o", regex=True) is None
    assert store_rows(model) == [0]
    assert model.set_filter(search=r"^x{300}$", regex=True) is None
    assert store_rows(model) == [8]
    assert model.set_filter(search="bye", dirs=[Direction.OUT]) is None
    assert store_rows(model) == []


def test_invalid_regex_is_reported_not_raised(capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    model = FrameTableModel(c.store)
    errors: list[str] = []
    model.filterError.connect(errors.append)
    assert model.set_filter(search="part") is None
    before = store_rows(model)
    message = model.set_filter(search="part(", regex=True)
    assert message is not None and message.startswith("Invalid regular expression")
    assert errors[-1] == message
    # No stale results: the rows of the previous search would pass for matches.
    assert before and store_rows(model) == []
    assert model.filter.search == "part(" and model.filter.invalid == message
    assert model.set_filter(search="part(") is None, "the same text is fine as plain text"
    assert errors[-1] == ""
    assert store_rows(model) == []


def test_incremental_filter_matches_full_recompute(capture: Callable[..., Capture]) -> None:
    rng = random.Random(6455)
    words = [b"alpha", b"beta", b"gamma", b"ALPHA", b"x"]
    for trial in range(6):
        c = capture()
        live = FrameTableModel(c.store)
        options = [
            {"dirs": [Direction.IN]},
            {"kinds": ["text", "control"], "search": "alpha"},
            {"hide_ping_pong": True, "violations_only": True},
            {"search": "a+", "regex": True, "dirs": ["out"]},
            {"search": "ALPHA", "case": True},
            {"kinds": ["continuation"]},
        ][trial]
        assert live.set_filter(**options) is None  # type: ignore[arg-type]
        for _ in range(12):
            specs = []
            for _ in range(rng.randint(1, 6)):
                op = rng.choice([1, 2, 9])
                specs.append(FrameSpec(op, rng.choice(words), rsv2=rng.random() < 0.1))
            if rng.random() < 0.5:
                c.receive(*specs)
            else:
                c.send_frames(specs)
            if rng.random() < 0.3:
                c.receive(FrameSpec(1, b"al", fin=False), FrameSpec(0, b"pha", fin=True))
            live.refresh()
        fresh = FrameTableModel(c.store)
        assert fresh.set_filter(**options) is None  # type: ignore[arg-type]
        assert store_rows(live) == store_rows(fresh), options


def test_view_row_and_store_row(capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    model = FrameTableModel(c.store)
    assert model.view_row(5) == 5 and model.view_row(99) is None
    model.set_filter(dirs=[Direction.OUT])
    assert model.view_row(11) == 2 and model.store_row(2) == 11
    assert model.view_row(1) is None


def test_set_store_keeps_the_filter_and_none_is_empty(capture: Callable[..., Capture]) -> None:
    c = sample(capture)
    model = FrameTableModel(None)
    assert model.rowCount() == 0 and model.refresh() == 0
    model.set_filter(kinds=["control"])
    model.set_store(c.store)
    assert store_rows(model) == [3, 6, 14, 15]
    model.set_store(None)
    assert model.rowCount() == 0


def test_frames_in_one_event_become_rows_in_order(capture: Callable[..., Capture]) -> None:
    c = capture()
    frames = [c.protocol.send_frame(FrameSpec(Opcode.TEXT, f"{i}".encode())) for i in range(3)]
    c.protocol.data_to_send()
    c.protocol.events_sent()
    c.store.add(FramesCaptured(0.5, Direction.OUT, frames))
    model = FrameTableModel(c.store)
    assert column(model, COL_PAYLOAD) == ["0", "1", "2"]
    assert array("q", store_rows(model)) == array("q", [0, 1, 2])


# ------------------------------------------------------------ payload views
class _EventView(View):
    """A test-only application format: ``evt:NAME`` text messages, with a count of
    the summaries it was asked for."""

    name = "evt"
    title = "Event"

    def __init__(self) -> None:
        self.summaries = 0

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        return 0.9 if meta.opcode == 1 and data.startswith(b"evt:") else -1

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        name = data[4:].decode()
        return Rendered(self.name, f"event {name}", fields={"event": name})

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        self.summaries += 1
        return f"EVT {prefix[4:].decode('utf-8', 'replace')}"


def _registry_with(view: View) -> Registry:
    registry = Registry()
    raw.register(registry)
    registry.add(view)
    return registry


def test_the_summary_column_comes_from_the_registry(capture: Callable[..., Capture]) -> None:
    c = capture()
    c.receive(FrameSpec(1, b"evt:chat"), FrameSpec(1, b"plain"), FrameSpec(8, b"\x03\xe8"))
    view = _EventView()
    model = FrameTableModel(c.store, registry=_registry_with(view))
    assert COLUMNS[COL_PAYLOAD] == "Summary"
    assert column(model, COL_PAYLOAD)[:3] == ["EVT chat", "plain", "1000 Normal closure"]
    tip = str(cell(model, 0, COL_PAYLOAD, Qt.ItemDataRole.ToolTipRole))
    assert "EVT chat" in tip and "Shown by the Event view" in tip
    model.force_view("hex")
    assert model.forced_view() == "hex"
    assert column(model, COL_PAYLOAD)[:3] == [
        "65 76 74 3a 63 68 61 74",
        "70 6c 61 69 6e",
        "03 e8",
    ]
    model.force_view(None, row=0)
    model.force_view("text", row=0)
    assert cell(model, 0, COL_PAYLOAD) == "evt:chat", "a view forced for one message"
    model.force_view(None)
    assert cell(model, 0, COL_PAYLOAD) == "EVT chat"
    with pytest.raises(KeyError):
        model.force_view("no-such-view")


def test_a_forced_view_repaints_the_summary_column(capture: Callable[..., Capture]) -> None:
    c = capture()
    c.receive(FrameSpec(1, b"evt:a"), FrameSpec(1, b"evt:b"))
    model = FrameTableModel(c.store, registry=_registry_with(_EventView()))
    model.refresh()
    changed: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda a, b, roles: changed.append((a.row(), a.column(), b.row(), b.column()))
    )
    assert cell(model, 1, COL_PAYLOAD) == "EVT b"
    model.force_view("hex")
    assert changed == [(0, COL_PAYLOAD, 1, COL_PAYLOAD)]
    assert cell(model, 1, COL_PAYLOAD) == "65 76 74 3a 62"


@pytest.mark.slow
def test_summaries_are_computed_for_visible_rows_only(
    capture: Callable[..., Capture], qtbot: QtBot
) -> None:
    c = capture()
    for i in range(0, 100_000, 1000):
        c.receive(*(FrameSpec(1, f"evt:{i + k}".encode()) for k in range(1000)))
    counting = _EventView()
    view = TimelineView(c.store, registry=_registry_with(counting))
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    view.grab()
    assert view.model.rowCount() == 100_000
    first = counting.summaries
    assert 0 < first < 200, "only the rows on screen are summarised"
    view.grab()
    assert counting.summaries == first, "a repaint reads the cached summaries"
    view.table.scrollToTop()  # the view follows the tail: it starts at the bottom
    view.grab()
    assert first < counting.summaries < 2 * first + 50


def test_the_rows_about_to_be_painted_are_summarised_in_one_go(
    capture: Callable[..., Capture],
) -> None:
    c = capture()
    c.receive(*(FrameSpec(1, f"evt:{i}".encode()) for i in range(60)))
    counting = _EventView()
    model = FrameTableModel(c.store, registry=_registry_with(counting))
    model.refresh()
    model.set_painted_rows(10, 19)
    assert cell(model, 10, COL_PAYLOAD) == "EVT 10"
    assert counting.summaries == 10, "the first uncached row fills the painted rows"
    assert [cell(model, r, COL_PAYLOAD) for r in range(10, 20)] == [
        f"EVT {r}" for r in range(10, 20)
    ]
    assert counting.summaries == 10, "then they are cached"
    assert cell(model, 40, COL_PAYLOAD) == "EVT 40"  # outside: that row alone
    assert counting.summaries == 11
    model.set_painted_rows(55, 80)  # past the last row: up to the last row
    assert cell(model, 55, COL_PAYLOAD) == "EVT 55" and counting.summaries == 16
    # Filtered: the painted table rows are mapped to their store rows.
    model.set_filter(search="evt:3")
    rows = store_rows(model)
    model.set_painted_rows(0, len(rows) - 1)
    assert column(model, COL_PAYLOAD) == [f"EVT {r}" for r in rows]
