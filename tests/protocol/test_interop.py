"""Cross-implementation tests: frames built by websockets and wsproto parse to the same
fields with ours; what we send is accepted by both; what we flag, they reject."""

from __future__ import annotations

import struct

import pytest
from websockets.client import ClientProtocol
from websockets.frames import EXTERNAL_CLOSE_CODES
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode as WsOpcode
from websockets.protocol import Protocol as WsProtocol
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader
from websockets.uri import parse_uri
from wsproto.connection import Connection as WsprotoConnection
from wsproto.connection import ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.frame_protocol import FrameProtocol

from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role, is_valid_close_code
from inspector.protocol.events import Failure, Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec, encode_frame
from inspector.protocol.parser import FrameParser
from inspector.protocol.violations import Rule

# Characterisations of other libraries: the slow lane.
pytestmark = pytest.mark.slow

SIZES = [0, 1, 125, 126, 65535, 65536]


def ws_server(max_size: int | None = 2**20) -> ServerProtocol:
    return ServerProtocol(state=State.OPEN, max_size=max_size)


def ws_client(max_size: int | None = 2**20) -> ClientProtocol:
    return ClientProtocol(parse_uri("ws://inspector.test/"), state=State.OPEN, max_size=max_size)


def ws_peer_of(role: Role) -> WsProtocol:
    """The websockets endpoint that talks to us when we are ``role``."""
    return ws_server() if role is Role.CLIENT else ws_client()


def our_frames(data: bytes, sender: Role) -> list[Frame]:
    return list(FrameParser(sender).feed(data))


def ws_frames(data: bytes, *, mask: bool) -> list[WsFrame]:
    """Parse frames with websockets' own frame parser (no connection-level rules)."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    out: list[WsFrame] = []
    while True:
        at_eof = reader.at_eof()
        try:
            next(at_eof)
        except StopIteration as done:
            if done.value:
                return out
        parse = WsFrame.parse(reader.read_exact, mask=mask, max_size=None, extensions=[])
        try:
            next(parse)
        except StopIteration as done:
            out.append(done.value)
        else:
            raise AssertionError("websockets wanted more bytes")


def receive(proto: Protocol, *chunks: bytes) -> tuple[list[Frame], list[Message], list[Failure]]:
    for chunk in chunks:
        proto.receive_data(chunk)
    events = proto.events_received()
    frames = [f for e in events if isinstance(e, FrameBatch) for f in e]
    messages = [e for e in events if isinstance(e, Message)]
    failures = [e for e in events if isinstance(e, Failure)]
    return frames, messages, failures


def payload_of(size: int) -> bytes:
    return bytes(i * 7 % 251 for i in range(size))


# ---------------------------------------------------------------- they build, we parse
def ws_cases() -> list[tuple[WsOpcode, bool, bytes]]:
    cases = []
    for size in SIZES:
        for opcode in (WsOpcode.TEXT, WsOpcode.BINARY, WsOpcode.CONT):
            for fin in (True, False):
                cases.append((opcode, fin, payload_of(size)))
        if size <= 125:  # websockets builds only valid control frames
            cases.append((WsOpcode.PING, True, payload_of(size)))
            cases.append((WsOpcode.PONG, True, payload_of(size)))
            if size != 1:
                cases.append((WsOpcode.CLOSE, True, b"\x03\xe8"[:size] + b"r" * (size - 2)))
    return cases


WS_CASES = ws_cases()


@pytest.mark.parametrize("mask", [True, False], ids=["masked", "unmasked"])
@pytest.mark.parametrize(
    ("opcode", "fin", "payload"),
    WS_CASES,
    ids=[f"{o.name}-{'fin' if f else 'more'}-{len(p)}" for o, f, p in WS_CASES],
)
def test_websockets_frames_parse_identically(
    opcode: WsOpcode, fin: bool, payload: bytes, mask: bool
) -> None:
    data = WsFrame(opcode, payload, fin=fin).serialize(mask=mask, extensions=[])
    sender = Role.CLIENT if mask else Role.SERVER
    (ours,) = our_frames(data, sender)
    (theirs,) = ws_frames(data, mask=mask)
    assert ours.violations == ()
    assert (ours.opcode, ours.fin, ours.rsv1, ours.rsv2, ours.rsv3) == (
        theirs.opcode,
        theirs.fin,
        theirs.rsv1,
        theirs.rsv2,
        theirs.rsv3,
    )
    assert ours.payload == theirs.data == payload
    assert ours.masked is mask and (ours.mask_key is not None) is mask
    assert ours.length == len(payload) and ours.wire_size == len(data)
    assert ours.length_form == (7 if len(payload) < 126 else 16 if len(payload) < 65536 else 64)


def wsproto_bytes(client: bool) -> list[tuple[bytes, int, bool, bytes]]:
    """(wire bytes, opcode, fin, payload) of frames built by wsproto's FrameProtocol."""
    proto = FrameProtocol(client=client, extensions=[])
    big = payload_of(70000)
    return [
        (bytes(proto.send_data("héllo", fin=True)), 1, True, "héllo".encode()),
        (bytes(proto.send_data(b"\x00\x01", fin=False)), 2, False, b"\x00\x01"),
        (bytes(proto.send_data(big, fin=False)), 0, False, big),
        (bytes(proto.send_data(b"end", fin=True)), 0, True, b"end"),
        (bytes(proto.send_data("x" * 300, fin=True)), 1, True, b"x" * 300),
        (bytes(proto.ping(b"ping")), 9, True, b"ping"),
        (bytes(proto.pong(b"")), 10, True, b""),
        (bytes(proto.close(1001, "bye")), 8, True, b"\x03\xe9bye"),
    ]


@pytest.mark.parametrize("client", [True, False], ids=["client", "server"])
def test_wsproto_frames_parse_identically(client: bool) -> None:
    built = wsproto_bytes(client)
    sender = Role.CLIENT if client else Role.SERVER
    data = b"".join(b for b, *_ in built)
    frames = our_frames(data, sender)
    assert [(f.opcode, f.fin, f.payload) for f in frames] == [tuple(b[1:]) for b in built]
    assert all(f.violations == () and f.masked is client for f in frames)
    offsets = [0]
    for b, *_ in built:
        offsets.append(offsets[-1] + len(b))
    assert [f.offset for f in frames] == offsets[:-1]
    # As messages, through our connection.
    proto = Protocol(sender.peer)
    _, messages, failures = receive(proto, data)
    assert failures == []
    assert [(m.opcode, m.data, m.text) for m in messages] == [
        (1, "héllo".encode(), "héllo"),
        (2, b"\x00\x01" + payload_of(70000) + b"end", None),
        (1, b"x" * 300, "x" * 300),
    ]
    assert proto.close_code == 1001 and proto.close_reason == "bye"


def test_wsproto_connection_messages_parse() -> None:
    conn = WsprotoConnection(ConnectionType.CLIENT)
    data = conn.send(TextMessage(data="fragmented ", message_finished=False))
    data += conn.send(Ping(payload=b"in between"))
    data += conn.send(TextMessage(data="text ✓", message_finished=True))
    data += conn.send(BytesMessage(data=b"\xff" * 200))
    data += conn.send(CloseConnection(code=1000, reason="done"))
    proto = Protocol(Role.SERVER)
    frames, messages, failures = receive(proto, data)
    assert failures == [] and all(f.violations == () for f in frames)
    assert [(m.text, m.data, m.first_seq, m.last_seq) for m in messages] == [
        ("fragmented text ✓", "fragmented text ✓".encode(), 0, 2),
        (None, b"\xff" * 200, 3, 3),
    ]
    assert proto.close_code == 1000 and proto.close_reason == "done"
    # Our automatic replies (unmasked pong, close echo) are accepted by wsproto.
    conn.receive_data(b"".join(proto.data_to_send()))
    assert list(conn.events()) == [Pong(payload=b"in between"), CloseConnection(1000, "")]


# ---------------------------------------------------------------- we build, they parse
@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER])
@pytest.mark.parametrize("fragments", [1, 2, 5])
def test_websockets_accepts_our_messages(role: Role, fragments: int) -> None:
    us = Protocol(role)
    peer = ws_peer_of(role)
    text = "ünïcödé " * 20
    us.send_text(text, fragments=fragments)
    us.send_ping(b"p1")
    us.send_binary(payload_of(70000), fragments=fragments)
    us.send_pong(b"unsolicited")
    us.send_text("")
    for chunk in us.data_to_send():
        peer.receive_data(chunk)
    assert peer.close_sent is None and peer.parser_exc is None
    events = [e for e in peer.events_received() if isinstance(e, WsFrame)]
    records = [r for r in us.events_sent() if isinstance(r, Frame)]
    assert [(e.opcode, e.fin, bytes(e.data)) for e in events] == [
        (r.opcode, r.fin, r.payload) for r in records
    ]
    # Reassembled from their frames, the messages are the same as ours.
    text_frames = [e for e in events if e.opcode in (WsOpcode.TEXT, WsOpcode.CONT)]
    assert b"".join(bytes(e.data) for e in text_frames[:fragments]).decode() == text
    # websockets answered our ping; we read its pong without complaint.
    frames, _, failures = receive(us, *peer.data_to_send())
    assert failures == [] and [(f.opcode, f.payload) for f in frames] == [(Opcode.PONG, b"p1")]
    assert frames[0].violations == ()


@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER])
def test_closing_handshake_with_websockets(role: Role) -> None:
    us = Protocol(role)
    peer = ws_peer_of(role)
    us.send_close(1001, "leaving")
    for chunk in us.data_to_send():
        peer.receive_data(chunk)
    assert peer.close_rcvd is not None
    assert (peer.close_rcvd.code, peer.close_rcvd.reason) == (1001, "leaving")
    frames, _, failures = receive(us, *(c for c in peer.data_to_send() if c))
    assert failures == [] and frames[0].violations == ()
    assert us.close_handshake_done and us.close_code == 1001


@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER])
def test_websockets_starts_the_closing_handshake(role: Role) -> None:
    us = Protocol(role)
    peer = ws_peer_of(role)
    peer.send_close(4001, "app-specific")
    frames, _, failures = receive(us, *(c for c in peer.data_to_send() if c))
    assert failures == [] and frames[0].violations == ()
    assert (us.close_code, us.close_reason) == (4001, "app-specific")
    for chunk in us.data_to_send():
        peer.receive_data(chunk)
    assert peer.close_rcvd is not None and peer.close_rcvd.code == 4001
    assert peer.parser_exc is None


@pytest.mark.parametrize("fragments", [1, 3, 7])
def test_wsproto_accepts_our_messages(fragments: int) -> None:
    us = Protocol(Role.CLIENT)
    conn = WsprotoConnection(ConnectionType.SERVER)
    text = "€uro signs split across fragments: €€€"
    us.send_text(text, fragments=fragments)
    us.send_ping(b"?")
    us.send_binary(payload_of(1000), fragments=fragments)
    us.send_close(1000, "ok")
    for chunk in us.data_to_send():
        conn.receive_data(chunk)
    events = list(conn.events())
    texts = [e for e in events if isinstance(e, TextMessage)]
    binaries = [e for e in events if isinstance(e, BytesMessage)]
    assert "".join(e.data for e in texts) == text and texts[-1].message_finished
    assert b"".join(e.data for e in binaries) == payload_of(1000)
    assert Ping(payload=b"?") in events
    assert events[-1] == CloseConnection(code=1000, reason="ok")


def test_frame_specs_accepted_by_websockets_and_wsproto() -> None:
    """Valid frames in every legal (if unusual) shape: all-zero key, empty payloads."""
    specs = [
        FrameSpec(Opcode.TEXT, b"", mask_key=b"\x00" * 4),
        FrameSpec(Opcode.BINARY, payload_of(126), mask_key=b"\xff" * 4),
        FrameSpec(Opcode.PING, b"x" * 125),
        FrameSpec(Opcode.TEXT, "ça".encode()[:2], fin=False),
        FrameSpec(Opcode.CONT, "ça".encode()[2:]),
    ]
    data = b"".join(b"".join(encode_frame(s, Role.CLIENT)) for s in specs)
    theirs = ws_frames(data, mask=True)
    assert [(f.opcode, f.fin, bytes(f.data)) for f in theirs] == [
        (s.opcode, s.fin, s.payload) for s in specs
    ]
    conn = WsprotoConnection(ConnectionType.SERVER)
    conn.receive_data(data)
    events = list(conn.events())
    assert not any(isinstance(e, CloseConnection) for e in events)
    assert [e.data for e in events if isinstance(e, TextMessage)] == ["", "ç", "a"]


# ---------------------------------------------------------------- what we flag, they reject
def server_frame(spec: FrameSpec) -> bytes:
    return b"".join(encode_frame(spec, Role.SERVER))


def client_frame(spec: FrameSpec) -> bytes:
    return b"".join(encode_frame(spec, Role.CLIENT))


REJECTED = [
    # (id, sender of the bad bytes, bytes, our rule, close code websockets sends)
    (
        "unmasked-client-frame",
        Role.CLIENT,
        server_frame(FrameSpec(1, b"hi")),
        Rule.UNMASKED_CLIENT_FRAME,
        1002,
    ),
    (
        "masked-server-frame",
        Role.SERVER,
        client_frame(FrameSpec(1, b"hi")),
        Rule.MASKED_SERVER_FRAME,
        1002,
    ),
    ("rsv1", Role.SERVER, server_frame(FrameSpec(1, b"hi", rsv1=True)), Rule.RESERVED_BIT, 1002),
    ("rsv3", Role.CLIENT, client_frame(FrameSpec(2, b"hi", rsv3=True)), Rule.RESERVED_BIT, 1002),
    ("opcode-3", Role.SERVER, server_frame(FrameSpec(3)), Rule.RESERVED_OPCODE, 1002),
    ("opcode-f", Role.CLIENT, client_frame(FrameSpec(15)), Rule.RESERVED_OPCODE, 1002),
    (
        "long-ping",
        Role.SERVER,
        server_frame(FrameSpec(9, b"p" * 126)),
        Rule.CONTROL_FRAME_TOO_LONG,
        1002,
    ),
    (
        "fragmented-pong",
        Role.CLIENT,
        client_frame(FrameSpec(10, fin=False)),
        Rule.FRAGMENTED_CONTROL_FRAME,
        1002,
    ),
    (
        "orphan-continuation",
        Role.SERVER,
        server_frame(FrameSpec(0, b"x")),
        Rule.UNEXPECTED_CONTINUATION,
        1002,
    ),
    (
        "new-message-inside-fragmented",
        Role.CLIENT,
        client_frame(FrameSpec(1, b"a", fin=False)) + client_frame(FrameSpec(2, b"b")),
        Rule.EXPECTED_CONTINUATION,
        1002,
    ),
    (
        "close-1-byte",
        Role.SERVER,
        server_frame(FrameSpec(8, b"\x03")),
        Rule.CLOSE_PAYLOAD_ONE_BYTE,
        1002,
    ),
    (
        "close-code-1005",
        Role.SERVER,
        server_frame(FrameSpec(8, b"\x03\xed")),
        Rule.INVALID_CLOSE_CODE,
        1002,
    ),
    (
        "close-code-2999",
        Role.CLIENT,
        client_frame(FrameSpec(8, b"\x0b\xb7")),
        Rule.INVALID_CLOSE_CODE,
        1002,
    ),
    (
        "close-reason",
        Role.SERVER,
        server_frame(FrameSpec(8, b"\x03\xe8\xff")),
        Rule.INVALID_CLOSE_REASON,
        1007,
    ),
    ("too-big", Role.SERVER, server_frame(FrameSpec(2, b"b" * 2000)), Rule.FRAME_TOO_LARGE, 1009),
]


@pytest.mark.parametrize(
    ("sender", "data", "rule", "code"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED]
)
def test_what_we_flag_websockets_rejects(sender: Role, data: bytes, rule: Rule, code: int) -> None:
    us = Protocol(sender.peer, strict=True, max_frame_size=1000, max_message_size=1000)
    _, _, failures = receive(us, data)
    assert [f.violation.rule for f in failures] == [rule]
    assert failures[0].close_code == code

    them = ws_server(max_size=1000) if sender is Role.CLIENT else ws_client(max_size=1000)
    them.receive_data(data)
    assert them.close_sent is not None and them.close_sent.code == code
    # And the close frame websockets sent says so on the wire, as we parse it.
    wire = b"".join(them.data_to_send())
    closes = [f for f in our_frames(wire, sender.peer) if f.opcode == Opcode.CLOSE]
    assert [c.close_code for c in closes] == [code]
    assert all(c.violations == () for c in closes)


WSPROTO_REJECTED = [
    # (id, bytes from a client, our rule, close code wsproto reports)
    (
        "non-minimal-16",
        client_frame(FrameSpec(2, b"x", length_form=16)),
        Rule.NON_MINIMAL_LENGTH,
        1002,
    ),
    (
        "non-minimal-64",
        client_frame(FrameSpec(2, b"x" * 300, length_form=64)),
        Rule.NON_MINIMAL_LENGTH,
        1002,
    ),
    (
        "64-bit-top-bit",
        client_frame(FrameSpec(2, declared_length=2**63)),
        Rule.LENGTH_TOP_BIT,
        1002,
    ),
    ("unmasked", server_frame(FrameSpec(1, b"x")), Rule.UNMASKED_CLIENT_FRAME, 1002),
    ("bad-utf8", client_frame(FrameSpec(1, b"\xce\xba\xe1\xbd")), Rule.INVALID_UTF8, 1007),
    (
        "bad-utf8-across-frames",
        client_frame(FrameSpec(1, b"ok\xed", fin=False)) + client_frame(FrameSpec(0, b"\xa0\x80")),
        Rule.INVALID_UTF8,
        1007,
    ),
    ("surrogate", client_frame(FrameSpec(1, b"\xed\xa0\x80")), Rule.INVALID_UTF8, 1007),
    ("close-1004", client_frame(FrameSpec(8, b"\x03\xec")), Rule.INVALID_CLOSE_CODE, 1002),
    ("close-5000", client_frame(FrameSpec(8, b"\x13\x88")), Rule.INVALID_CLOSE_CODE, 1002),
]


@pytest.mark.parametrize(
    ("data", "rule", "code"),
    [c[1:] for c in WSPROTO_REJECTED],
    ids=[c[0] for c in WSPROTO_REJECTED],
)
def test_what_we_flag_wsproto_rejects(data: bytes, rule: Rule, code: int) -> None:
    us = Protocol(Role.SERVER, strict=True)
    frames, _, failures = receive(us, data)
    assert rule in [v.rule for f in frames for v in f.violations]
    assert failures[0].violation.rule is rule and failures[0].close_code == code
    conn = WsprotoConnection(ConnectionType.SERVER)
    conn.receive_data(data)
    closes = [e for e in conn.events() if isinstance(e, CloseConnection)]
    assert closes and closes[0].code == code


def test_close_code_validity_agrees_with_websockets() -> None:
    theirs = {c for c in range(65536) if c in EXTERNAL_CLOSE_CODES or 3000 <= c < 5000}
    ours = {c for c in range(65536) if is_valid_close_code(c)}
    assert ours == theirs


def test_non_minimal_lengths_that_websockets_tolerates_we_still_report() -> None:
    # websockets does not check the length form; we report it but parse the same payload.
    data = client_frame(FrameSpec(Opcode.BINARY, b"abc", length_form=64))
    (theirs,) = ws_frames(data, mask=True)
    (ours,) = our_frames(data, Role.CLIENT)
    assert bytes(theirs.data) == ours.payload == b"abc"
    assert [v.rule for v in ours.violations] == [Rule.NON_MINIMAL_LENGTH]


def test_large_message_sizes_match() -> None:
    payload = payload_of(300_000)
    data = WsFrame(WsOpcode.BINARY, payload).serialize(mask=False, extensions=[])
    assert data[:2] == b"\x82\x7f" and struct.unpack("!Q", data[2:10])[0] == 300_000
    _, (message,), _ = receive(
        Protocol(Role.CLIENT), *(data[i : i + 4096] for i in range(0, len(data), 4096))
    )
    assert message.data == payload and message.wire_size == 300_000
