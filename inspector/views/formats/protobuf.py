"""Protocol Buffers: without a schema, fields by number with the type the wire format
and bbpb (``blackboxprotobuf``) make of them (varint, fixed32/64, string, bytes, a
nested message); with a schema the user gives (a ``FileDescriptorSet``, as
``protoc --include_imports --descriptor_set_out=FILE`` writes it: :class:`Schema`,
:func:`use_schema`), fields by name, decoded by the ``protobuf`` package."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

import blackboxprotobuf

from ..base import NO_TEXT, PayloadMeta, Rendered, Syntax, TreeNode, View, ViewError
from ..registry import Registry
from .structured import brief, pretty, scalar

__all__ = ["ProtobufView", "Schema", "register", "use_schema", "walk"]

#: Bytes of a payload :meth:`ProtobufView.priority` walks.
_PRIORITY_LOOK = 512


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    start = pos
    while True:
        if pos >= len(data):
            raise ViewError("the data ends inside a varint", len(data))
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift >= 70:
            raise ViewError("a varint longer than 10 bytes", start)


def walk(data: bytes, *, groups: bool = False) -> int:
    """How many top-level fields ``data`` holds, read from the wire format alone;
    :class:`ViewError` says where it is not a protobuf message. Groups (wire types
    3 and 4, long deprecated) count as invalid unless ``groups``."""
    pos, count, depth = 0, 0, 0
    while pos < len(data):
        start = pos
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ViewError("field number 0", start)
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = _varint(data, pos)
            pos += length
        elif wire in (3, 4) and groups:
            depth += 1 if wire == 3 else -1
            if depth < 0:
                raise ViewError("a group end without its start", start)
        else:
            raise ViewError(f"wire type {wire} (field {number})", start)
        if pos > len(data):
            raise ViewError(f"the data ends inside field {number}", len(data))
        count += 1 if depth == 0 else 0
    if depth:
        raise ViewError("a group without its end", len(data))
    return count


def _kind(typedef: dict[str, Any], key: str) -> str:
    info = typedef.get(key, {})
    kind = info.get("type", "") if isinstance(info, dict) else ""
    return str(kind)


def _tree(value: Any, typedef: dict[str, Any], label: str = "", kind: str = "message") -> TreeNode:
    if isinstance(value, dict):
        sub = typedef
        children = []
        for key, item in value.items():
            info = sub.get(key, {}) if isinstance(sub, dict) else {}
            inner = info.get("message_typedef", {}) if isinstance(info, dict) else {}
            children.append(_tree(item, inner, key, _kind(sub, key)))
        return TreeNode(label, f"{{{len(value)}}}", tuple(children), kind)
    if isinstance(value, list):
        items = tuple(_tree(v, typedef, str(i), kind) for i, v in enumerate(value))
        return TreeNode(label, f"[{len(value)}] repeated", items, kind)
    shown = scalar(value)
    return TreeNode(label, shown[0] if shown else repr(value), (), kind)


def _decode(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    walk(data, groups=True)  # where it breaks, to the byte
    try:
        message, typedef = blackboxprotobuf.decode_message(data)
    except Exception as exc:
        raise ViewError(str(exc).removeprefix("Encountered error decoding message: ")) from None
    return cast(dict[str, Any], message), cast(dict[str, Any], typedef)


@dataclass(frozen=True)
class Schema:
    """Message types from a descriptor set; ``message`` (a full name) is the type every
    payload has, or None to try each type and keep the one that reads the payload with
    no unknown field (the most fields set wins)."""

    pool: Any
    names: tuple[str, ...]
    message: str | None = None

    @classmethod
    def from_bytes(cls, data: bytes, message: str | None = None) -> Schema:
        """A schema from a serialized ``FileDescriptorSet``; ``ValueError`` names what is
        wrong (not a descriptor set, an unknown message type)."""
        from google.protobuf import descriptor_pb2, descriptor_pool

        files = descriptor_pb2.FileDescriptorSet()
        try:
            files.ParseFromString(data)
            pool = descriptor_pool.DescriptorPool()
            for proto in files.file:
                pool.Add(proto)
        except Exception as exc:
            raise ValueError(f"not a protobuf descriptor set: {exc}") from None
        names = tuple(
            f"{proto.package}.{m.name}" if proto.package else m.name
            for proto in files.file
            for m in proto.message_type
        )
        if not names:
            raise ValueError("the descriptor set defines no message type")
        if message is not None and message not in names:
            raise ValueError(f"no message type {message!r} (types: {', '.join(names)})")
        return cls(pool, names, message)

    @classmethod
    def from_file(cls, path: str | Path, message: str | None = None) -> Schema:
        return cls.from_bytes(Path(path).read_bytes(), message)

    def decode(self, data: bytes) -> tuple[str, dict[str, Any]] | None:
        """(message type, fields by name) of the best type for ``data``, or None."""
        from google.protobuf import json_format, message_factory
        from google.protobuf.unknown_fields import UnknownFieldSet

        best: tuple[int, str, dict[str, Any]] | None = None
        names: Sequence[str] = (self.message,) if self.message else self.names
        for name in names:
            cls = message_factory.GetMessageClass(self.pool.FindMessageTypeByName(name))
            msg = cls()
            try:
                msg.ParseFromString(data)
            except Exception:
                continue
            if len(UnknownFieldSet(msg)) and not self.message:
                continue
            as_dict = json_format.MessageToDict(msg, preserving_proto_field_name=True)
            count = len(msg.ListFields())
            if best is None or count > best[0]:
                best = (count, name, as_dict)
        return None if best is None else (best[1], best[2])


# A message starts with a field's key, a varint whose first byte holds the wire type
# (0, 1, 2 or 5: groups count as invalid) and, when it is the only byte, a field
# number that is not 0. A key of more bytes may be all a cut payload holds (a cut
# varint rates as a cut message): any such first byte.
_KEY_STARTS = frozenset(b for b in range(256) if b >= 0x80 or (b >= 8 and b & 7 in (0, 1, 2, 5)))


class ProtobufView(View):
    name = "protobuf"
    title = "Protobuf"
    text_starts = NO_TEXT
    binary_starts = _KEY_STARTS

    def __init__(self, schema: Schema | None = None) -> None:
        self.schema = schema
        self.top_priority = 0.7 if schema is not None else 0.35

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode != 2 or not data:
            return -1
        # The wire format is walked in Python: a bounded look, so that rating costs
        # the same for any size. A cut may fall inside the last field.
        look = data[:_PRIORITY_LOOK]
        whole = (meta.size is None or meta.size <= len(data)) and len(data) <= _PRIORITY_LOOK
        try:
            walk(look)
        except ViewError as exc:
            if whole or exc.offset != len(look):
                return -1
        if self.schema is not None and whole and self.schema.decode(data) is not None:
            return 0.7  # the user gave the schema: above a MessagePack guess
        return 0.35 if whole else 0.25

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        decoded = self.schema.decode(data) if self.schema is not None else None
        if decoded is not None:
            name, fields = decoded
            root = partial(_tree, fields, {}, "", name)
            return Rendered(self.name, f"{name}\n\n{pretty(fields)}", Syntax.JSON, root)
        message, typedef = _decode(data)
        lines = ["protobuf (no schema: fields by number, types guessed)", "", pretty(message)]
        if self.schema is not None:
            lines[0] = "protobuf (no type of the schema reads it: fields by number)"
        return Rendered(self.name, "\n".join(lines), Syntax.JSON, partial(_tree, message, typedef))

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        try:
            count = walk(prefix)
        except ViewError:
            return "protobuf \u2026"
        if self.schema is not None:
            decoded = self.schema.decode(prefix)
            if decoded is not None:
                return f"protobuf {decoded[0]} {brief(decoded[1], 120)}"
        try:
            message, _ = _decode(prefix)
        except ViewError:
            return f"protobuf {count} fields"
        return f"protobuf {brief(message, 120)}"


def use_schema(registry: Registry, schema: Schema | None) -> None:
    """Decode protobuf payloads in ``registry`` with ``schema`` (None: without one)."""
    registry.add(ProtobufView(schema))


def register(registry: Registry) -> None:
    registry.add(ProtobufView())
