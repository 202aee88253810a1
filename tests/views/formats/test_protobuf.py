"""Tests of inspector.views.formats.protobuf: messages encoded by bbpb
(blackboxprotobuf) from a type definition, decoded without it."""

from __future__ import annotations

from typing import Any

import blackboxprotobuf
import pytest

from inspector.views.base import PayloadMeta, Syntax
from inspector.views.formats.protobuf import ProtobufView, walk
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


def descriptor_set() -> bytes:
    """A FileDescriptorSet with chat.Message {string room = 1; string text = 2;
    int64 at = 3;} and chat.Ping {int32 seq = 1;}, built with the protobuf package."""
    from google.protobuf import descriptor_pb2

    f = descriptor_pb2.FileDescriptorProto(name="chat.proto", package="chat", syntax="proto3")
    message = f.message_type.add(name="Message")
    label = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
    kinds = descriptor_pb2.FieldDescriptorProto
    for number, (name, kind) in enumerate(
        [("room", kinds.TYPE_STRING), ("text", kinds.TYPE_STRING), ("at", kinds.TYPE_INT64)], 1
    ):
        message.field.add(name=name, number=number, type=kind, label=label)
    ping = f.message_type.add(name="Ping")
    ping.field.add(name="seq", number=1, type=kinds.TYPE_INT32, label=label)
    data: bytes = descriptor_pb2.FileDescriptorSet(file=[f]).SerializeToString()
    return data


def test_with_a_descriptor_set_fields_have_names() -> None:
    from google.protobuf import message_factory

    from inspector.views.formats.protobuf import Schema, use_schema
    from inspector.views.registry import Registry

    schema = Schema.from_bytes(descriptor_set())
    assert schema.names == ("chat.Message", "chat.Ping")
    cls = message_factory.GetMessageClass(schema.pool.FindMessageTypeByName("chat.Message"))
    data = cls(room="lobby", text="hi", at=1700000000).SerializeToString()
    reg = Registry(default_registry())
    use_schema(reg, schema)
    assert reg.best(data, BINARY).name == "protobuf"
    r = reg.render(data, BINARY)
    assert r.error is None and r.text.startswith("chat.Message\n")
    assert '"room": "lobby"' in r.text and '"at": "1700000000"' in r.text  # int64 as JSON does
    assert reg.summary(data, BINARY) == "protobuf chat.Message {3} room, text, at"
    # A payload no type reads (field 9 is unknown to both) falls back to numbers.
    other = bytes(blackboxprotobuf.encode_message({"9": 5}, {"9": {"type": "int"}}))
    assert reg.render(other, BINARY).text.startswith("protobuf (no type of the schema")
    default = REG.get("protobuf")
    assert isinstance(default, ProtobufView) and default.schema is None  # untouched


def test_bad_descriptor_sets_say_why() -> None:
    from inspector.views.formats.protobuf import Schema

    with pytest.raises(ValueError, match="not a protobuf descriptor set"):
        Schema.from_bytes(b"\xff\xff")
    with pytest.raises(
        ValueError, match=r"no message type 'chat.Nope' \(types: chat.Message, chat.Ping\)"
    ):
        Schema.from_bytes(descriptor_set(), "chat.Nope")
