"""Tests of inspector.views.formats.protobuf: messages encoded by bbpb
(blackboxprotobuf) from a type definition, decoded without it."""

from __future__ import annotations

from typing import Any

import blackboxprotobuf
import pytest

from inspector.views.base import PayloadMeta, Syntax
from inspector.views.formats.protobuf import walk
from inspector.views.registry import default_registry

REG = default_registry()
BINARY = PayloadMeta(opcode=2)
TYPEDEF: dict[str, Any] = {
    "1": {"type": "int"},
    "2": {"type": "string"},
    "3": {"type": "message", "message_typedef": {"1": {"type": "int"}, "2": {"type": "string"}}},
    "4": {"type": "fixed32"},
}
VALUE: dict[str | int, Any] = {
    "1": 150,
    "2": "testing",
    "3": {"1": 7, "2": "inner"},
    "4": 1065353216,
}
ENCODED = bytes(blackboxprotobuf.encode_message(VALUE, TYPEDEF))


def test_a_message_decodes_without_its_schema() -> None:
    assert walk(ENCODED) == 4
    assert REG.best(ENCODED, BINARY).name == "protobuf"
    r = REG.render(ENCODED, BINARY)
    assert r.error is None and r.syntax is Syntax.JSON
    assert '"2": "testing"' in r.text and '"1": 150' in r.text
    assert r.tree is not None
    kinds = {c.label: c.kind for c in r.tree.children}
    assert kinds == {"1": "int", "2": "string", "3": "message", "4": "fixed32"}
    nested = r.tree.children[2]
    assert [(c.label, c.value) for c in nested.children] == [("1", "7"), ("2", '"inner"')]


def test_summary() -> None:
    line = REG.summary(ENCODED, BINARY)
    assert line == "protobuf {4} 1, 2, 3, 4"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (ENCODED[:-1], f"byte {len(ENCODED) - 1}: the data ends inside field 4"),
        (b"\x08", "byte 1: the data ends inside a varint"),
        (b"\x00\x01", "byte 0: field number 0"),
        (b"\x0f", "byte 0: wire type 7 (field 1)"),
    ],
)
def test_malformed_says_where(data: bytes, error: str) -> None:
    assert REG.render(data, BINARY, "protobuf").error == f"not valid Protobuf at {error}"


def test_other_binary_is_not_protobuf() -> None:
    import msgpack

    assert REG.best(msgpack.packb({"a": [1, 2]}), BINARY).name == "msgpack"
    assert REG.best(b"\xff\xff\xff", BINARY).name == "hex"
    assert "protobuf" not in [v.name for v in REG.applicable(ENCODED, PayloadMeta(opcode=1))]
