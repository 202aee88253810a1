"""One-line previews for a table row, without Qt: bounded reads, the payload first,
and where a search matches."""

from __future__ import annotations

import tracemalloc
import zlib

from inspector.capture.events import (
    Direction,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
)
from inspector.capture.store import CaptureStore
from inspector.protocol.constants import Role
from inspector.protocol.events import Message
from inspector.protocol.frames import FrameSpec, encode_frame
from inspector.protocol.parser import FrameParser
from inspector.views.preview import (
    PREVIEW_CHARS,
    frame_carriage,
    frame_preview,
    match_spans,
    one_line,
)


def new_store() -> CaptureStore:
    return CaptureStore(
        SessionInfo("ws://127.0.0.1:9/", SessionRole.CLIENT, "2024-05-01T12:00:00+00:00", 0.0)
    )


def receive(store: CaptureStore, *specs: FrameSpec, deflate: bool = False) -> None:
    data = b"".join(b"".join(encode_frame(s, Role.SERVER)) for s in specs)
    parser = FrameParser(Role.CLIENT, rsv_allowed=0x40 if deflate else 0)
    store.add(FramesCaptured(0.5, Direction.IN, parser.feed(data)))


def test_text_binary_control_close() -> None:
    store = new_store()
    receive(
        store,
        FrameSpec(1, "line one\nline\x1b two\u202e".encode()),
        FrameSpec(2, bytes(range(64))),
        FrameSpec(9, b"ping!"),
        FrameSpec(10, b"\x00\x01"),
        FrameSpec(8, b"\x03\xe8bye"),
        FrameSpec(1, b"x" * 300),
    )
    # The registry's text summary: line breaks folded, controls shown as escapes.
    assert frame_preview(store, 0) == "line one line\\e two\\u202e"
    hexed = frame_preview(store, 1)
    assert hexed.startswith("00 01 02") and hexed.endswith("\u2026")
    assert len(hexed) <= PREVIEW_CHARS + 2
    assert frame_preview(store, 2) == "ping!"
    assert frame_preview(store, 3) == "00 01", "a pong that is not text is shown in hex"
    assert frame_preview(store, 4) == "1000 Normal closure 'bye'"
    assert frame_preview(store, 5) == "x" * PREVIEW_CHARS + "\u2026"
    assert one_line("a\r\nb") == "a  b"


def test_a_compressed_message_shows_its_payload_first() -> None:
    # Issue 9 item 21: "⇲ 23 B inflated: " took most of the column before the payload.
    store = new_store()
    store.add(
        HandshakeCaptured(
            0.0,
            Direction.IN,
            b"HTTP/1.1 101\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols",
            (),
            extensions="permessage-deflate",
        )
    )
    c = zlib.compressobj(wbits=-15)
    wire = (c.compress(b"Hello, WebSocket!") + c.flush(zlib.Z_SYNC_FLUSH))[:-4]
    receive(
        store, FrameSpec(1, wire[:4], fin=False, rsv1=True), FrameSpec(0, wire[4:]), deflate=True
    )
    message = Message(1, b"Hello, WebSocket!", "Hello, WebSocket!", 0, 1, len(wire), True, False, 2)
    store.add(MessageCaptured(0.5, Direction.IN, message))
    assert frame_preview(store, 1) == "Hello, WebSocket!"
    assert frame_carriage(store, 1) == (True, len(message.data))
    first = frame_preview(store, 0)
    assert first == wire[:4].hex(" "), "a compressed fragment is deflate data: hex"
    assert frame_carriage(store, 0) == (True, None)


def test_a_preview_reads_a_bounded_prefix() -> None:
    store = new_store()
    big = b"A" * (64 * 2**20)
    header = bytes.fromhex("817f") + len(big).to_bytes(8, "big")
    store.append_frame(0.5, Direction.IN, 0, 0, header, big)
    store.append_frame(0.6, Direction.IN, 1, 0, b"\x82" + header[1:], b"\x00" * len(big))
    tracemalloc.start()
    try:
        text = frame_preview(store, 0)
        hexed = frame_preview(store, 1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert text == "A" * PREVIEW_CHARS + "\u2026" and hexed.startswith("00 00")
    assert peak < 64 * 1024, "no copy of the payload is made"


def test_not_kept_and_empty() -> None:
    store = new_store()
    store.append_frame(
        0.1, Direction.IN, 0, 0, bytes.fromhex("827f") + (2**40).to_bytes(8, "big"), b""
    )
    store.append_frame(0.2, Direction.IN, 1, 0, bytes.fromhex("8900"), b"")
    assert frame_preview(store, 0) == f"(payload not kept: {2**40:,} bytes)"
    assert frame_preview(store, 1) == "(empty)"


def test_match_spans() -> None:
    assert match_spans("Hello hello", "hello", regex=False, case=False) == [(0, 5), (6, 11)]
    assert match_spans("Hello hello", "hello", regex=False, case=True) == [(6, 11)]
    assert match_spans("a.b axb", "a.b", regex=False, case=False) == [(0, 3)]
    assert match_spans("a.b axb", "a.b", regex=True, case=False) == [(0, 3), (4, 7)]
    assert match_spans("abc", "x*", regex=True, case=False) == [], "empty matches are left out"
    assert match_spans("abc", "(", regex=True, case=False) == [], "an invalid expression"
    assert match_spans("abc", "", regex=False, case=False) == []
    assert len(match_spans("a" * 1000, "a", regex=False, case=False)) == 64
