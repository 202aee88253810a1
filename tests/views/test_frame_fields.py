"""One frame in words, without Qt: header fields, the field table, message kind (the
one compression rule), close fields, masking, the summary, deliberate violations."""

from __future__ import annotations

import zlib

import pytest

from inspector.capture.events import (
    Direction,
    FramesCaptured,
    HandshakeCaptured,
    SessionInfo,
    SessionRole,
)
from inspector.capture.store import CaptureStore
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameSpec, apply_mask, encode_frame
from inspector.protocol.parser import FrameParser
from inspector.protocol.violations import Rule, Violation
from inspector.views.frame_fields import (
    DELIBERATE_MARK,
    PAYLOAD_FIELD,
    VIOLATION_MARK,
    FieldRow,
    close_fields,
    describe_fields,
    field_table,
    frame_summary,
    group_bits,
    header_fields,
    masking_rows,
    masking_table,
    message_info,
    message_kind,
    violation_line,
    violations_word,
)

KEY = bytes.fromhex("37fa213d")


def new_store() -> CaptureStore:
    return CaptureStore(
        SessionInfo("ws://127.0.0.1:9/", SessionRole.CLIENT, "2024-05-01T12:00:00+00:00", 0.0)
    )


def receive(store: CaptureStore, *specs: FrameSpec, deflate: bool = False) -> None:
    """Frames a server sent, parsed as a client's parser does (RSV1 allowed when
    permessage-deflate was negotiated)."""
    data = b"".join(b"".join(encode_frame(s, Role.SERVER)) for s in specs)
    parser = FrameParser(Role.CLIENT, rsv_allowed=0x40 if deflate else 0)
    store.add(FramesCaptured(0.5, Direction.IN, parser.feed(data)))


def deflated(text: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return (c.compress(text) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]


def response(extensions: str | None) -> HandshakeCaptured:
    headers = (("Sec-WebSocket-Extensions", extensions),) if extensions else ()
    return HandshakeCaptured(
        0.0, Direction.IN, b"HTTP/1.1 101\r\n\r\n", "HTTP/1.1 101 Switching Protocols", headers
    )


# ------------------------------------------------------------------ header fields
def test_fields_of_a_masked_text_frame() -> None:
    header, _ = encode_frame(FrameSpec(1, b"Hello", mask=True, mask_key=KEY), Role.CLIENT)
    f = {x.name: x for x in header_fields(header)}
    assert (f["FIN"].bits, f["FIN"].text) == ("1", "final fragment")
    assert f["opcode"].text == "0x1 TEXT" and f["opcode"].bits == "0001"
    assert f["Masking-key"].text == "37 fa 21 3d" and f["Masking-key"].start == 16
    assert f[PAYLOAD_FIELD].start == 48 and f[PAYLOAD_FIELD].text == "5 bytes"
    assert "".join(x.bits for x in header_fields(header)) == "".join(
        format(b, "08b") for b in header
    )


def test_the_field_table_groups_long_bits_and_names_broken_rules() -> None:
    header = bytes([0xA1, 0x80 | 126]) + (5).to_bytes(2, "big") + KEY
    bad = (
        Violation(Rule.RESERVED_BIT, "RSV2 set"),
        Violation(Rule.NON_MINIMAL_LENGTH, "5 in 16 bits"),
    )
    fields = header_fields(header, bad, 5)
    rows = {r.name: r for r in field_table(fields)}
    assert rows["Masking-key"] == FieldRow(
        "Masking-key", "00110111 11111010 00100001 00111101", "37 fa 21 3d", ()
    )
    assert rows["RSV2"].problems == (f"{VIOLATION_MARK} RFC 6455 \u00a75.2: RSV2 set",)
    assert rows["Payload len"].problems == rows["Extended payload length"].problems
    assert rows["RSV1"].problems == ()
    assert group_bits("1" * 20) == "11111111 11111111 1111"
    text = describe_fields(fields)
    assert "opcode" in text and f"{VIOLATION_MARK} RFC 6455 \u00a75.2: RSV2 set" in text


def test_a_rule_we_broke_on_purpose_is_worded_as_ours() -> None:
    ours = Violation(Rule.RESERVED_BIT, "RSV2 set", deliberate=True)
    peer = Violation(Rule.MASKED_SERVER_FRAME, "masked")
    assert (
        violation_line(ours) == f"{DELIBERATE_MARK} RFC 6455 \u00a75.2: RSV2 set (sent on purpose)"
    )
    assert violations_word([ours]) == f"{DELIBERATE_MARK} 1 rule broken on purpose"
    assert violations_word([peer, peer]) == f"{VIOLATION_MARK} 2 violations"
    assert violations_word([peer, ours, ours]) == (
        f"{VIOLATION_MARK} 1 violation \u00b7 {DELIBERATE_MARK} 2 rules broken on purpose"
    )
    assert violations_word([]) == ""


# ------------------------------------------------------------------ message kind
@pytest.mark.parametrize(
    ("handshake", "deflate", "compressed"),
    [
        (response("permessage-deflate"), True, True),
        (response(None), False, False),
        # No handshake (decode output, a capture started late): RSV1 says it, unless
        # the receiver flagged RSV1 as a reserved bit.
        (None, True, True),
        (None, False, False),
    ],
)
def test_message_kind_uses_the_one_compression_rule(
    handshake: HandshakeCaptured | None, deflate: bool, compressed: bool
) -> None:
    store = new_store()
    if handshake is not None:
        store.add(handshake)
    wire = deflated(b"hello hello")
    receive(
        store,
        FrameSpec(1, wire[:3], fin=False, rsv1=True),
        FrameSpec(9, b"p"),
        FrameSpec(0, wire[3:]),
        FrameSpec(2, b"plain"),
        deflate=deflate,
    )
    assert [message_kind(store, r) for r in range(4)] == [
        (Opcode.TEXT, compressed),
        (Opcode.PING, False),
        (Opcode.TEXT, compressed),
        (Opcode.BINARY, False),
    ]
    assert [store.is_compressed(r) for r in range(4)] == [compressed, False, compressed, False]


def test_message_info() -> None:
    store = new_store()
    receive(store, FrameSpec(1, b"abc", fin=False), FrameSpec(0, b"def", fin=False))
    assert message_info(store, [0, 1], None) == [
        "TEXT message in 2 frames so far (unfinished: no FIN yet)",
        "6 payload bytes on the wire",
    ]
    message = Message(1, b"x" * 100, "x" * 100, 0, 1, 40, compressed=True, frame_count=2)
    info = message_info(store, [0, 1], message)
    assert info[2] == "permessage-deflate: 40 bytes compressed \u2192 100 bytes inflated (40%)"


# ------------------------------------------------------------------ summary
def test_summary_puts_what_matters_first() -> None:
    store = new_store()
    store.add(response("permessage-deflate"))
    receive(store, FrameSpec(1, deflated(b"hi"), rsv1=True), deflate=True)
    store.add(
        FramesCaptured(
            0.7,
            Direction.OUT,
            [
                _crafted(
                    FrameSpec(1, b"x", rsv2=True, mask=True, mask_key=KEY),
                    Violation(Rule.RESERVED_BIT, "RSV2 set", deliberate=True),
                )
            ],
        )
    )
    parts = frame_summary(store, 0)
    assert [p.text for p in parts][:5] == [
        "Row 0",
        "\u2193 received",
        "TEXT",
        "4 bytes",
        "compressed",
    ]
    assert parts[1].role == "in" and parts[0].role == "strong"
    ours = frame_summary(store, 1)
    assert (f"{DELIBERATE_MARK} 1 rule broken on purpose", "deliberate") in ours
    assert not any(p.role == "violation" for p in ours)


def _crafted(spec: FrameSpec, violation: Violation) -> Frame:
    """A frame we sent breaking a rule on purpose, as the engine records it."""
    header, _ = encode_frame(spec, Role.CLIENT)
    return Frame(0, 0, header, spec.payload, (violation,))


# ------------------------------------------------------------------ close, masking
def test_close_fields() -> None:
    f = close_fields(b"\x03\xe9going \x1b[2J down")
    assert (f["code"], f["name"], f["valid"], f["violations"]) == (
        "1001",
        "Going away",
        "yes",
        "none",
    )
    assert f["reason"] == "going \\e[2J down", "a peer's control characters are escaped"
    assert close_fields(b"")["code"] == "none"
    one = close_fields(b"\x03", (Violation(Rule.CLOSE_PAYLOAD_ONE_BYTE, "1 byte"),))
    assert one["code"] == "invalid (1-byte payload)" and "RFC 6455 \u00a75.5.1" in one["violations"]
    bad = close_fields(b"\x03\xed")
    assert bad["valid"].startswith("no") and VIOLATION_MARK in bad["violations"]
    ours = close_fields(b"\x03\xed", (Violation(Rule.INVALID_CLOSE_CODE, "1005", deliberate=True),))
    assert "(sent on purpose)" in ours["violations"]


def test_masking_rows_and_table() -> None:
    payload = bytes(range(10))
    rows = masking_rows(payload, KEY, 4)
    wire = apply_mask(payload, KEY)
    assert [(r.offset, r.wire, r.key, r.payload) for r in rows] == [
        (i, wire[i], KEY[i % 4], payload[i]) for i in range(4)
    ]
    table = masking_table(rows, len(payload))
    assert "XOR  k1 fa" in table and "6 more bytes" in table
    assert "empty payload" in masking_table([], 0)


def test_a_proxy_names_both_peers_instead_of_sent_and_received() -> None:
    from inspector.capture.events import SessionRole
    from inspector.views.frame_fields import direction_words

    assert direction_words(SessionRole.CLIENT, False) == ("\u2191 out", "\u2191 sent")
    assert direction_words(SessionRole.CLIENT, True) == ("\u2193 in", "\u2193 received")
    assert direction_words(SessionRole.PROXY, False)[1] == "\u2191 client \u2192 server"
    assert direction_words(SessionRole.PROXY, True)[0] == "\u2193 s\u2192c"
