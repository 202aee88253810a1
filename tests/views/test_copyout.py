"""Tests of inspector.views.copyout: payloads as text, hex, base64; whole messages."""

from __future__ import annotations

import base64

import pytest

from inspector.capture.events import (
    Direction,
    FramesCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
)
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.events import Message
from inspector.protocol.frames import FrameBatch, FrameSpec, encode_frame
from inspector.views.copyout import PayloadFormat, encode_payload, message_payload


def received(*specs: FrameSpec, deflate: bool = False) -> CaptureStore:
    """A client's store of what a server sent, parsed as the recorder does."""
    store = CaptureStore(SessionInfo("ws://x/", SessionRole.CLIENT, "", 0.0))
    params = DeflateParams()
    proto = Protocol(
        Role.CLIENT,
        auto_pong=False,
        auto_close=False,
        deflate=PerMessageDeflate(params, Role.CLIENT) if deflate else None,
    )
    proto.receive_data(b"".join(b"".join(encode_frame(s, Role.SERVER)) for s in specs))
    for event in proto.events_received():
        if isinstance(event, FrameBatch):
            store.add(FramesCaptured(0.0, Direction.IN, event))
        elif isinstance(event, Message):
            store.add(MessageCaptured(0.0, Direction.IN, event))
    return store


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (PayloadFormat.TEXT, "h\ufffdi"),
        ("hex", "68 ff 69"),
        ("base64", base64.b64encode(b"h\xffi").decode()),
    ],
)
def test_encode_payload(fmt: PayloadFormat | str, expected: str) -> None:
    assert encode_payload(b"h\xffi", fmt) == expected


def test_encode_payload_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="'rot13'"):
        encode_payload(b"x", "rot13")


def test_message_payload_from_any_fragment_with_a_ping_in_between() -> None:
    store = received(
        FrameSpec(Opcode.TEXT, "héllo ".encode(), fin=False),
        FrameSpec(Opcode.PING, b"between"),
        FrameSpec(Opcode.CONT, "wörld".encode()),
    )
    assert [message_payload(store, r) for r in (0, 2)] == ["héllo wörld".encode()] * 2
    assert message_payload(store, 1) == b"between"  # a control frame: its own payload


def test_message_payload_of_an_unfinished_message() -> None:
    store = received(
        FrameSpec(Opcode.BINARY, b"abc", fin=False), FrameSpec(Opcode.CONT, b"def", fin=False)
    )
    assert message_payload(store, 1) == b"abcdef"


def test_message_payload_inflated() -> None:
    server = PerMessageDeflate(DeflateParams(), Role.SERVER)
    wire = server.compress(b"compress me " * 10)
    store = received(
        FrameSpec(Opcode.TEXT, wire[:5], fin=False, rsv1=True),
        FrameSpec(Opcode.CONT, wire[5:]),
        deflate=True,
    )
    assert store.frame(0).payload == wire[:5]  # a frame's payload: deflate data
    assert message_payload(store, 0) == b"compress me " * 10
