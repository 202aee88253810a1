"""Tests of inspector.views.formats.msgpack, on payloads packed by the msgpack library."""

from __future__ import annotations

import msgpack
import pytest

from inspector.views.base import PayloadMeta, Syntax
from inspector.views.formats.msgpack import walk
from inspector.views.registry import default_registry

REG = default_registry()
BINARY = PayloadMeta(opcode=2)
VALUE = {
    "type": "chat",
    "args": [1, 2.5, None, True, "é"],
    "blob": b"\x00\x01",
    "ext": msgpack.ExtType(5, b"ab"),
    "when": msgpack.Timestamp(1_700_000_000),
    7: {"nested": []},
}
PACKED = msgpack.packb(VALUE)


def test_a_msgpack_map_is_chosen_and_shown_with_its_types() -> None:
    assert REG.best(PACKED, BINARY).name == "msgpack"
    r = REG.render(PACKED, BINARY)
    assert r.error is None and r.syntax is Syntax.JSON
    lines = r.text.splitlines()
    assert '  "type": "chat",' in lines and "  \"blob\": h'0001'," in lines
    assert "  \"ext\": ext(5, h'6162')," in lines
    assert '  "when": timestamp(2023-11-14T22:13:20+00:00),' in lines
    assert r.tree is not None
    kinds = {c.label: c.kind for c in r.tree.children}
    assert kinds == {
        "type": "str",
        "args": "array",
        "blob": "bytes 2",
        "ext": "ext 5",
        "when": "ext -1 (timestamp)",
        "7": "map",
    }


def test_json_values_print_as_json_does() -> None:
    import json

    value = {"a": [1, {"b": None}], "c": "x"}
    r = REG.render(msgpack.packb(value), BINARY)
    assert r.text == json.dumps(value, indent=2)


def test_summary_names_the_keys() -> None:
    assert REG.summary(PACKED, BINARY) == "msgpack {6} type, args, blob, ext, when, 7"
    array = msgpack.packb([1, "two", [3]])
    assert REG.summary(array, BINARY) == 'msgpack [3] 1, "two", [1]'


def test_summary_of_a_prefix_says_the_container() -> None:
    big = msgpack.packb({"data": "x" * 10_000, "id": 1})
    meta = PayloadMeta(opcode=2, size=len(big))
    assert REG.best(big[:4096], meta).name == "msgpack"
    # The keys the prefix holds, read without decoding the rest.
    assert REG.summary(big, meta) == "msgpack {2} data \u2026"
    many = msgpack.packb({f"k{i}": "v" * 600 for i in range(20)})
    meta = PayloadMeta(opcode=2, size=len(many))
    assert REG.summary(many, meta) == "msgpack {20} k0, k1, k2, k3, k4, k5, k6 \u2026"
    array = msgpack.packb([1, "two", [3], {"a": 1}, b"x" * 5000])
    meta = PayloadMeta(opcode=2, size=len(array))
    assert REG.summary(array, meta) == 'msgpack [5] 1, "two", [1], {1} \u2026'
    assert REG.summary(array[:3000], meta) == 'msgpack [5] 1, "two", [1], {1} \u2026'


@pytest.mark.parametrize("cut", [1, 5, 20, len(PACKED) - 1])
def test_truncated_says_where(cut: int) -> None:
    r = REG.render(PACKED[:cut], BINARY, "msgpack")
    assert r.error is not None and r.error.startswith(f"not valid MessagePack at byte {cut}")


def test_trailing_bytes_and_invalid_type_say_where() -> None:
    r = REG.render(PACKED + b"\x01", BINARY, "msgpack")
    assert r.error == f"not valid MessagePack at byte {len(PACKED)}: bytes after the value"
    r = REG.render(b"\x92\x01\xc1", BINARY, "msgpack")
    assert r.error == "not valid MessagePack at byte 2: 0xc1 is not a MessagePack type"


def test_walk_agrees_with_the_library() -> None:
    value: object
    for value in (VALUE, [[]] * 3, {"k": b"x" * 300}, "s" * 70_000, 2**63, -(2**31)):
        packed = msgpack.packb(value)
        assert walk(packed + b"\x00") == len(packed)


def test_text_and_noise_are_not_msgpack() -> None:
    assert REG.best(b"\x05", BINARY).name == "hex"  # a lone int reads as noise
    assert "msgpack" not in [v.name for v in REG.applicable(PACKED, PayloadMeta(opcode=1))]


def test_a_long_payload_is_rated_and_summarised_without_decoding_it_whole() -> None:
    # Past 512 bytes the rating walks the value in C and the summary reads the head:
    # the same answers as decoding it whole.
    value = {"items": list(range(300)), "name": "x" * 100, "nested": [{"a": 1}] * 20}
    packed = msgpack.packb(value)
    assert 512 < len(packed) <= 4096
    mp = REG.get("msgpack")
    whole = PayloadMeta(opcode=2, size=len(packed))
    assert mp.priority(packed, whole) == 0.6
    assert REG.summary(packed, whole) == "msgpack {3} items, name, nested"
    array = msgpack.packb([[1, 2], "two", {"a": 1}, None, 2.5, *range(600)])
    assert REG.summary(array, BINARY) == 'msgpack [605] [2], "two", {1}, null, 2.5, 0, 1, 2'
    assert mp.priority(packed + b"\x01", BINARY) < 0  # bytes after the value
    assert mp.priority(packed[:-1], BINARY) < 0  # it ends inside the value
    assert mp.priority(packed[:-1], PayloadMeta(opcode=2, size=len(packed))) == 0.45
    assert mp.priority(b"\xc1" + packed, BINARY) < 0
    long_string = msgpack.packb("x" * 1000)
    assert mp.priority(long_string, BINARY) == 0.2
    assert REG.summary(long_string, PayloadMeta(opcode=2), "msgpack").startswith('msgpack "xxx')
