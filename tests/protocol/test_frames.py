"""Tests of inspector.protocol.frames: every header field, chunking, FrameSpec, the
frame-level violations of RFC 6455 section 5, text and JSON views (the parser's size
limit and in-place receiving: test_parser.py)."""

from __future__ import annotations

import base64
import importlib.machinery
import importlib.util
import json
import random
import struct
import sys
from collections.abc import Iterator

import pytest

from inspector.protocol import frames as frames_module
from inspector.protocol.constants import (
    CloseCode,
    Opcode,
    Role,
    close_code_meaning,
    is_valid_close_code,
    opcode_name,
)
from inspector.protocol.frames import (
    FrameBatch,
    FrameSpec,
    LengthForm,
    apply_mask,
    encode_frame,
    encode_header,
    header_length,
    parse_close_payload,
)
from inspector.protocol.parser import FrameParser
from inspector.protocol.violations import Rule

from ._support import KEY, chunked, parse, parse_one, rules, wire

NAMES = {
    0x0: "CONT",
    0x1: "TEXT",
    0x2: "BINARY",
    0x3: "RESERVED_3",
    0x4: "RESERVED_4",
    0x5: "RESERVED_5",
    0x6: "RESERVED_6",
    0x7: "RESERVED_7",
    0x8: "CLOSE",
    0x9: "PING",
    0xA: "PONG",
    0xB: "RESERVED_B",
    0xC: "RESERVED_C",
    0xD: "RESERVED_D",
    0xE: "RESERVED_E",
    0xF: "RESERVED_F",
}


def random_chunks(data: bytes, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    i = 0
    while i < len(data):
        n = rng.choice((1, 1, 2, 3, 5, 9, 14, 64, 200, 4096))
        yield data[i : i + n]
        i += n


# ---------------------------------------------------------------- RFC 6455 5.7 examples
RFC_EXAMPLES = [
    ("unmasked-text", "81 05 48 65 6c 6c 6f", Role.SERVER, 0x1, True, b"Hello", None),
    ("masked-text", "81 85 37 fa 21 3d 7f 9f 4d 51 58", Role.CLIENT, 0x1, True, b"Hello", KEY),
    ("fragment-1", "01 03 48 65 6c", Role.SERVER, 0x0 + 1, False, b"Hel", None),
    ("fragment-2", "80 02 6c 6f", Role.SERVER, 0x0, True, b"lo", None),
    ("unmasked-ping", "89 05 48 65 6c 6c 6f", Role.SERVER, 0x9, True, b"Hello", None),
    ("masked-pong", "8a 85 37 fa 21 3d 7f 9f 4d 51 58", Role.CLIENT, 0xA, True, b"Hello", KEY),
]


@pytest.mark.parametrize(
    ("hexdata", "sender", "opcode", "fin", "payload", "key"),
    [case[1:] for case in RFC_EXAMPLES],
    ids=[case[0] for case in RFC_EXAMPLES],
)
def test_rfc_examples_parse_and_encode(
    hexdata: str, sender: Role, opcode: int, fin: bool, payload: bytes, key: bytes | None
) -> None:
    data = bytes.fromhex(hexdata)
    frame = parse_one(data, sender)
    assert (frame.opcode, frame.fin, frame.payload, frame.mask_key) == (opcode, fin, payload, key)
    assert frame.violations == ()
    assert frame.header == data[: len(data) - len(payload)]
    # And FrameSpec produces exactly the same bytes.
    spec = FrameSpec(opcode, payload, fin=fin, mask_key=key)
    assert wire(spec, sender) == data


@pytest.mark.parametrize(
    ("length", "prefix"),
    [(256, "82 7e 01 00"), (65536, "82 7f 00 00 00 00 00 01 00 00")],
    ids=["256-bytes-16-bit", "64KiB-64-bit"],
)
def test_rfc_examples_long_binary(length: int, prefix: str) -> None:
    payload = bytes(range(256)) * (length // 256)
    data = bytes.fromhex(prefix) + payload
    frame = parse_one(data, Role.SERVER)
    assert frame.payload == payload
    assert frame.length == length
    assert frame.header == bytes.fromhex(prefix)
    assert wire(FrameSpec(Opcode.BINARY, payload), Role.SERVER) == data


# ---------------------------------------------------------------- every field
@pytest.mark.parametrize("opcode", range(16), ids=[NAMES[i] for i in range(16)])
def test_every_opcode_and_its_name(opcode: int) -> None:
    payload = b"abc"
    data = bytes([0x80 | opcode, 0x80 | 3]) + KEY + apply_mask(payload, KEY)
    frame = parse_one(data, Role.CLIENT)
    assert frame.opcode == opcode
    assert frame.opcode_name == NAMES[opcode] == opcode_name(opcode) == Opcode(opcode).name
    assert frame.is_control is (opcode >= 8) is Opcode(opcode).is_control
    assert frame.payload == payload
    reserved = opcode in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)
    assert Opcode(opcode).is_reserved is reserved
    assert rules(frame) == ([Rule.RESERVED_OPCODE] if reserved else [])


@pytest.mark.parametrize("bits", range(16))
def test_fin_and_rsv_bits(bits: int) -> None:
    fin, rsv1, rsv2, rsv3 = (bool(bits & m) for m in (8, 4, 2, 1))
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0)
    b0 |= (0x10 if rsv3 else 0) | Opcode.BINARY
    frame = parse_one(bytes([b0, 1, 0x55]), Role.SERVER)
    assert (frame.fin, frame.rsv1, frame.rsv2, frame.rsv3) == (fin, rsv1, rsv2, rsv3)
    assert frame.header == bytes([b0, 1])
    spec = FrameSpec(Opcode.BINARY, b"\x55", fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3)
    assert wire(spec, Role.SERVER) == bytes([b0, 1, 0x55])
    if rsv1 or rsv2 or rsv3:
        assert rules(frame) == [Rule.RESERVED_BIT]
        names = [n for n, on in (("RSV1", rsv1), ("RSV2", rsv2), ("RSV3", rsv3)) if on]
        assert frame.violations[0].message.startswith(", ".join(names) + " set")
    else:
        assert frame.violations == ()


@pytest.mark.parametrize(("n7", "size"), [(126, 124), (127, 119), (126, 120)])
@pytest.mark.parametrize("sender", [Role.CLIENT, Role.SERVER])
def test_a_read_of_one_extended_length_frame_is_not_taken_for_a_7_bit_one(
    n7: int, size: int, sender: Role
) -> None:
    """A lone frame in a read whose 16- or 64-bit length form makes its size equal
    to 126 or 127 plus a 7-bit header: the one-frame path must read the length that
    follows (it once took 126 as the length)."""
    form = 16 if n7 == 126 else 64
    key = KEY if sender is Role.CLIENT else None
    payload = bytes(range(size))
    data = wire(FrameSpec(Opcode.BINARY, payload, mask_key=key, length_form=form), sender)
    frame = parse_one(data, sender)
    assert frame.length == size and frame.payload == payload
    assert frame.length_form == form
    assert [v.rule for v in frame.violations] == [Rule.NON_MINIMAL_LENGTH]


@pytest.mark.parametrize(
    ("length", "form", "header_len"),
    [
        (0, 7, 2),
        (1, 7, 2),
        (125, 7, 2),
        (126, 16, 4),
        (127, 16, 4),
        (128, 16, 4),
        (65535, 16, 4),
        (65536, 64, 10),
        (70000, 64, 10),
    ],
)
@pytest.mark.parametrize("sender", [Role.CLIENT, Role.SERVER])
def test_length_forms(length: int, form: int, header_len: int, sender: Role) -> None:
    payload = bytes(random.Random(length).randrange(256) for _ in range(min(length, 300)))
    payload = (payload * (length // max(len(payload), 1) + 1))[:length]
    key = KEY if sender is Role.CLIENT else None
    data = wire(FrameSpec(Opcode.BINARY, payload, mask_key=key), sender)
    frame = parse_one(data, sender)
    masked = sender is Role.CLIENT
    assert frame.length == length
    assert frame.length_form == form == LengthForm.minimal(length)
    assert len(frame.header) == header_len + (4 if masked else 0)
    assert header_length(frame.header[1]) == len(frame.header)
    assert frame.masked is masked
    assert frame.mask_key == key
    assert frame.payload == payload  # unmasked
    assert frame.masked_payload == data[len(frame.header) :]  # as on the wire
    assert frame.wire_size == len(data)
    assert not frame.truncated
    assert frame.violations == ()


def test_header_length_from_second_byte() -> None:
    assert [header_length(b) for b in (0, 125, 126, 127)] == [2, 2, 4, 10]
    assert [header_length(0x80 | b) for b in (0, 125, 126, 127)] == [6, 6, 8, 14]


def test_stream_offsets_and_seq_across_feeds() -> None:
    specs = [
        FrameSpec(Opcode.TEXT, b"one"),
        FrameSpec(Opcode.PING, b""),
        FrameSpec(Opcode.BINARY, b"x" * 300),
        FrameSpec(Opcode.CLOSE, b"\x03\xe8"),
    ]
    datas = [wire(s, Role.SERVER) for s in specs]
    parser = FrameParser(Role.SERVER)
    first = parser.feed(datas[0] + datas[1] + datas[2][:5])
    assert [f.seq for f in first] == [0, 1]
    assert [f.offset for f in first] == [0, len(datas[0])]
    assert parser.pending == 5
    assert parser.offset == len(datas[0]) + len(datas[1])
    second = parser.feed(datas[2][5:] + datas[3])
    assert [f.seq for f in second] == [2, 3]
    assert [f.offset for f in second] == [
        len(datas[0]) + len(datas[1]),
        len(datas[0]) + len(datas[1]) + len(datas[2]),
    ]
    assert parser.frames_parsed == 4
    assert parser.offset == sum(map(len, datas))
    assert parser.pending == 0


def mixed_stream(sender: Role, seed: int = 1, big: bool = True) -> bytes:
    """Valid and invalid frames of every size class, masked as ``sender`` would."""
    rng = random.Random(seed)
    sizes = [0, 1, 5, 125, 126, 127, 1000]
    parts: list[bytes] = []
    for i in range(60):
        opcode = rng.choice([0, 1, 2, 8, 9, 10, 3, 11])
        size = rng.choice(sizes)
        if big and i % 20 == 5:
            size = rng.choice([65535, 65536, 70000])
        if opcode >= 8 and rng.random() < 0.8:
            size = min(size, 125)
        spec = FrameSpec(
            opcode,
            rng.randbytes(size),
            fin=rng.random() < 0.8,
            rsv2=rng.random() < 0.1,
            mask=None if rng.random() < 0.9 else rng.random() < 0.5,
            mask_key=rng.randbytes(4) if i % 2 else None,
            length_form=rng.choice([None, None, None, 64]),
        )
        parts.append(wire(spec, sender))
    return b"".join(parts)


@pytest.mark.parametrize("big", [True, False], ids=["with-64-bit-frames", "small-frames"])
@pytest.mark.parametrize("sender", [Role.CLIENT, Role.SERVER])
def test_any_chunking_gives_identical_frames(sender: Role, big: bool) -> None:
    data = mixed_stream(sender, big=big)
    whole, parser = parse(data, sender)
    assert len(whole) == 60
    assert parser.offset == len(data)
    assert any(f.violations for f in whole) and any(not f.violations for f in whole)
    assert {f.length_form for f in whole} == ({7, 16, 64})
    sizes = (7, 1000, 65536) if big else (1, 2, 3, 5)
    for chunks in (
        *(chunked(data, size) for size in sizes),
        random_chunks(data, 1),
        random_chunks(data, 2),
    ):
        frames, parser = parse(chunks, sender)
        assert frames == whole
        assert parser.offset == len(data) and parser.pending == 0


def test_one_byte_at_a_time_waits_for_the_last_byte() -> None:
    data = wire(FrameSpec(Opcode.TEXT, b"x" * 200, mask_key=KEY), Role.CLIENT)
    parser = FrameParser(Role.CLIENT)
    for i, byte in enumerate(data[:-1]):
        assert not parser.feed(bytes([byte]))
        assert parser.pending == i + 1
    (frame,) = parser.feed(data[-1:])
    assert frame.payload == b"x" * 200
    assert frame.header == bytes.fromhex("81fe00c8") + KEY


def test_frame_batch_is_columnar_with_views() -> None:
    data = b"\x81\x02hi" + b"\x89\x00" + b"\x83\x00"
    parser = FrameParser(Role.SERVER)
    batch = parser.feed(data)
    assert isinstance(batch, FrameBatch)
    assert len(batch) == 3 and bool(batch)
    assert list(batch.offsets) == [0, 4, 6]
    assert batch.payloads == [b"hi", b"", b""]
    assert batch.header(0) == b"\x81\x02" and batch.b0(1) == 0x89
    assert list(batch.violations) == [2]  # only the frame that has any
    assert batch[-1] == batch[2]
    assert batch[2].violations[0].rule is Rule.RESERVED_OPCODE
    assert repr(batch) == "<FrameBatch seq 0..2, 3 frames>"
    assert not parser.feed(b"")
    batch.add_violations(0, batch[2].violations)
    assert rules(batch[0]) == [Rule.RESERVED_OPCODE]


# ---------------------------------------------------------------- FrameSpec
@pytest.mark.parametrize("sender", [Role.CLIENT, Role.SERVER])
@pytest.mark.parametrize("mask", [None, True, False])
def test_spec_masking(sender: Role, mask: bool | None) -> None:
    header, on_wire = encode_frame(FrameSpec(Opcode.TEXT, b"payload", mask=mask), sender)
    masked = (sender is Role.CLIENT) if mask is None else mask
    assert bool(header[1] & 0x80) is masked
    assert len(header) == (6 if masked else 2)
    if masked:
        assert on_wire == apply_mask(b"payload", header[2:6])
    else:
        assert on_wire == b"payload"


def test_client_frames_get_a_fresh_random_key_each() -> None:
    keys = [encode_frame(FrameSpec(Opcode.TEXT, b"same"), Role.CLIENT)[0][2:] for _ in range(32)]
    assert all(len(k) == 4 for k in keys)
    assert len(set(keys)) == 32


def test_chosen_key_is_used_and_all_zero_key_is_allowed() -> None:
    header, on_wire = encode_frame(FrameSpec(Opcode.BINARY, b"abcd", mask_key=KEY), Role.CLIENT)
    assert header == b"\x82\x84" + KEY
    assert on_wire == bytes(a ^ b for a, b in zip(b"abcd", KEY, strict=True))
    zero = b"\x00\x00\x00\x00"
    header, on_wire = encode_frame(FrameSpec(Opcode.BINARY, b"abcd", mask_key=zero), Role.CLIENT)
    assert header == b"\x82\x84" + zero and on_wire == b"abcd"
    frame = parse_one(header + on_wire, Role.CLIENT)
    assert frame.mask_key == zero and frame.violations == ()


@pytest.mark.parametrize(
    ("length", "form", "expected_header", "rule_message"),
    [
        (0, 16, "827e0000", "length 0 sent in the 16-bit form; it fits in 7 bits"),
        (125, 16, "827e007d", "length 125 sent in the 16-bit form; it fits in 7 bits"),
        (0, 64, "827f0000000000000000", "length 0 sent in the 64-bit form; it fits in 7 bits"),
        (125, 64, "827f000000000000007d", "length 125 sent in the 64-bit form; it fits in 7 bits"),
        (126, 64, "827f000000000000007e", "length 126 sent in the 64-bit form; it fits in 16 bits"),
        (
            65535,
            64,
            "827f000000000000ffff",
            "length 65535 sent in the 64-bit form; it fits in 16 bits",
        ),
    ],
)
def test_spec_non_minimal_length_forms(
    length: int, form: int, expected_header: str, rule_message: str
) -> None:
    payload = b"\x07" * length
    header, on_wire = encode_frame(FrameSpec(Opcode.BINARY, payload, length_form=form), Role.SERVER)
    assert header.hex() == expected_header
    frame = parse_one(header + on_wire, Role.SERVER)
    assert frame.length_form == form
    assert frame.payload == payload
    assert rules(frame) == [Rule.NON_MINIMAL_LENGTH]
    assert frame.violations[0].message == rule_message
    assert frame.violations[0].rfc == "RFC 6455 §5.2"


def test_spec_oversized_control_frame() -> None:
    data = wire(FrameSpec(Opcode.PING, b"p" * 200), Role.SERVER)
    assert data[:4] == b"\x89\x7e\x00\xc8"
    frame = parse_one(data, Role.SERVER)
    assert frame.payload == b"p" * 200
    assert rules(frame) == [Rule.CONTROL_FRAME_TOO_LONG]
    assert frame.violations[0].message == "PING frame with a 200-byte payload"


def test_spec_declared_length_longer_than_payload_leaves_parser_waiting() -> None:
    data = wire(FrameSpec(Opcode.TEXT, b"abc", declared_length=10), Role.SERVER)
    assert data == b"\x81\x0aabc"
    frames, parser = parse(data, Role.SERVER)
    assert frames == [] and parser.pending == 5
    (frame,) = parser.feed(b"defghij")
    assert frame.payload == b"abcdefghij"


def test_spec_declared_length_shorter_than_payload_makes_a_second_frame() -> None:
    # Declares 1 byte; the 3 bytes that follow it read as a new frame header + payload.
    data = wire(FrameSpec(Opcode.BINARY, b"A\x89\x01P", declared_length=1), Role.SERVER)
    frames, parser = parse(data, Role.SERVER)
    assert [(f.opcode, f.payload) for f in frames] == [(Opcode.BINARY, b"A"), (Opcode.PING, b"P")]
    assert frames[1].offset == 3
    assert parser.pending == 0


def test_spec_declared_length_with_mask() -> None:
    header, on_wire = encode_frame(
        FrameSpec(Opcode.TEXT, b"ab", declared_length=300, mask_key=KEY), Role.CLIENT
    )
    assert header == b"\x81\xfe\x01\x2c" + KEY
    assert on_wire == apply_mask(b"ab", KEY)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"opcode": 16},
        {"opcode": -1},
        {"opcode": 1, "mask_key": b"abc"},
        {"opcode": 1, "mask_key": b"abcde"},
        {"opcode": 1, "length_form": 8},
        {"opcode": 1, "payload": b"x" * 126, "length_form": 7},
        {"opcode": 1, "declared_length": 126, "length_form": 7},
        {"opcode": 1, "declared_length": 65536, "length_form": 16},
        {"opcode": 1, "declared_length": 2**64},
        {"opcode": 1, "declared_length": -1},
    ],
)
def test_spec_rejects_what_the_wire_cannot_carry(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FrameSpec(**kwargs)  # type: ignore[arg-type]


def test_spec_largest_declared_length() -> None:
    header, on_wire = encode_frame(FrameSpec(Opcode.BINARY, declared_length=2**64 - 1), Role.SERVER)
    assert header == b"\x82\x7f" + b"\xff" * 8 and on_wire == b""


def test_encode_header_directly() -> None:
    assert encode_header(0x81, 5, None) == b"\x81\x05"
    assert encode_header(0x81, 5, KEY) == b"\x81\x85" + KEY
    assert encode_header(0x82, 5, None, 16) == b"\x82\x7e\x00\x05"
    assert encode_header(0x82, 70000, None) == b"\x82\x7f" + struct.pack("!Q", 70000)


# ---------------------------------------------------------------- violations
VIOLATIONS = [
    # (id, sender, bytes, expected rules, rfc)
    ("unmasked-client", Role.CLIENT, "8100", [Rule.UNMASKED_CLIENT_FRAME], "RFC 6455 §5.1"),
    ("masked-server", Role.SERVER, "818037fa213d", [Rule.MASKED_SERVER_FRAME], "RFC 6455 §5.1"),
    ("rsv1", Role.SERVER, "c100", [Rule.RESERVED_BIT], "RFC 6455 §5.2"),
    ("rsv2", Role.SERVER, "a100", [Rule.RESERVED_BIT], "RFC 6455 §5.2"),
    ("rsv3", Role.SERVER, "9100", [Rule.RESERVED_BIT], "RFC 6455 §5.2"),
    ("rsv-on-ping", Role.SERVER, "f900", [Rule.RESERVED_BIT], "RFC 6455 §5.2"),
    *[
        (f"opcode-{op:x}", Role.SERVER, f"8{op:x}00", [Rule.RESERVED_OPCODE], "RFC 6455 §5.2")
        for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)
    ],
    (
        "close-126",
        Role.SERVER,
        "887e007e" + "00" * 126,
        [Rule.CONTROL_FRAME_TOO_LONG],
        "RFC 6455 §5.5",
    ),
    (
        "ping-126",
        Role.SERVER,
        "897e007e" + "00" * 126,
        [Rule.CONTROL_FRAME_TOO_LONG],
        "RFC 6455 §5.5",
    ),
    (
        "pong-300",
        Role.SERVER,
        "8a7e012c" + "00" * 300,
        [Rule.CONTROL_FRAME_TOO_LONG],
        "RFC 6455 §5.5",
    ),
    ("fragmented-ping", Role.SERVER, "0900", [Rule.FRAGMENTED_CONTROL_FRAME], "RFC 6455 §5.5"),
    ("fragmented-close", Role.SERVER, "0800", [Rule.FRAGMENTED_CONTROL_FRAME], "RFC 6455 §5.5"),
    ("fragmented-pong", Role.SERVER, "0a00", [Rule.FRAGMENTED_CONTROL_FRAME], "RFC 6455 §5.5"),
    (
        "16-bit-for-5",
        Role.SERVER,
        "827e0005" + "00" * 5,
        [Rule.NON_MINIMAL_LENGTH],
        "RFC 6455 §5.2",
    ),
    (
        "64-bit-for-5",
        Role.SERVER,
        "827f0000000000000005" + "00" * 5,
        [Rule.NON_MINIMAL_LENGTH],
        "RFC 6455 §5.2",
    ),
    (
        "64-bit-for-300",
        Role.SERVER,
        "827f000000000000012c" + "00" * 300,
        [Rule.NON_MINIMAL_LENGTH],
        "RFC 6455 §5.2",
    ),
    (
        "64-bit-top-bit",
        Role.SERVER,
        "827f8000000000000000",
        [Rule.LENGTH_TOP_BIT, Rule.FRAME_TOO_LARGE],
        "RFC 6455 §5.2",
    ),
    (
        "everything-at-once",
        Role.CLIENT,
        "397e0005" + "00" * 5,  # unmasked, RSV2+RSV3, fragmented ping, 16-bit form for 5
        [
            Rule.UNMASKED_CLIENT_FRAME,
            Rule.RESERVED_BIT,
            Rule.FRAGMENTED_CONTROL_FRAME,
            Rule.NON_MINIMAL_LENGTH,
        ],
        "RFC 6455 §5.1",
    ),
]


@pytest.mark.parametrize(
    ("sender", "hexdata", "expected", "rfc"),
    [case[1:] for case in VIOLATIONS],
    ids=[case[0] for case in VIOLATIONS],
)
def test_frame_level_violations(sender: Role, hexdata: str, expected: list[Rule], rfc: str) -> None:
    good = wire(FrameSpec(Opcode.TEXT, b"ok"), sender)  # moves the bad frame to offset > 0
    frames, _ = parse(good + bytes.fromhex(hexdata), sender)
    assert frames[0].violations == ()
    bad = frames[1]
    assert rules(bad) == expected
    assert bad.violations[0].rfc == expected[0].rfc == rfc
    assert all(v.offset == len(good) for v in bad.violations)
    assert all(v.message for v in bad.violations)
    # Every frame-level rule fails the connection with 1002 except the size limit.
    assert [v.rule.close_code for v in bad.violations] == [
        1009 if r is Rule.FRAME_TOO_LARGE else 1002 for r in expected
    ]


def test_violation_messages_name_the_problem() -> None:
    frame = parse_one(bytes.fromhex("818037fa213d"), Role.SERVER)
    assert frame.violations[0].message == "server frame is masked with key 37fa213d"
    frame = parse_one(bytes.fromhex("8d00"), Role.SERVER)
    assert frame.violations[0].message == "reserved opcode 0xD"
    frame = parse_one(bytes.fromhex("0a00"), Role.SERVER)
    assert frame.violations[0].message == "PONG frame with FIN=0"
    frame = parse_one(bytes.fromhex("f100"), Role.SERVER)
    assert (
        frame.violations[0].message
        == "RSV1, RSV2, RSV3 set with no negotiated extension defining it"
    )
    text = str(frame.violations[0])
    assert text.startswith("reserved-bit (RFC 6455 §5.2) at byte 0: RSV1")


def test_rsv_allowed_by_an_extension() -> None:
    parser = FrameParser(Role.SERVER, rsv_allowed=0x40)
    batch = parser.feed(bytes.fromhex("c100 e100 c900"))
    assert [rules(f) for f in batch] == [[], [Rule.RESERVED_BIT], []]
    assert batch[1].violations[0].message.startswith("RSV2 set")


def test_valid_frames_have_no_violations_in_either_role() -> None:
    for sender in Role:
        frames, _ = parse(
            b"".join(
                wire(FrameSpec(op, b"x" * n, fin=fin), sender)
                for op in (0, 1, 2, 8, 9, 10)
                for n in (0, 2, 125)
                for fin in ((True, False) if op < 8 else (True,))
            ),
            sender,
        )
        assert len(frames) == 3 * (3 * 2 + 3)
        assert all(f.violations == () for f in frames)


# ---------------------------------------------------------------- views
def test_str_of_frames() -> None:
    text = parse_one(bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), Role.CLIENT)
    assert str(text) == "#0 TEXT     F--- len=5 mask=37fa213d 'Hello'"
    frames, _ = parse(
        b"\x82\x03\x00\x01\x02"
        + b"\x88\x05\x03\xe8bye"
        + b"\x88\x00"
        + b"\x01\x46"
        + b"x" * 70
        + b"\xd2\x1e"
        + bytes(30)
        + b"\x83\x00",
        Role.SERVER,
    )
    assert [str(f) for f in frames] == [
        "#0 BINARY   F--- len=3 00 01 02",
        "#1 CLOSE    F--- len=5 code=1000 reason='bye'",
        "#2 CLOSE    F--- len=0 (no code)",
        "#3 TEXT     ---- len=70 '" + "x" * 57 + "...'",
        "#4 BINARY   F1-1 len=30 " + " ".join(["00"] * 24) + " ... !reserved-bit (RFC 6455 §5.2)",
        "#5 RESERVED_3 F--- len=0 !reserved-opcode (RFC 6455 §5.2)",
    ]


def test_to_json_fields() -> None:
    data = b"\x81\x02ok" + bytes.fromhex("88 86 37 fa 21 3d") + apply_mask(b"\x03\xe9bye!", KEY)
    frames, _ = parse(data, Role.CLIENT)
    first, close = (f.to_json() for f in frames)
    assert first == {
        "type": "frame",
        "seq": 0,
        "offset": 0,
        "fin": True,
        "rsv1": False,
        "rsv2": False,
        "rsv3": False,
        "opcode": 1,
        "opcode_name": "TEXT",
        "masked": False,
        "mask_key": None,
        "length": 2,
        "length_form": 7,
        "header_hex": "8102",
        "payload_b64": base64.b64encode(b"ok").decode(),
        "truncated": False,
        "text": "ok",
        "close_code": None,
        "close_reason": None,
        "violations": [
            {
                "rule": "unmasked-client-frame",
                "rfc": "RFC 6455 §5.1",
                "message": "client frame is not masked",
                "offset": 0,
                "close_code": 1002,
                "deliberate": False,
            }
        ],
    }
    assert close["close_code"] == 1001 and close["close_reason"] == "bye!"
    assert close["text"] == "bye!"
    assert close["mask_key"] == "37fa213d" and close["masked"] is True
    assert base64.b64decode(close["payload_b64"]) == b"\x03\xe9bye!"
    assert close["violations"] == []
    json.dumps([first, close])  # serialisable as is


def test_text_and_close_views() -> None:
    frames, _ = parse(
        b"\x82\x02hi" + b"\x81\x01\xff" + b"\x89\x02hi" + b"\x88\x04\x03\xe8\xc3\x28",
        Role.SERVER,
    )
    binary, bad_text, ping, close = frames
    assert binary.text is None and binary.close_code is None and binary.close_reason is None
    assert bad_text.text is None
    assert ping.text == "hi"
    assert close.close_code == 1000
    assert close.close_reason == "\ufffd("  # shown with a replacement character
    extra = parse_one(b"\x81\x00", Role.SERVER).violations
    assert close.with_violations(*extra) == close._replace(violations=extra)


# ---------------------------------------------------------------- close payloads
CLOSE_NAMES = {
    1000: "NORMAL_CLOSURE",
    1001: "GOING_AWAY",
    1002: "PROTOCOL_ERROR",
    1003: "UNSUPPORTED_DATA",
    1004: "RESERVED",
    1005: "NO_STATUS_RCVD",
    1006: "ABNORMAL_CLOSURE",
    1007: "INVALID_FRAME_PAYLOAD_DATA",
    1008: "POLICY_VIOLATION",
    1009: "MESSAGE_TOO_BIG",
    1010: "MANDATORY_EXTENSION",
    1011: "INTERNAL_ERROR",
    1012: "SERVICE_RESTART",
    1013: "TRY_AGAIN_LATER",
    1014: "BAD_GATEWAY",
    1015: "TLS_HANDSHAKE",
}


@pytest.mark.parametrize("code", range(1000, 1016))
def test_close_code_names_1000_to_1015(code: int) -> None:
    assert CloseCode(code).name == CLOSE_NAMES[code]
    meaning = close_code_meaning(code)
    assert meaning.split(":")[0].lower().split()[0] == CLOSE_NAMES[code].lower().split("_")[0]
    wire_ok = code not in (1004, 1005, 1006, 1015)
    assert is_valid_close_code(code) is wire_ok
    assert ("never sent" in meaning or "must not be sent" in meaning) is not wire_ok
    payload = struct.pack("!H", code) + b"why"
    got_code, reason, problems = parse_close_payload(payload)
    assert (got_code, reason) == (code, "why")
    assert [rule for rule, _ in problems] == ([] if wire_ok else [Rule.INVALID_CLOSE_CODE])
    if not wire_ok:
        assert problems[0][1] == f"close code {code}: {meaning}"


def test_close_code_meanings_are_distinct() -> None:
    meanings = {close_code_meaning(c) for c in range(1000, 1016)}
    assert len(meanings) == 16


@pytest.mark.parametrize(
    ("code", "valid", "meaning_starts"),
    [
        (0, False, "Invalid: codes 0-999"),
        (999, False, "Invalid: codes 0-999"),
        (1016, False, "Reserved for RFC 6455"),
        (2999, False, "Reserved for RFC 6455"),
        (3000, True, "Registered with IANA"),
        (3999, True, "Registered with IANA"),
        (4000, True, "Private use"),
        (4999, True, "Private use"),
        (5000, False, "Invalid: outside"),
        (65535, False, "Invalid: outside"),
    ],
)
def test_close_code_ranges(code: int, valid: bool, meaning_starts: str) -> None:
    assert is_valid_close_code(code) is valid
    assert close_code_meaning(code).startswith(meaning_starts)
    _, _, problems = parse_close_payload(struct.pack("!H", code))
    assert [rule for rule, _ in problems] == ([] if valid else [Rule.INVALID_CLOSE_CODE])


def test_parse_close_payload_shapes() -> None:
    assert parse_close_payload(b"") == (None, None, [])
    code, reason, problems = parse_close_payload(b"\x03")
    assert (code, reason) == (None, None)
    assert problems == [(Rule.CLOSE_PAYLOAD_ONE_BYTE, "close payload is 1 byte; a code needs 2")]
    assert parse_close_payload(b"\x03\xe8") == (1000, "", [])
    assert parse_close_payload(b"\x03\xe8" + "héllo ☃".encode()) == (1000, "héllo ☃", [])
    code, reason, problems = parse_close_payload(b"\x03\xe8ok\xed\xa0\x80")
    assert code == 1000 and reason is not None and reason.startswith("ok\ufffd")
    assert problems == [(Rule.INVALID_CLOSE_REASON, "close reason is not UTF-8 at byte 2")]
    code, _, problems = parse_close_payload(b"\x00\x00\xff")
    assert code == 0
    assert [r for r, _ in problems] == [Rule.INVALID_CLOSE_CODE, Rule.INVALID_CLOSE_REASON]


# ---------------------------------------------------------------- masking
def test_apply_mask() -> None:
    assert apply_mask(b"Hello", KEY) == bytes.fromhex("7f9f4d5158")
    data = bytes(range(256)) * 9 + b"tail"
    masked = apply_mask(data, KEY)
    assert apply_mask(masked, KEY) == data
    assert apply_mask(memoryview(masked), KEY) == data
    assert apply_mask(bytearray(masked), KEY) == data
    assert apply_mask(b"", KEY) == b""
    assert frames_module._py_apply_mask(data, KEY) == masked
    assert frames_module._py_apply_mask(b"", KEY) == b""
    with pytest.raises(ValueError):
        apply_mask(b"x", b"abc")


def test_apply_mask_without_the_c_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frames_module, "_c_apply_mask", None)
    assert apply_mask(b"Hello", KEY) == bytes.fromhex("7f9f4d5158")


def test_the_c_helper_loads_from_its_file_without_the_websockets_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if importlib.util.find_spec("websockets") is None:
        pytest.skip("websockets is not installed")
    # A fresh load from the file, as at start-up (not the module another test imported):
    # the C function, agreeing with the pure-Python XOR.
    monkeypatch.delitem(sys.modules, "websockets.speedups", raising=False)
    loaded = frames_module._load_c_apply_mask()
    assert loaded is not None
    assert type(loaded).__name__ == "builtin_function_or_method"
    data = bytes(range(256)) * 5 + b"odd"
    assert loaded(data, KEY) == frames_module._py_apply_mask(data, KEY)


def test_without_a_file_to_load_the_c_helper_comes_from_the_ordinary_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if importlib.util.find_spec("websockets") is None:
        pytest.skip("websockets is not installed")
    # As in a frozen or zipped install: no extension file next to the package.
    monkeypatch.setattr(importlib.machinery, "EXTENSION_SUFFIXES", [])
    monkeypatch.delitem(sys.modules, "websockets.speedups", raising=False)
    loaded = frames_module._load_c_apply_mask()
    assert loaded is not None
    assert type(loaded).__name__ == "builtin_function_or_method"
    assert loaded(b"Hello", KEY) == bytes.fromhex("7f9f4d5158")
