"""Shared samples for the capture tests: sessions made of real frames, and the
comparisons the tests make of them."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from inspector.capture.budget import DEFAULT_MAX_CAPTURE_BYTES
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
from inspector.capture.formats.journal import JournalWriter
from inspector.capture.formats.jsonl import write_jsonl
from inspector.capture.store import CaptureStore, StoredEvent
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec, encode_frame
from inspector.protocol.parser import FrameParser
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


# ------------------------------------------------------- sessions as events


class Recording(CaptureStore):
    """A store that remembers the events it was given, in order."""

    def __init__(
        self, session: SessionInfo, *, max_payload_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES
    ) -> None:
        super().__init__(session, max_payload_bytes=max_payload_bytes)
        self.given: list[FramesCaptured | StoredEvent] = []

    def add(self, event: FramesCaptured | StoredEvent) -> None:
        self.given.append(event)
        super().add(event)


def clean_events(role: Role = Role.CLIENT) -> Recording:
    """Ordinary traffic, as a connection publishes it: batches of received frames,
    lists of sent frames, messages (fragmented ones too), no violations."""
    peer = role.peer
    store = Recording(SessionInfo("ws://clean.test/", SessionRole(role.value), "", 0.0))
    me = Protocol(role)
    other = Protocol(peer)
    keys = iter([b"\x01\x02\x03\x04", b"\xa0\xb0\xc0\xd0"] * 1000)
    sender = Protocol(role, mask_key_source=lambda: next(keys))
    store.add(StateChanged(0.0, ConnectionState.OPEN))
    t = 0.0
    for round_ in range(5):
        t += 0.01
        for i in range(40):
            sender.send_text(f"out {round_} {i}")
        sender.send_binary(bytes(range(200)), fragments=3)
        sent = sender.events_sent()
        sender.data_to_send()
        store.add(FramesCaptured(t, Direction.OUT, [e for e in sent if isinstance(e, Frame)]))
        for e in sent:
            if isinstance(e, Message):
                store.add(MessageCaptured(t, Direction.OUT, e))
        for i in range(300):
            other.send_text(f"in {round_} {i} " + "x" * (i % 200))
        other.send_binary(b"\x00" * 70000)
        other.send_text("fragmented " * 30, fragments=4)
        data = b"".join(other.data_to_send())
        t += 0.01
        for k in range(0, len(data), 4096):  # several socket reads
            me.receive_data(data[k : k + 4096])
            for got in me.events_received():
                if isinstance(got, FrameBatch):
                    store.add(FramesCaptured(t, Direction.IN, got))
                elif isinstance(got, Message):
                    store.add(MessageCaptured(t, Direction.IN, got))
    store.add(StateChanged(t, ConnectionState.CLOSED, 1000, "", True))
    return store


def compressed_flood() -> Recording:
    """Compressed messages, as a permessage-deflate feed sends them: every message is
    one the store keeps (its data is not in the frames)."""
    params = DeflateParams()
    me = Protocol(Role.CLIENT, deflate=PerMessageDeflate(params, Role.CLIENT))
    peer = Protocol(Role.SERVER, deflate=PerMessageDeflate(params, Role.SERVER))
    store = Recording(SessionInfo("wss://feed.test/", SessionRole.CLIENT, "", 0.0))
    for i in range(3000):
        peer.send_text(f'{{"tick":{i},"px":{i % 97}.5,"sym":"ABC"}}')
    peer.send_binary(bytes(range(256)) * 3)
    peer.send_text("é" * 5000, fragments=3)
    data = b"".join(peer.data_to_send())
    for k in range(0, len(data), 8192):
        me.receive_data(data[k : k + 8192])
        for e in me.events_received():
            if isinstance(e, FrameBatch):
                store.add(FramesCaptured(k / 1e6, IN, e))
            elif isinstance(e, Message):
                store.add(MessageCaptured(k / 1e6, IN, e))
    me.send_text("subscribe " * 20)
    sent = me.events_sent()
    store.add(FramesCaptured(1.0, OUT, [e for e in sent if isinstance(e, Frame)]))
    store.add(MessageCaptured(1.0, OUT, next(e for e in sent if isinstance(e, Message))))
    return store


def write_journal(
    path: Path, store: Recording, *, compact: bool = True, finish: bool = True
) -> JournalWriter:
    writer = JournalWriter(path, store.session, compact=compact)
    for event in store.given:
        writer.add(event)
    if finish:
        writer.finish()
    else:
        writer.flush()
    return writer


def capture_text(store: CaptureStore) -> str:
    buf = io.StringIO()
    write_jsonl(store, buf)
    return buf.getvalue()


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
