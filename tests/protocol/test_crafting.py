"""Tests of inspector.protocol.crafting: the notations for bytes and frames typed by hand."""

from __future__ import annotations

import pytest

from inspector.protocol.constants import Role
from inspector.protocol.crafting import (
    parse_base64,
    parse_frame_spec,
    parse_hex,
    preview_frames,
    split_payload,
)
from inspector.protocol.frames import FrameSpec, encode_frame


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("", b""),
        ("0a ff", b"\x0a\xff"),
        ("0x0A,0xff", b"\x0a\xff"),
        ("de:ad-be\nef", b"\xde\xad\xbe\xef"),
    ],
)
def test_hex(text: str, data: bytes) -> None:
    assert parse_hex(text) == data


@pytest.mark.parametrize(("text", "words"), [("0g", "'g' at character 2"), ("abc", "odd number")])
def test_bad_hex_says_where(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_hex(text)


def test_base64_both_alphabets() -> None:
    assert parse_base64("aGk=") == b"hi" and parse_base64("aGk") == b"hi"
    assert parse_base64("-_8") == b"\xfb\xff"
    with pytest.raises(ValueError, match="not a base64 character"):
        parse_base64("a*bc")


@pytest.mark.parametrize(("n", "parts"), [(1, 1), (3, 3), (10, 5), (0, 1)])
def test_even_split(n: int, parts: int) -> None:
    out = split_payload(b"hello", n)
    assert len(out) == parts and b"".join(out) == b"hello" and all(out)
    assert max(map(len, out)) - min(map(len, out)) <= 1


def test_frame_spec_every_key() -> None:
    spec = parse_frame_spec("fin=0,rsv1=1,rsv2=1,rsv3=0,opcode=0x3,mask=off,length=100,payload=a,b")
    assert spec == FrameSpec(
        opcode=3, payload=b"a,b", fin=False, rsv1=True, rsv2=True, mask=False, declared_length=100
    )
    keyed = parse_frame_spec("opcode=1, mask=01020304, payload=hex:ff 00")
    assert keyed.mask_key == bytes.fromhex("01020304") and keyed.payload == b"\xff\x00"
    header, _ = encode_frame(parse_frame_spec("opcode=9"), Role.CLIENT)
    assert header[0] == 0x89 and header[1] & 0x80  # a client masks by default


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "needs opcode"),
        ("opcode=16", "4 bits"),
        ("opcode=1,fin=2", "fin=0 or fin=1"),
        ("opcode=1,color=red", "unknown key 'color'"),
        ("opcode=1,mask=zz", "8 hex digits"),
        ("opcode=1,opcode=2", "twice"),
        ("opcode=x", "not a number"),
        ("opcode=1,payload=hex:fz", "payload=hex"),
        ("opcode", "not key=value"),
    ],
)
def test_frame_spec_errors_say_what(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_frame_spec(text)


def test_preview_shows_the_bytes() -> None:
    text = preview_frames([FrameSpec(opcode=1, payload=b"hi", mask_key=b"\x00\x00\x00\x00")])
    assert "FIN=1 RSV=000 opcode=0x1 TEXT" in text and "81 82 00 00 00 00" in text
    assert text.endswith("Total on the wire: 8 bytes")
