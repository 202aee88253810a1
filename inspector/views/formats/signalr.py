"""ASP.NET Core SignalR hub protocols: JSON (records ended by 0x1E) and MessagePack
(each record prefixed by its length as a VarInt), and the JSON handshake both start
with (``{"protocol":"json","version":1}``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import msgpack

from ..base import (
    ASCII_SPACE,
    PayloadMeta,
    Rendered,
    Syntax,
    TreeNode,
    View,
    ViewError,
    one_or_many,
)
from ..registry import Registry
from ..text import escape_control, shorten
from .structured import brief, json_value, pretty, tree

__all__ = ["HubMessage", "SignalRView", "register"]

RS = 0x1E
TYPES = {
    1: "Invocation",
    2: "StreamItem",
    3: "Completion",
    4: "StreamInvocation",
    5: "CancelInvocation",
    6: "Ping",
    7: "Close",
    8: "Ack",
    9: "Sequence",
}


@dataclass(slots=True)
class HubMessage:
    """One hub message (``type`` 0: a handshake request or response)."""

    type: int
    invocation_id: str | None = None
    target: str | None = None
    arguments: list[Any] = field(default_factory=list)
    #: A completion's result or error, a stream item, a close's error...
    values: list[tuple[str, Any]] = field(default_factory=list)
    raw: Any = None

    @property
    def name(self) -> str:
        return TYPES.get(self.type, "Handshake" if self.type == 0 else f"type {self.type}")


def _from_json(value: Any, at: int) -> HubMessage:
    if not isinstance(value, dict):
        raise ViewError("a record must be a JSON object", at)
    kind = value.get("type")
    if kind is None:
        values = [(k, v) for k, v in value.items()]
        return HubMessage(0, values=values, raw=value)
    if not isinstance(kind, int):
        raise ViewError('"type" must be a number', at)
    ident = value.get("invocationId")
    args = value.get("arguments")
    message = HubMessage(
        kind,
        ident if isinstance(ident, str) else None,
        value.get("target") if isinstance(value.get("target"), str) else None,
        args if isinstance(args, list) else [],
        raw=value,
    )
    for key in ("item", "result", "error", "allowReconnect", "sequenceId", "streamIds"):
        if value.get(key) is not None:
            message.values.append((key, value[key]))
    return message


def json_records(data: bytes) -> list[HubMessage]:
    if not data or data[-1] != RS:
        raise ViewError("a JSON hub record ends with 0x1E", len(data))
    messages = []
    start = 0
    for part in data[:-1].split(bytes([RS])):
        messages.append(_from_json(json_value(part, start), start))
        start += len(part) + 1
    return messages


def _from_msgpack(value: Any, at: int) -> HubMessage:
    if not isinstance(value, list) or not value or not isinstance(value[0], int):
        raise ViewError("a MessagePack hub message is an array starting with its type", at)
    kind, rest = value[0], value[1:]
    m = HubMessage(kind, raw=value)
    if kind in (1, 4) and len(rest) >= 3:
        # [type, headers, invocationId, target, arguments, streamIds?]; some clients
        # leave the id out: [type, headers, target, arguments].
        if isinstance(rest[2], list) and isinstance(rest[1], str):
            m.target, m.arguments = rest[1], rest[2]
        else:
            ident = rest[1]
            m.invocation_id = str(ident) if ident is not None else None
            m.target = rest[2] if isinstance(rest[2], str) else None
            m.arguments = rest[3] if len(rest) > 3 and isinstance(rest[3], list) else []
            if len(rest) > 4:
                m.values.append(("streamIds", rest[4]))
    elif kind == 2 and len(rest) >= 3:
        m.invocation_id, m.values = str(rest[1]), [("item", rest[2])]
    elif kind == 3 and len(rest) >= 3:
        m.invocation_id = str(rest[1])
        result_kind = rest[2]
        if result_kind == 1 and len(rest) > 3:
            m.values.append(("error", rest[3]))
        elif result_kind == 3 and len(rest) > 3:
            m.values.append(("result", rest[3]))
    elif kind == 5 and len(rest) >= 2:
        m.invocation_id = str(rest[1])
    elif kind == 7 and rest:
        if rest[0] is not None:
            m.values.append(("error", rest[0]))
        if len(rest) > 1:
            m.values.append(("allowReconnect", rest[1]))
    elif kind in (8, 9) and rest:
        m.values.append(("sequenceId", rest[0]))
    elif kind != 6:
        raise ViewError(f"a {m.name} message with {len(rest)} fields", at)
    return m


def msgpack_records(data: bytes) -> list[HubMessage]:
    messages = []
    pos = 0
    while pos < len(data):
        start = pos
        length, shift = 0, 0
        while True:
            if pos >= len(data):
                raise ViewError("the data ends inside a length prefix", len(data))
            b = data[pos]
            pos += 1
            length |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 28:
                raise ViewError("a length prefix longer than 5 bytes", start)
        if pos + length > len(data):
            raise ViewError(f"a record of {length} bytes is cut", len(data))
        try:
            value = msgpack.unpackb(data[pos : pos + length], raw=False, strict_map_key=False)
        except Exception as exc:
            raise ViewError(f"the record is not MessagePack: {exc}", pos) from None
        messages.append(_from_msgpack(value, pos))
        pos += length
    return messages


def _looks_msgpack_hub(data: bytes) -> bool:
    """A VarInt length that matches, then a MessagePack array whose first item is a
    hub message type."""
    pos, length, shift = 0, 0, 0
    while pos < min(len(data), 5):
        b = data[pos]
        pos += 1
        length |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    else:
        return False
    if length == 0 or pos + length > len(data) or pos + 1 >= len(data):
        return False
    head = data[pos]
    return (0x91 <= head <= 0x9F or head == 0xDC) and 1 <= data[pos + 1] <= 9


def _short_of_length(data: bytes) -> bool:
    """Whether ``data`` is too short for the record its VarInt length announces (and
    its array head), from its first two bytes alone: the cheap rejection of most
    binary payloads, before :func:`_looks_msgpack_hub` reads the whole VarInt."""
    n = len(data)
    if n < 3:
        return True
    b0 = data[0]
    if b0 < 0x80:
        return b0 + 1 > n
    # Continued: the second byte alone counts 128 times its value, after 2 bytes.
    return ((data[1] & 0x7F) << 7) + 2 > n


def _first_record(data: bytes) -> bytes:
    """The first length-prefixed record of a long payload (for a cheap priority)."""
    pos, length, shift = 0, 0, 0
    while pos < min(len(data), 5):
        b = data[pos]
        pos += 1
        length |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    return data[: pos + length]


def _line(m: HubMessage) -> str:
    parts = [m.name]
    if m.type == 0:
        shown = " ".join(f"{k}={json.dumps(v)}" for k, v in m.values[:3])
        return escape_control(f"Handshake {shown}".rstrip())
    if m.target:
        parts.append(escape_control(shorten(m.target, 80)))
    if m.invocation_id is not None:
        parts.append(f"id={escape_control(shorten(m.invocation_id, 40))}")
    if m.arguments:
        parts.append(brief(m.arguments, 80))
    for key, value in m.values:
        if key in ("error", "result", "item"):
            parts.append(f"{key}={brief(value, 80)}")
    return " ".join(parts)


class SignalRView(View):
    name = "signalr"
    title = "SignalR"
    text_starts = ASCII_SPACE | frozenset(b"{")
    binary_starts = frozenset(range(1, 256))  # a record's length, never 0
    top_priority = 0.95

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode == 1:
            head = data[:16].lstrip()
            return 0.95 if head[:1] == b"{" and data[-1:] == b"\x1e" else -1
        if meta.opcode == 2 and not _short_of_length(data) and _looks_msgpack_hub(data):
            try:
                msgpack_records(data[:4096] if len(data) <= 4096 else _first_record(data))
            except ViewError:
                return -1
            return 0.9
        return -1

    def _messages(self, data: bytes, meta: PayloadMeta) -> list[HubMessage]:
        if meta.opcode == 1 or data[-1:] == b"\x1e":
            return json_records(data)
        return msgpack_records(data)

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        messages = self._messages(data, meta)
        texts = []
        for m in messages:
            lines = [f"SignalR {m.name}"]
            if m.target:
                lines.append(f"target     {m.target}")
            if m.invocation_id is not None:
                lines.append(f"invocation {m.invocation_id}")
            if m.arguments:
                lines += ["", pretty(m.arguments)]
            for key, value in m.values:
                lines.append(f"{key}: {pretty(value)}")
            texts.append("\n".join(lines))

        def build() -> TreeNode:
            nodes = []
            for m in messages:
                node = tree(m.raw)
                nodes.append(TreeNode(m.name, node.value, node.children, "signalr"))
            return one_or_many(nodes, "records")

        fields = _fields(messages)
        return Rendered(self.name, "\n\n".join(texts), Syntax.KEY_VALUE, build, fields=fields)

    def fields(self, data: bytes, meta: PayloadMeta) -> dict[str, str]:
        return _fields(self._messages(data, meta))

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        try:
            messages = self._messages(prefix, meta)
        except ViewError:
            return "SignalR \u2026" if meta.size and meta.size > len(prefix) else None
        more = f" +{len(messages) - 1}" if len(messages) > 1 else ""
        return f"SignalR {_line(messages[0])}{more}" if messages else None


def _fields(messages: list[HubMessage]) -> dict[str, str]:
    # Only the hub method: an invocation id may be a number (not literal in MessagePack).
    fields: dict[str, str] = {}
    for m in messages:
        if m.target:
            return {"target": m.target}
    return fields


def register(registry: Registry) -> None:
    registry.add(SignalRView())
