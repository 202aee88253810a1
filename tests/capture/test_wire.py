"""Bytes on the wire per direction: what was sent, not what the headers declare."""

from __future__ import annotations

from inspector.capture.events import Direction, FramesCaptured, RawBytesSent
from inspector.capture.store import CaptureStore
from inspector.capture.wire import WireCounter, header_size
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.frames import Frame, FrameSpec
from inspector.protocol.parser import FrameParser

from .conftest import KEY, session_info, wire


def _sent(proto: Protocol, store: CaptureStore) -> None:
    proto.data_to_send()
    frames = [e for e in proto.events_sent() if isinstance(e, Frame)]
    if frames:
        store.add(FramesCaptured(0.0, Direction.OUT, frames))


def test_header_sizes_follow_the_length_form_and_the_mask_bit() -> None:
    assert header_size(0x05) == 2
    assert header_size(0x85) == 6
    assert header_size(126) == 4
    assert header_size(0x80 | 127) == 14


def test_a_lying_length_counts_the_bytes_that_went_out() -> None:
    store = CaptureStore(session_info())
    proto = Protocol(Role.CLIENT, mask_key_source=lambda: KEY)
    counter = WireCounter(store)
    proto.send_frame(FrameSpec(Opcode.TEXT, b"123456789", declared_length=100))
    _sent(proto, store)
    # Declared: 6 + 100. On the wire: a 6-byte header (masked) and 9 bytes.
    assert store.counters(Direction.OUT).wire_bytes == 106
    assert counter.bytes(Direction.OUT) == 6 + 9 == proto.bytes_sent
    proto.send_text("ok")
    _sent(proto, store)
    assert counter.bytes(Direction.OUT) == proto.bytes_sent == 15 + 6 + 2
    proto.send_raw(b"\x00\x01\x02")
    _sent(proto, store)
    store.add(RawBytesSent(0.0, b"\x00\x01\x02", 23))
    assert counter.bytes(Direction.OUT) == proto.bytes_sent == 26
    assert counter.bytes(Direction.IN) == 0


def test_incoming_bytes_are_counted_per_direction_and_incrementally() -> None:
    store = CaptureStore(session_info())
    counter = WireCounter(store)
    first = wire(FrameSpec(Opcode.TEXT, b"a" * 200), FrameSpec(Opcode.BINARY, b"xyz"))
    second = wire(FrameSpec(Opcode.PING, b"p"))
    parser = FrameParser(Role.SERVER, max_frame_size=100_000)
    store.add(FramesCaptured(0.0, Direction.IN, parser.feed(first)))
    assert counter.bytes(Direction.IN) == len(first)
    store.add(FramesCaptured(0.0, Direction.IN, parser.feed(second)))
    assert counter.bytes(Direction.IN) == len(first + second) == (4 + 200) + (2 + 3) + (2 + 1)
    assert counter.bytes(Direction.OUT) == 0
