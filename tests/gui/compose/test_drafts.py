"""A library item loaded into the compose pane and made into an item again is the
same item: each kind lands in its own tab with every field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from inspector.gui.compose.pane import ComposePane
from inspector.library.items import FrameBits, ItemKind, LibraryItem

pytestmark = pytest.mark.gui

ITEMS = [
    (LibraryItem("t", ItemKind.TEXT, text="hé {{uuid}}", fragments=3, compress=False), "TAB_TEXT"),
    (LibraryItem("b", ItemKind.BINARY, data=bytes(range(40)), fragments=2), "TAB_BINARY"),
    (LibraryItem("p", ItemKind.PING, text="are you there"), "TAB_CONTROL"),
    (LibraryItem("q", ItemKind.PONG, data=b"\x00\xff"), "TAB_CONTROL"),
    (LibraryItem("c", ItemKind.CLOSE, text="bye", close_code=4001), "TAB_CLOSE"),
    (LibraryItem("c2", ItemKind.CLOSE, text="", close_code=1001), "TAB_CLOSE"),
    (
        LibraryItem(
            "f",
            ItemKind.FRAME,
            text="abcd",
            fragments=2,
            bits=FrameBits(opcode=3, fin=False, rsv2=True, length_form=64),
        ),
        "TAB_FRAME",
    ),
    (
        LibraryItem(
            "g",
            ItemKind.FRAME,
            data=b"\x01\x02",
            bits=FrameBits(opcode=2, mask=False, declared_length=9),
        ),
        "TAB_FRAME",
    ),
    (LibraryItem("r", ItemKind.RAW, data=b"\x81\x00"), "TAB_RAW"),
]


@pytest.mark.parametrize(("item", "tab"), ITEMS, ids=[i.name for i, _ in ITEMS])
def test_an_item_goes_to_its_tab_and_comes_back_the_same(
    make_pane: Callable[[], ComposePane], item: LibraryItem, tab: str
) -> None:
    pane = make_pane()
    pane.load_item(item)
    assert pane.tabs.currentIndex() == getattr(pane, tab)
    again = pane.draft_item()
    assert replace(again, name=item.name) == item


def test_a_json_item_loads_as_text(make_pane: Callable[[], ComposePane]) -> None:
    pane = make_pane()
    pane.load_item(LibraryItem("j", ItemKind.JSON, text='{"a": 1}'))
    assert pane.text_edit.toPlainText() == '{"a": 1}'
    assert pane.draft_item().kind is ItemKind.TEXT  # the Save dialog's JSON box decides


def test_nothing_to_save_says_why(make_pane: Callable[[], ComposePane]) -> None:
    pane = make_pane()
    pane.tabs.setCurrentIndex(pane.TAB_RAW)
    with pytest.raises(ValueError, match="type the bytes"):
        pane.draft_item()
    pane.tabs.setCurrentIndex(pane.TAB_BINARY)
    pane.binary.edit.setPlainText("zz")
    with pytest.raises(ValueError):
        pane.draft_item()


FORMAT_ITEMS = [
    LibraryItem("m", ItemKind.FORMAT, view="msgpack", fields=(("value", '{"n": {{counter}}}'),)),
    LibraryItem("c", ItemKind.FORMAT, view="cbor", fields=(("value", "[1, 2]"),)),
    LibraryItem(
        "s",
        ItemKind.FORMAT,
        view="socket.io",
        fields=(
            ("packet", "ack"),
            ("namespace", "/chat"),
            ("event", ""),
            ("args", '["ok"]'),
            ("ack", "7"),
        ),
    ),
    LibraryItem(
        "t",
        ItemKind.FORMAT,
        view="stomp",
        fields=(("command", "SUBSCRIBE"), ("headers", "id:0\ndestination:/t"), ("body", "")),
    ),
    LibraryItem(
        "g",
        ItemKind.FORMAT,
        view="graphql",
        fields=(
            ("message", "subscribe"),
            ("protocol", "graphql-ws"),
            ("id", "9"),
            ("query", "subscription { a }"),
            ("operation", "A"),
            ("variables", '{"x": 1}'),
            ("payload", ""),
        ),
    ),
]


@pytest.mark.parametrize("item", FORMAT_ITEMS, ids=[i.view or "" for i in FORMAT_ITEMS])
def test_a_format_item_fills_its_form_and_comes_back_the_same(
    make_pane: Callable[[], ComposePane], item: LibraryItem
) -> None:
    pane = make_pane()
    pane.load_item(item)
    assert pane.tabs.currentIndex() == pane.TAB_FORMAT
    assert pane.format.format.currentData() == item.view
    assert replace(pane.draft_item(), name=item.name) == item
