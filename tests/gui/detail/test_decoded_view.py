"""The detail pane's Decoded tab: the payload as the view registry shows it, with a
switcher of every applicable view, its text (highlighted JSON), a tree, a view forced
per message that the timeline shows too."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from _detail_samples import make_detail
from conftest import Capture
from PySide6.QtWidgets import QPlainTextEdit
from pytestqt.qtbot import QtBot

from inspector.gui.detail.decoded_view import RENDER_CAP, TREE_CAP
from inspector.gui.timeline import COL_PAYLOAD, FrameTableModel
from inspector.protocol.frames import FrameSpec
from inspector.views.base import PayloadMeta, Rendered, TreeNode, View
from inspector.views.conversation import conversation_for
from inspector.views.formats import raw
from inspector.views.registry import Registry

pytestmark = pytest.mark.gui


def combo_names(view: object) -> list[str]:
    combo = view.combo  # type: ignore[attr-defined]
    return [combo.itemData(i) for i in range(combo.count())]


def test_a_json_message_is_shown_decoded_with_a_tree(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    doc = {"type": "welcome", "ids": [1, 2]}
    c.receive(FrameSpec(1, json.dumps(doc).encode()))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    view.show_tab("Payload")
    pane = view.payload
    decoded = pane.decoded
    assert pane.has_decoded and pane.tabs.currentWidget() is decoded.widget
    assert combo_names(decoded) == ["json", "text", "hex"], "the best first, raw ones too"
    assert decoded.combo.currentData() == "json"
    assert json.loads(decoded.edit.toPlainText()) == doc
    block = decoded.edit.document().findBlockByNumber(1)
    assert block.layout().formats(), "JSON is highlighted"
    tree = decoded.tree
    assert tree.isVisibleTo(pane)
    root = tree.topLevelItem(0)
    assert root is not None
    assert (root.text(1), root.text(2)) == ("{2}", "object") and root.isExpanded()
    assert [root.child(i).text(0) for i in range(root.childCount())] == ["type", "ids"]  # type: ignore[union-attr]
    first, second = root.child(0), root.child(1)
    assert first is not None and second is not None
    assert first.text(1) == '"welcome"' and second.childCount() == 2


def test_picking_a_view_forces_it_for_the_message(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    c.receive(FrameSpec(1, b'{"a": 1}'), FrameSpec(1, b'{"b": 2}'))
    model = FrameTableModel(c.store)
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    decoded = view.payload.decoded
    hex_at = combo_names(decoded).index("hex")
    decoded.combo.setCurrentIndex(hex_at)
    decoded.combo.activated.emit(hex_at)  # as a user's pick
    assert decoded.rendered is not None and decoded.rendered.view == "hex"
    assert not decoded.tree.isVisibleTo(view), "no tree for hex"
    conv = conversation_for(c.store)
    assert conv.forced(0) == "hex" and conv.forced(1) is None
    assert model.data(model.index(0, COL_PAYLOAD)) == "7b 22 61 22 3a 20 31 7d"
    assert model.data(model.index(1, COL_PAYLOAD)) == '{"b": 2}'
    view.show_frame(c.store, 1)
    view.show_frame(c.store, 0)
    assert decoded.combo.currentData() == "hex", "the forced view is kept for the message"


def test_a_view_that_cannot_read_the_payload_says_where(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    c.receive(FrameSpec(1, b'{"a": 1,'))
    conversation_for(c.store).force("json", row=0)
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    decoded = view.payload.decoded
    assert decoded.combo.currentData() == "json"
    assert "not valid JSON at byte 8" in decoded.info.text()
    assert decoded.edit.toPlainText().startswith("7b 22 61"), "the raw bytes stay in view"


class _EventView(View):
    name = "evt"
    title = "Event"

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        return 0.9 if data.startswith(b"evt:") else -1

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        name = data[4:].decode()
        leaves = tuple(TreeNode(str(i), "x", (), "str") for i in range(TREE_CAP + 10))
        return Rendered(
            self.name, f"event {name}", make_tree=TreeNode("", "", leaves), fields={"event": name}
        )


def test_a_registered_format_is_offered_first_with_its_fields(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    # Fragmented: the Message tab shows the whole message decoded.
    c.receive(FrameSpec(1, b"evt:", fin=False), FrameSpec(0, b"chat"))
    registry = Registry()
    raw.register(registry)
    registry.add(_EventView())
    view = make_detail(qtbot)
    view.registry = registry
    view.show_frame(c.store, 0)
    assert not view.payload.has_decoded, "a fragment is not a whole payload"
    assert view.tab_visible("Message")
    decoded = view.message_payload.decoded
    assert view.message_payload.has_decoded
    assert combo_names(decoded)[0] == "evt"
    assert decoded.edit.toPlainText() == "event chat"
    assert "event: chat" in decoded.info.text()
    tree = decoded.tree
    assert tree.topLevelItemCount() < TREE_CAP + 10
    last = tree.topLevelItem(tree.topLevelItemCount() - 1)
    assert last is not None
    assert "more not shown" in last.text(1)


def test_a_huge_payload_opens_on_the_hex_view(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    c.receive(FrameSpec(2, b"\x00" * (RENDER_CAP + 1)))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    pane = view.payload
    assert pane.tabs.currentIndex() == 0, "Hex, virtualized"
    pane.tabs.setCurrentWidget(pane.decoded.widget)
    assert pane.decoded.rendered is None
    assert "the Hex tab shows every byte" in pane.decoded.info.text()


def test_a_one_node_tree_is_hidden_and_prose_wraps(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    # Seen at 1024x640: a PINGREQ's tree was one empty node beside its one-line text,
    # and a long text message was one line to scroll sideways through.
    c = capture()
    c.receive(FrameSpec(2, b"\xc0\x00"))
    c.receive(FrameSpec(1, b"a plain line of text " * 30))
    c.receive(FrameSpec(1, json.dumps({"a": "x" * 300}).encode()))
    view = make_detail(qtbot)
    wrap = QPlainTextEdit.LineWrapMode
    for row, shown_as, tree, wraps in (
        (0, "mqtt", False, wrap.NoWrap),
        (1, "text", False, wrap.WidgetWidth),
        (2, "json", True, wrap.NoWrap),
    ):
        view.show_frame(c.store, row)
        view.show_tab("Payload")
        decoded = view.payload.decoded
        assert decoded.combo.currentData() == shown_as
        assert decoded.tree.isVisibleTo(view.payload) is tree, shown_as
        assert decoded.edit.lineWrapMode() == wraps, shown_as


def test_a_long_value_gets_a_wider_column_and_its_whole_text_as_a_tip(
    qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    c = capture()
    when = "2023-11-14T22:13:20+00:00"
    c.receive(FrameSpec(1, json.dumps({"when": when, "about": "y" * 200}).encode()))
    view = make_detail(qtbot)
    view.show_frame(c.store, 0)
    view.show_tab("Payload")
    tree = view.payload.decoded.tree
    root = tree.topLevelItem(0)
    assert root is not None
    first, second = root.child(0), root.child(1)
    assert first is not None and second is not None
    metrics = tree.fontMetrics()
    assert tree.columnWidth(1) >= metrics.horizontalAdvance(first.text(1)), "a date fits"
    assert tree.columnWidth(1) <= metrics.averageCharWidth() * 32 + 1, "the type stays in sight"
    assert second.toolTip(1) == second.text(1) and len(second.text(1)) > 200
