"""Tests of inspector.views.formats.cbor, on payloads encoded by cbor2."""

from __future__ import annotations

import datetime

import cbor2

from inspector.views.base import PayloadMeta, Syntax
from inspector.views.registry import default_registry

REG = default_registry()
BINARY = PayloadMeta(opcode=2)
WHEN = datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.UTC)
ENCODED = cbor2.dumps(
    {"at": WHEN, "big": 2**70, "tagged": cbor2.CBORTag(4242, "x"), "b": b"\xff", "l": [1, None]},
    datetime_as_timestamp=True,
)


def test_tags_are_shown_as_sent() -> None:
    assert REG.best(ENCODED, BINARY).name == "cbor"
    r = REG.render(ENCODED, BINARY)
    assert r.error is None and r.syntax is Syntax.JSON
    lines = r.text.splitlines()
    assert '  "at": tag(1, 1700000000),' in lines
    assert "  \"big\": tag(2, h'400000000000000000')," in lines
    assert '  "tagged": tag(4242, "x"),' in lines
    assert r.tree is not None
    kinds = {c.label: c.kind for c in r.tree.children}
    assert kinds["at"] == "tag 1 (epoch time)" and kinds["big"] == "tag 2 (positive bignum)"
    assert kinds["tagged"] == "tag 4242" and kinds["b"] == "bytes 1"


def test_summary() -> None:
    assert REG.summary(ENCODED, BINARY) == "cbor {5} at, big, tagged, b, l"
    indefinite = b"\x9f\x01\x02\xff"  # [_ 1, 2]
    assert REG.summary(indefinite, BINARY) == "cbor [2] 1, 2"
    long = b"\x9f" + b"\x63abc" * 2000 + b"\xff"
    prefix_meta = PayloadMeta(opcode=2, size=len(long))
    assert REG.summary(long, prefix_meta) == "cbor [_] \u2026"


def test_truncated_and_trailing_say_where() -> None:
    r = REG.render(ENCODED[:-1], BINARY, "cbor")
    assert r.error == f"not valid CBOR at byte {len(ENCODED) - 1}: the data ends inside an item"
    r = REG.render(ENCODED + b"\x00", BINARY, "cbor")
    assert r.error == f"not valid CBOR at byte {len(ENCODED)}: bytes after the item"
    r = REG.render(b"\x82\x01\xfc", BINARY, "cbor")  # 0xfc: a reserved simple value
    assert r.error is not None and r.error.startswith("not valid CBOR at byte 3")


def test_msgpack_and_cbor_do_not_shadow_each_other() -> None:
    import msgpack

    for value in ({"a": 1}, [1, "two"], {"type": "x", "id": [1, 2, 3]}):
        assert REG.best(cbor2.dumps(value), BINARY).name == "cbor", value
        assert REG.best(msgpack.packb(value), BINARY).name == "msgpack", value
