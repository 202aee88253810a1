"""Shared samples for the capture tests: sessions made of real frames, and the
comparisons the tests make of them."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from inspector.capture.events import (
    AcceptCheck,
    ConnectionState,
    Direction,
    ErrorCaptured,
    ErrorStep,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    RawBytesSent,
    RttSample,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
    TlsInfo,
    ViolationCaptured,
)
from inspector.capture.formats.jsonl import write_jsonl
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameBatch, FrameParser, FrameSpec, encode_frame
from inspector.protocol.violations import Rule, Violation

try:
    from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
except ImportError:  # pragma: no cover - the deflate module is optional here
    PerMessageDeflate = None  # type: ignore[assignment,misc]

OUT, IN = Direction.OUT, Direction.IN
KEY = b"\x11\x22\x33\x44"


def session_info(
    url: str = "ws://example.test/feed", role: SessionRole = SessionRole.CLIENT
) -> SessionInfo:
    return SessionInfo(url, role, "2024-05-01T12:00:00+00:00", 1714564800.0)


def wire(*specs: FrameSpec, sender: Role = Role.SERVER) -> bytes:
    """The bytes of ``specs`` as ``sender`` puts them on the wire."""
    out = b""
    for spec in specs:
        header, payload = encode_frame(spec, sender)
        out += header + payload
    return out


def received(data: bytes, *, sender: Role = Role.SERVER, chunks: int = 1) -> list[FrameBatch]:
    """Batches from the real parser, fed in ``chunks`` pieces so offsets have a base."""
    parser = FrameParser(sender, max_frame_size=100_000)
    step = -(-len(data) // chunks)
    return [parser.feed(data[i : i + step]) for i in range(0, len(data), step)]


def rich_store(make: Callable[[SessionInfo], CaptureStore] = CaptureStore) -> CaptureStore:
    """A client session with every kind of line: handshakes with TLS and timings,
    masked and unmasked frames, all length forms, fragments with a ping between,
    compressed messages, violations, a frame too large to keep, awkward text, and
    every other event type."""
    store = make(
        SessionInfo(
            "wss://example.test/feed?x=1",
            SessionRole.CLIENT,
            "2024-05-01T12:00:00.123456+02:00",
            1714557600.123456,
            SessionSource.LIVE,
            ("first note", "ünïcode note"),
        )
    )
    deflate = PerMessageDeflate is not None
    store.add(StateChanged(0.0, ConnectionState.CONNECTING, detail="dialling"))
    store.add(
        HandshakeCaptured(
            0.01,
            OUT,
            b"GET /feed HTTP/1.1\r\nHost: example.test\r\n\r\n",
            "GET /feed HTTP/1.1",
            (("Host", "example.test"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")),
        )
    )
    store.add(
        HandshakeCaptured(
            0.02,
            IN,
            b"HTTP/1.1 101 Switching Protocols\r\nX-Odd: \xff\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols",
            (("Upgrade", "websocket"), ("X-Odd", "\udcff")),
            AcceptCheck(
                "dGhlIHNhbXBsZSBub25jZQ==",
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                True,
                "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                "b37a4f2cc0624f1690f64606cf385945b2bec4ea",
            ),
            (Violation(Rule.HANDSHAKE_INVALID, "a header is odd", 34),),
            "chat.v2",
            "permessage-deflate" if deflate else None,
            (("dns", 0.001), ("tcp", 0.004), ("tls", 0.0105), ("handshake", 0.02)),
            TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", "CN=example.test", "CN=CA", "Jan 1", True),
        )
    )
    store.add(StateChanged(0.021, ConnectionState.OPEN))

    params = DeflateParams() if deflate else None
    keys = iter([KEY, b"\x00\x00\x00\x00", b"\xff\xfe\xfd\xfc"] * 20)
    client = Protocol(
        Role.CLIENT,
        max_frame_size=1000,
        deflate=PerMessageDeflate(params, Role.CLIENT) if params else None,
        mask_key_source=lambda: next(keys),
    )
    server = Protocol(
        Role.SERVER, deflate=PerMessageDeflate(params, Role.SERVER) if params else None
    )

    def send(t: float) -> None:
        sent = client.events_sent()
        store.add(FramesCaptured(t, OUT, [e for e in sent if isinstance(e, Frame)]))
        for e in sent:
            if isinstance(e, Message):
                store.add(MessageCaptured(t, OUT, e))
        client.data_to_send()

    def receive(t: float) -> None:
        client.receive_data(b"".join(server.data_to_send()))
        for e in client.events_received():
            if isinstance(e, FrameBatch):
                store.add(FramesCaptured(t, IN, e))
            elif isinstance(e, Message):
                store.add(MessageCaptured(t, IN, e))

    client.send_text('hello "server"\\ \n\t\x01 \u2028 ✓ 😀', fragments=3, compress=False)
    client.send_binary(bytes(range(256)), compress=True)
    client.send_ping(b"\x00ping")
    client.send_frame(FrameSpec(Opcode.TEXT, b"16-bit form", length_form=16))
    send(0.1)
    server.send_text("reply " * 40)  # compressed when deflate is on
    server.send_binary(b"\x00" * 300, fragments=2, compress=False)
    server.send_ping(b"in the middle")
    server.send_frame(FrameSpec(Opcode.TEXT, b"\xff\xfe not utf-8"))
    server.send_frame(FrameSpec(Opcode.TEXT, b"64-bit form", length_form=64, rsv2=True))
    server.send_frame(FrameSpec(0x5, b"reserved"))
    server.send_frame(FrameSpec(Opcode.BINARY, b"B" * 5000))  # over max_frame_size
    server.send_frame(FrameSpec(Opcode.PONG, b"", mask=True, mask_key=KEY))
    receive(0.2)
    send(0.21)  # the automatic pong
    store.add(RttSample(0.22, 0.0123, b"\x00ping"))
    store.add(RawBytesSent(0.23, b"\x81\x05hel", 9999))
    store.add(ViolationCaptured(0.24, IN, Violation(Rule.INVALID_UTF8, "cut short", None)))
    store.add(ErrorCaptured(0.25, ErrorStep.READ, 'peer said "no"', fatal=False))
    server.send_close(1001, "gône")
    receive(0.3)
    send(0.31)
    store.add(StateChanged(0.4, ConnectionState.CLOSED, 1001, "gône", True, "clean"))
    store.add(ErrorCaptured(0.5, ErrorStep.CLOSE, "done"))
    return store


def assert_same(a: CaptureStore, b: CaptureStore) -> None:
    """``b`` holds exactly what ``a`` holds: every column, payload, violation,
    message and event."""
    assert b.session == a.session
    assert len(b) == len(a)
    for row in range(len(a)):
        assert b.frame(row) == a.frame(row), row
        assert b.header(row) == a.header(row)
    for col_a, col_b in zip(a._columns(), b._columns(), strict=True):
        assert col_b == col_a
    assert b.payloads == a.payloads
    assert b.violations == a.violations
    assert b.messages == a.messages
    assert b.events == a.events
    assert b.event_rows == a.event_rows
    for d in Direction:
        assert b.counters(d) == a.counters(d)
        assert b.handshake(d) == a.handshake(d)
    assert b.state == a.state


def frame_rows_are_a_prefix(original: CaptureStore, loaded: CaptureStore) -> None:
    assert len(loaded) <= len(original)
    for row in range(len(loaded)):
        assert loaded.frame(row) == original.frame(row)
        assert loaded.t[row] == original.t[row] and loaded.dir[row] == original.dir[row]


def capture_bytes(store: CaptureStore) -> bytes:
    """The capture file of ``store``."""
    buf = io.StringIO()
    write_jsonl(store, buf)
    return buf.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def rich() -> CaptureStore:
    return rich_store()


@pytest.fixture(scope="module")
def rich_file(rich: CaptureStore) -> bytes:
    return capture_bytes(rich)
