"""A timeline row as a library item ("Edit and resend"): the message it belongs to,
or the frame itself, with nothing received changed."""

from __future__ import annotations

import pytest

from inspector.capture.events import (
    Direction,
    FramesCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
)
from inspector.capture.store import CaptureStore
from inspector.library.capture_rows import item_from_row
from inspector.library.items import ItemKind, prepare
from inspector.library.variables import Expander
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.events import Message
from inspector.protocol.frames import FrameBatch, FrameSpec, encode_frame


def received(*specs: FrameSpec, deflate: bool = False) -> CaptureStore:
    """A client's store of what a server sent, parsed as the recorder does."""
    store = CaptureStore(SessionInfo("ws://x/", SessionRole.CLIENT, "", 0.0))
    proto = Protocol(
        Role.CLIENT,
        auto_pong=False,
        auto_close=False,
        deflate=PerMessageDeflate(DeflateParams(), Role.CLIENT) if deflate else None,
    )
    proto.receive_data(b"".join(b"".join(encode_frame(s, Role.SERVER)) for s in specs))
    for event in proto.events_received():
        if isinstance(event, FrameBatch):
            store.add(FramesCaptured(0.0, Direction.IN, event))
        elif isinstance(event, Message):
            store.add(MessageCaptured(0.0, Direction.IN, event))
    return store


def test_a_fragmented_text_message_comes_back_whole_from_any_of_its_rows() -> None:
    store = received(
        FrameSpec(Opcode.TEXT, b"Hel", fin=False),
        FrameSpec(Opcode.PING, b"p"),
        FrameSpec(Opcode.CONT, "lo ✓".encode(), fin=True),
    )
    for row in (0, 2):
        item = item_from_row(store, row)
        assert (item.kind, item.text) == (ItemKind.TEXT, "Hello ✓")
    ping = item_from_row(store, 1)
    assert (ping.kind, ping.text) == (ItemKind.PING, "p")


def test_a_compressed_message_is_given_inflated_its_frame_as_on_the_wire() -> None:
    deflate = PerMessageDeflate(DeflateParams(), Role.SERVER)
    payload = deflate.compress(b'{"a": 1}')
    store = received(FrameSpec(Opcode.TEXT, payload, rsv1=True), deflate=True)
    assert item_from_row(store, 0).text == '{"a": 1}'
    frame = item_from_row(store, 0, as_frame=True)
    assert frame.kind is ItemKind.FRAME and frame.bits is not None and frame.bits.rsv1
    assert frame.data == payload  # compressed bytes: not text


def test_the_frame_keeps_its_bits_and_is_masked_from_a_client_seat() -> None:
    store = received(FrameSpec(Opcode.BINARY, b"\x00\x01", fin=False))
    item = item_from_row(store, 0, as_frame=True)
    assert item.bits is not None
    assert (item.bits.opcode, item.bits.fin, item.bits.mask) == (Opcode.BINARY, False, True)
    specs = prepare(item, Expander(env={})).specs
    assert specs[0].payload == b"\x00\x01" and specs[0].mask_key is not None
    message = item_from_row(store, 0)
    assert (message.kind, message.data) == (ItemKind.BINARY, b"\x00\x01")


def test_close_frames_become_close_items_or_frames_when_not_code_and_reason() -> None:
    store = received(FrameSpec(Opcode.CLOSE, (4001).to_bytes(2, "big") + b"gone"))
    close = item_from_row(store, 0)
    assert (close.kind, close.close_code, close.text) == (ItemKind.CLOSE, 4001, "gone")
    odd = received(FrameSpec(Opcode.CLOSE, b"\x03"))
    item = item_from_row(odd, 0)
    assert item.kind is ItemKind.FRAME and item.data == b"\x03"


def test_text_that_is_not_utf8_is_resent_byte_for_byte_as_a_frame() -> None:
    store = received(FrameSpec(Opcode.TEXT, b"ok\xff"))
    item = item_from_row(store, 0)
    assert item.kind is ItemKind.FRAME and item.data == b"ok\xff"
    assert item.bits is not None and item.bits.opcode == Opcode.TEXT


def test_no_such_row() -> None:
    with pytest.raises(IndexError):
        item_from_row(received(FrameSpec(Opcode.TEXT, b"x")), 5)
