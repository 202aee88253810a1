"""Tests of inspector.protocol.crafting: the notations for bytes and frames typed by hand."""

from __future__ import annotations

import pytest

from inspector.protocol.constants import Opcode, Role
from inspector.protocol.crafting import (
    CLOSE_REASON_LIMIT,
    CraftedFrame,
    check_close,
    crafted_specs,
    format_hex,
    fragment_keys,
    parse_base64,
    parse_close_code,
    parse_declared_length,
    parse_frame_spec,
    parse_hex,
    parse_mask_key,
    preview_frames,
    rules_broken,
    split_payload,
    wire_bytes,
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


# ------------------------------------------------------------------- byte notations
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("de ad be ef", b"\xde\xad\xbe\xef"),
        ("DEADBEEF", b"\xde\xad\xbe\xef"),
        ("0xde, 0xad,0xbe", b"\xde\xad\xbe"),
        ("de:ad:be\nef-00", b"\xde\xad\xbe\xef\x00"),
    ],
)
def test_hex_accepts_the_usual_spellings(text: str, expected: bytes) -> None:
    assert parse_hex(text) == expected


def test_base64_padding_and_errors() -> None:
    assert parse_base64("3q2+7w==") == b"\xde\xad\xbe\xef"
    assert parse_base64("3q2+7w") == b"\xde\xad\xbe\xef"  # padding optional
    assert parse_base64("3q2-7w") == b"\xde\xad\xbe\xef"  # URL-safe alphabet
    assert parse_base64(" 3q2+\n7w== ") == b"\xde\xad\xbe\xef"
    with pytest.raises(ValueError, match="not a base64 character"):
        parse_base64("3q2*7w==")
    with pytest.raises(ValueError, match="cannot encode whole bytes"):
        parse_base64("3q2+7")


def test_format_hex_and_uneven_split() -> None:
    assert format_hex(bytes(range(18))).splitlines()[1] == "10 11"
    assert split_payload(b"abcd", 3) == [b"a", b"b", b"cd"]
    assert split_payload(b"ab", 5) == [b"a", b"b"]
    assert split_payload(b"", 4) == [b""]


# -------------------------------------------------------------------- crafted frames
KEYS = [bytes.fromhex(k) for k in ("0a1b2c3d", "11111111", "22222222")]


def test_crafted_fragments_each_get_their_own_key() -> None:
    frame = CraftedFrame(Opcode.BINARY, b"abcdefghi", rsv1=True, keys=KEYS, fragments=3)
    specs = crafted_specs(frame)
    assert [s.opcode for s in specs] == [Opcode.BINARY, Opcode.CONT, Opcode.CONT]
    assert [s.fin for s in specs] == [False, False, True]
    assert [s.rsv1 for s in specs] == [True, False, False]
    assert [s.payload for s in specs] == [b"abc", b"def", b"ghi"]
    assert [s.mask_key for s in specs] == KEYS
    wire = wire_bytes(specs)
    assert wire == b"".join(b"".join(encode_frame(s, Role.CLIENT)) for s in specs)
    # Each frame's header ends with its own key (RFC 6455 section 5.3).
    assert wire[2:6] == KEYS[0] and wire[11:15] == KEYS[1] and wire[20:24] == KEYS[2]


def test_crafted_frame_unmasked_and_refusals() -> None:
    (spec,) = crafted_specs(CraftedFrame(0x3, b"abc", fin=False, rsv2=True, declared_length=10))
    assert spec.mask is False and spec.mask_key is None and spec.declared_length == 10
    with pytest.raises(ValueError, match="single frame"):
        crafted_specs(CraftedFrame(1, b"abcd", declared_length=5, fragments=2))
    with pytest.raises(ValueError, match="2 frames need 2 masking keys"):
        crafted_specs(CraftedFrame(1, b"abcd", keys=KEYS[:1], fragments=2))


def test_fragment_keys_keep_what_was_drawn_and_draw_the_rest() -> None:
    drawn = iter(KEYS[1:])
    keys = fragment_keys(KEYS[0], 3, source=lambda: next(drawn))
    assert keys == KEYS
    assert fragment_keys(KEYS[0], 3, keys[1:]) == KEYS  # kept: the preview stays true
    assert fragment_keys(KEYS[0], 2, keys[1:]) == KEYS[:2]
    fresh = fragment_keys(KEYS[0], 50)
    assert len(set(fresh)) == 50 and all(len(k) == 4 for k in fresh)


def test_rules_broken_in_words() -> None:
    (bad,) = crafted_specs(
        CraftedFrame(0x3, b"abc", fin=False, rsv2=True, length_form=64, declared_length=10)
    )
    notes = rules_broken([bad])
    for words in ("reserved opcode", "unmasked", "RSV bit", "declared length", "non-minimal"):
        assert any(words in n for n in notes), words
    good = crafted_specs(CraftedFrame(1, b"hi", keys=KEYS[:1]))
    assert rules_broken(good) == []
    rsv1 = crafted_specs(CraftedFrame(1, b"hi", rsv1=True, keys=KEYS[:1]))
    assert rules_broken(rsv1) == ["RSV bit without an extension"]
    assert rules_broken(rsv1, deflate=True) == []
    split_ping = crafted_specs(CraftedFrame(Opcode.PING, b"x" * 8, keys=KEYS[:2], fragments=2))
    assert rules_broken(split_ping) == ["fragmented control frame"]
    big_ping = crafted_specs(CraftedFrame(Opcode.PING, b"x" * 130, keys=KEYS[:1]))
    assert rules_broken(big_ping) == ["control payload over 125 bytes"]


def test_mask_key_and_declared_length() -> None:
    assert parse_mask_key("0a1b2c3d") == KEYS[0]
    with pytest.raises(ValueError, match=r"4 bytes \(8 hex digits\); 2 given"):
        parse_mask_key("0102")
    with pytest.raises(ValueError, match="masking key: 'z'"):
        parse_mask_key("zz")
    assert parse_declared_length(" 1_000 ") == 1000 and parse_declared_length("0x10") == 16
    with pytest.raises(ValueError, match="not a number"):
        parse_declared_length("ten")
    with pytest.raises(ValueError, match="64 bits"):
        parse_declared_length(str(2**64))


# ---------------------------------------------------------------------- close frames
@pytest.mark.parametrize(
    ("text", "code"),
    [("1000 Normal closure", 1000), ("4001 my app's code", 4001), ("", None), ("(no code)", None)],
)
def test_close_code_typed(text: str, code: int | None) -> None:
    assert parse_close_code(text) == code


def test_close_code_refused() -> None:
    with pytest.raises(ValueError, match="not a close code"):
        parse_close_code("nonsense")
    with pytest.raises(ValueError, match="2-byte"):
        parse_close_code("70000")


def test_close_check_counts_utf8_bytes() -> None:
    fits = check_close(1000, "é" * 61)  # 122 bytes in 61 characters
    assert fits.reason_bytes == 122 and fits.sendable and not fits.warnings
    over = check_close(1000, "é" * 61 + "ab")
    assert over.reason_bytes == 124 and not over.sendable
    assert "1 byte(s) too long" in over.errors[0]
    assert CLOSE_REASON_LIMIT == 123


def test_close_check_codes() -> None:
    assert "Private use" in check_close(4001, "").meaning
    wrong = check_close(1005, "")
    assert wrong.sendable and "may not be sent on the wire" in wrong.warnings[0]
    empty = check_close(None, "")
    assert empty.sendable and "1005" in empty.meaning
    assert "a reason needs a code" in check_close(None, "why").errors[0]
